"""The counter assist log: staff note in three taps that they helped a citizen, and with what."""
