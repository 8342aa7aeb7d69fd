"""Demo data: the `flask demo` command and the learning history it loads."""
