"""Tracking: xAPI statements, page progress, completions, certificates and LRS forwarding."""
