"""Certificate verification codes: 12 random base32 characters, shown as XXXX-XXXX-XXXX.

Pure. 60 random bits make codes unguessable (a million guesses find one of a million codes
with a chance of one in a million), so the public verification page needs no sign-in.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648 base32: no 0/1/8/9 to misread
CODE_LENGTH = 12
_CODE_RE = re.compile(f"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


def new_code() -> str:
    """Return a fresh verification code (12 characters from the base32 alphabet)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str | None:
    """Return the code typed or printed as `text` (any case, dashes, spaces), or None."""
    cleaned = re.sub(r"[\s\-]", "", text or "").upper()
    return cleaned if _CODE_RE.match(cleaned) else None


def format_code(code: str) -> str:
    """Return a code in groups of four for print ("ABCD-EFGH-JKLM")."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
