"""The rules every write on people and units checks: names, e-mail addresses, languages, open units.

Pure: no Flask, no database. `PeopleError` is what every people operation raises when a rule
is broken.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from email_validator import EmailNotValidError, validate_email

from app.i18n.languages import LANGUAGES
from app.i18n.markers import N_

if TYPE_CHECKING:
    from app.people.models import Unit


class PeopleError(ValueError):
    """A rule about people or units was broken; the message says which.

    The message reads "field: what is wrong" in English (logs, the command line); pages show
    `template` translated with `params` when the error carries one.
    """

    def __init__(self, message: str, *, template: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.template = template
        self.params = params


def refusal(field: str, template: str, **params: Any) -> PeopleError:
    """Build a PeopleError for `field` whose message pages can translate (`template`)."""
    return PeopleError(f"{field}: {template % params}", template=template, **params)


def normalise_email(email: str) -> str:
    """Return the canonical form of an e-mail address used for look-ups."""
    return email.strip().lower()


def checked_name(value: str | None, field: str, max_length: int) -> str:
    """Return a trimmed name, or raise when it is empty, too long or holds control characters."""
    text = (value or "").strip()
    if not text:
        raise PeopleError(f"{field}: must not be empty")
    if len(text) > max_length:
        raise PeopleError(f"{field}: at most {max_length} characters")
    if any(ord(ch) < 32 for ch in text):
        raise PeopleError(f"{field}: must not contain control characters")
    return text


def email_syntax(email: str | None) -> str:
    """Return the normalised address, or raise when its syntax is wrong (no look-up)."""
    raw = (email or "").strip()
    if not raw:
        raise PeopleError("e-mail: must not be empty")
    try:
        checked = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise PeopleError(f"e-mail: {raw!r} is not a valid address ({exc})") from None
    address = normalise_email(checked.normalized)
    if len(address) > 254:
        raise PeopleError("e-mail: at most 254 characters")
    return address


def check_language(language: str | None) -> str | None:
    """Return the language code (None when blank), or raise when it is not supported."""
    value = (language or "").strip().lower() or None
    if value is not None and value not in LANGUAGES:
        raise PeopleError(f"language: {value!r} is not one of {', '.join(LANGUAGES)}")
    return value


def open_unit(unit: Unit | None, what: str) -> None:
    """Raise when `unit` is closed: a closed unit takes no new people, units or managers."""
    if unit is not None and unit.is_closed:
        raise refusal("unit", N_("%(unit)s is closed and takes no one new"), unit=unit.code)
