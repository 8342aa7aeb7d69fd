"""Notifications: the e-mail outbox and its delivery over SMTP."""
