"""Named hooks: the only way one feature reacts to another or adds to a shared page.

A hook has a name and a receiver type. Features connect receivers in their `register(app)`
(see `app/platform/features.py` for the one list of features); the feature that owns the
moment calls `hook.receivers()` and passes each receiver a typed event or context. Receivers
live per application, so test apps never share them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, NamedTuple, TypeVar

from flask import Flask, current_app

R = TypeVar("R")


class Hook(Generic[R]):
    """One named extension point; `R` is the type of its receivers."""

    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.__doc__ = doc

    def connect(self, app: Flask, receiver: R) -> None:
        """Add `receiver` to this hook for `app` (in registration order)."""
        app.extensions.setdefault("hooks", {}).setdefault(self.name, []).append(receiver)

    def connect_all(self, app: Flask, receivers: Iterable[R]) -> None:
        """Add several receivers at once, in order."""
        for receiver in receivers:
            self.connect(app, receiver)

    def disconnect(self, app: Flask, receiver: R) -> None:
        """Remove `receiver` from this hook for `app` (tests swap receivers this way)."""
        app.extensions.get("hooks", {}).get(self.name, []).remove(receiver)

    def clear(self, app: Flask) -> None:
        """Remove every receiver of this hook for `app`."""
        app.extensions.get("hooks", {}).pop(self.name, None)

    def receivers(self, app: Flask | None = None) -> list[R]:
        """Return the receivers connected for `app` (the current app by default)."""
        target = app if app is not None else current_app
        return list(target.extensions.get("hooks", {}).get(self.name, ()))

    def __repr__(self) -> str:
        return f"Hook({self.name!r})"


# -- The platform's hooks, one place for all of them ------------------------------------------
# Shared pages and lists
NAV_ENTRIES: Hook[tuple[str, Any, set[Any]]] = Hook(
    "nav_entries", "Navigation entries: (endpoint, label, roles that see it)."
)
HOME_PANELS: Hook[Callable[..., Any]] = Hook(
    "home_panels",
    "Home page panels: (user, now) -> {'template': ..., ...} or None, or a Deferred of one"
    " (app.platform.reads): the home page runs every panel's reads as one statement.",
)
DEMO_LOADERS: Hook[Callable[..., Any]] = Hook(
    "demo_loaders", "Demo data loaders run by `flask demo load`, in registration order."
)
TICK_TASKS: Hook[Callable[..., Any]] = Hook(
    "tick_tasks",
    "Scheduled tasks run by `flask tick` (app.platform.tick), each in its own transaction: "
    "(session, now) -> figures for the summary line ({'assigned': 3}) or None.",
)
# Cross-feature events
PAGE_READ: Hook[Callable[..., None]] = Hook(
    "page_read", "A learner read a page of a module (announced by the content reader)."
)
QUIZ_GRADED: Hook[Callable[..., None]] = Hook(
    "quiz_graded",
    "A quiz attempt was graded (assessment announces it): (session, QuizGraded) -> None.",
)
# Questions one feature asks others
ASSIGNMENT_SOURCES: Hook[Any] = Hook(
    "assignment_sources",
    "Where a learner's assigned modules come from: AssignmentSource objects (a SELECT of the"
    " modules assigned to `user_id`, built once; see app.tracking.assignment_sources).",
)
XAPI_REGISTRATIONS: Hook[Callable[..., Any]] = Hook(
    "xapi_registrations", "The xAPI registration (campaign) a statement belongs to, if any."
)
OUTBOX_HEADERS: Hook[Callable[..., Any]] = Hook(
    "outbox_headers", "Extra e-mail headers for a claimed outbox message (e.g. List-Unsubscribe)."
)
COMPLETION_REACHED: Hook[Callable[..., None]] = Hook(
    "completion_reached",
    "A learner's completion of a module version now counts (tracking announces it):"
    " (session, CompletionReached) -> None.",
)
MODULE_QUIZZES: Hook[Callable[..., Any]] = Hook(
    "module_quizzes",
    "Which modules end with a quiz (assessment answers): (session, module_ids) ->"
    " {module_id: quiz slug}.",
)
# Places on shared pages
READER_PANELS: Hook[Callable[[Any], dict[str, Any] | None]] = Hook(
    "reader_panels",
    "Panels under a reader page (e.g. page feedback): (the reader's page) -> None or"
    " {'template': ..., ...}; the reader includes each template with `panel` set to the dict.",
)


class LibraryImporter(NamedTuple):
    """Files a feature imports beside the modules (quiz files), for `flask content check|import`.

    `check(paths)` reads and checks them without the database and returns problems;
    `import_files(session, paths, *, now, actor, progress)` writes them in the caller's
    transaction and returns a report whose `problems` hold any error found against the database.
    """

    check: Callable[[list[Any]], list[Any]]
    import_files: Callable[..., Any]


LIBRARY_IMPORTERS: Hook[LibraryImporter] = Hook(
    "library_importers", "Importers run by `flask content import` beside the modules (quizzes)."
)
EDITOR_REMARKS: Hook[Callable[..., list[str]]] = Hook(
    "editor_remarks",
    "Remarks the module editor's preview shows (plain language): (module, language, markdown,"
    " title) -> translated lines.",
)
MODULE_SOURCE_CHECKS: Hook[Callable[..., Any]] = Hook(
    "module_source_checks",
    "Extra checks of module files by `flask content check` (plain language): (session,"
    " modules) -> an object with `warnings` (problems) and `notes` (lines); never blocking.",
)
