"""People: organisation units, providers, users, roles, accounts and sign-in."""
