"""Query-string filters that pages read: bad values are refused with a 400, not clamped.

A view's parser raises `BadFilter` with a message saying which value and why; the feature's
blueprint answers it with `app.web.errors.bad_request_page`.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _

MAX_ARG = 200


class BadFilter(ValueError):
    """A query-string value the page cannot use; the message says which and why."""


def query_arg(args: Mapping[str, str], name: str) -> str | None:
    """Return the argument `name` (None when absent); BadFilter when it cannot be a filter."""
    value = args.get(name)
    if value is not None and ("\x00" in value or len(value) > MAX_ARG):
        raise BadFilter(_("The filter “%(name)s” is not valid.", name=name))
    return value
