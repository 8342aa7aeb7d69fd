"""Language choice: the user's preference, else the session's choice, else the browser's."""

from __future__ import annotations

from flask import current_app, request, session
from flask_login import current_user

from app.i18n.languages import LANGUAGES


def select_locale() -> str:
    """Pick the interface locale for this request, formatted the Swiss way (de_CH, fr_CH...)."""
    return f"{select_language()}_CH"


def select_language() -> str:
    """Pick the interface language for this request."""
    if (
        getattr(current_user, "is_authenticated", False)
        and current_user.preferred_language in LANGUAGES
    ):
        return current_user.preferred_language
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if request:
        best = request.accept_languages.best_match(LANGUAGES)
        if best:
            return best
    return current_app.config["BABEL_DEFAULT_LOCALE"]
