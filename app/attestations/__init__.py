"""Attestations: policy texts (a kind of module) that learners confirm by re-authenticating."""
