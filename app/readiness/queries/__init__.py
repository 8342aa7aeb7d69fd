"""Reads for the readiness reports, as plain rows: scope, counting, report, people, overdue,
snapshots, heat map and module usage."""
