"""The platform's clock and its notion of days."""
