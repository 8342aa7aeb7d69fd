"""Search over module variants: PostgreSQL full-text search, a LIKE fallback on SQLite.

`search_text` is stored case-folded, with an accent-free copy, so "declaration" finds
"déclaration" on both databases and SQLite's ASCII-only LIKE folding is not relied upon.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import ColumnElement, and_, func, literal_column, true

from app.content.models import ModuleVariant

MAX_QUERY_LENGTH = 100
_WORD_RE = re.compile(r"\w+")


def fold(text: str) -> str:
    """Case-fold text and strip accents (the form search compares)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def searchable(text: str) -> str:
    """The stored search text: case-folded, plus an accent-free copy when it differs."""
    folded = text.casefold()
    plain = fold(text)
    return folded if plain == folded else f"{folded}\n{plain}"


def normalise_query(query: str) -> str:
    """Trim, shorten and fold what the learner typed (control characters such as NUL go)."""
    printable = "".join(ch if ch.isprintable() else " " for ch in query)
    return fold(" ".join(printable.split())[:MAX_QUERY_LENGTH])


def match_clause(query: str, dialect: str) -> ColumnElement[bool]:
    """SQL condition: the variant matches every word of `query` (title, tags or text).

    PostgreSQL: a prefix full-text query ("guich" finds "guichet") over the indexed
    expression, so the GIN index serves it. SQLite: one LIKE per word.
    """
    # Punctuation alone finds nothing in a text search: such "words" are left out.
    words = [word for word in normalise_query(query).split() if _WORD_RE.search(word)]
    if not words:
        return true()
    if dialect == "postgresql":
        terms = [term for word in words for term in _WORD_RE.findall(word)]
        # The exact expression of the GIN index ix_module_variants_search (see models).
        vector = func.to_tsvector(literal_column("'simple'"), ModuleVariant.search_text)
        # Terms hold only word characters, so the tsquery syntax cannot be broken.
        tsquery = func.to_tsquery(literal_column("'simple'"), " & ".join(f"{t}:*" for t in terms))
        return vector.op("@@")(tsquery)
    return and_(*(ModuleVariant.search_text.contains(word, autoescape=True) for word in words))
