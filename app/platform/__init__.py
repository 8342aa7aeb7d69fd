"""How the features are put together: the model registry and the audit log."""
