"""Campaigns: themed periods with audiences, assignments, reminders, notices and calendar feeds."""
