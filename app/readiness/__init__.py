"""Readiness: manager dashboards, forecasts, snapshots, exports, item analysis and feedback."""
