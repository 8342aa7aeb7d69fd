"""Plain language: glossaries per language and a check of module text for jargon and readability."""
