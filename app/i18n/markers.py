"""Marks strings for translation in modules that must not import Flask."""


def N_(message: str) -> str:
    """Return the message unchanged; `pybabel extract` collects it for the catalogues."""
    return message
