"""Tests of the e-mail outbox and its delivery."""
