"""Where `next=` may send a user after sign-in: same-origin relative paths only."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next_path(target: str | None, default: str = "/") -> str:
    """Return `target` if it is a same-origin path, else `default`.

    Refuses absolute and scheme-relative URLs (`//evil`), backslash tricks, `javascript:`,
    and any control character (CR/LF header injection).
    """
    if not target or len(target) > 2000:
        return default
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return default
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
