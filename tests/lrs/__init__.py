"""The Ralph LRS, run from its own virtualenv (.venv-lrs) so its pins never reach the app."""
