"""One generated learner's record: statements written in bulk, derived rows by the projection.

Each statement is built by the tracking feature's own xAPI builders, gets the id of its
natural key (as the live path gives it) and is applied to an in-memory `MemoryStore` with
`app.tracking.projection.apply_fact`, the function the live path and the rebuild use. The
completion rule (`app.tracking.completion.is_module_complete`) decides, after every page and
passed quiz, whether a `completed` statement follows, exactly as `record_page_view` and
`record_attempt` do. So the generated derived tables are what `flask tracking rebuild`
would compute from the generated statements.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from app.demo.generate_bulk import BulkWriter
from app.demo.generate_content import ModuleInfo, VersionInfo
from app.demo.generate_org import Person
from app.demo.generate_sizes import Run
from app.demo.generate_statements import BodyTemplates
from app.tracking import event_statements
from app.tracking import statements as xapi
from app.tracking.certificates import ALPHABET, CODE_LENGTH
from app.tracking.completion import completion_status, is_module_complete
from app.tracking.models import Completion, ModuleProgress, PageProgress
from app.tracking.projection import Fact, MemoryStore, apply_fact, score_percent_of
from app.tracking.rebuild import MemoryContent

Verb, Kind = xapi.Verb, xapi.ObjectKind
# A statement's body: the builder's dict, or (JSON text, object IRI, id, score) of a template.
Body = dict[str, Any] | tuple[str, str, str, float | None]


class _IndexedStore(MemoryStore):
    """The projection's in-memory store, with page rows also kept by version (fast lookups)."""

    def __init__(self) -> None:
        super().__init__()
        self.pages_of_version: dict[int, list[PageProgress]] = defaultdict(list)

    def add(self, row: ModuleProgress | PageProgress | Completion) -> None:
        """Keep a new row under its natural key (page rows by version too)."""
        super().add(row)
        if isinstance(row, PageProgress):
            self.pages_of_version[row.module_version_id].append(row)


class Learner:
    """Records one learner's statements and keeps their derived rows in memory."""

    def __init__(
        self,
        writer: BulkWriter,
        run: Run,
        content: MemoryContent,
        iris: xapi.Iris,
        templates: BodyTemplates,
        person: Person,
    ) -> None:
        self.writer, self.run, self.content, self.iris = writer, run, content, iris
        self.templates, self.person = templates, person
        self.namespace = iris.namespace  # a uuid5 of its own: computed once, not per statement
        self.actor = xapi.Actor(person.email, person.name)
        self.store = _IndexedStore()
        self.keys: set[str] = set()
        self.attempts: dict[int, int] = {}
        self.positions: dict[int, tuple[int, str, int, datetime]] = {}

    def filled(
        self, key: str, shape: tuple, build: Any, at: datetime, registration: str | None
    ) -> Body:
        """Return the body of a templated statement (see generate_statements)."""
        statement_id = self.statement_id(key)
        text, iri, score = self.templates.fill(
            shape,
            build,
            statement_id=statement_id,
            actor=self.actor,
            timestamp=at,
            registration=registration,
        )
        return text, iri, statement_id, score

    def statement_id(self, key: str) -> str:
        """Return `Iris.statement_id(key)`, with the namespace computed once per learner."""
        return str(uuid.uuid5(self.namespace, key))

    def record(self, key: str, body: Body, *, at: datetime, **columns: Any) -> int:
        """Write one statement (id from its key) and apply it to the derived rows."""
        statement_id = self.writer.new_id("statements")
        verb, kind = columns.pop("verb"), columns.pop("kind")
        score = None
        if isinstance(body, dict):
            if verb in (Verb.PASSED, Verb.COMPLETED):
                score = score_percent_of(body)
            body = (json.dumps(body), body["object"]["id"], body["id"], score)
        text, iri, statement_uuid, score = body
        if verb not in (Verb.PASSED, Verb.COMPLETED):
            score = None  # the projection reads the score of these two verbs only
        row = {
            "module_id": None,
            "module_version_id": None,
            "page_id": None,
            "quiz_id": None,
            "attempt_id": None,
            "registration": None,
            **columns,
        }
        self.writer.add(
            "statements",
            {
                "id": statement_id,
                "uuid": statement_uuid,
                "user_id": self.person.id,
                "verb": verb.value,
                "object_kind": kind.value,
                "object_iri": iri,
                **row,
                "timestamp": at,
                "stored_at": at,
                "payload_json": text,
            },
        )
        fact = Fact(
            statement_id=statement_id,
            user_id=self.person.id,
            verb=verb,
            object_kind=kind,
            module_id=row["module_id"],
            module_version_id=row["module_version_id"],
            page_id=row["page_id"],
            attempt_id=row["attempt_id"],
            timestamp=at,
            score_percent=score,
        )
        apply_fact(self.store, self.content, fact)
        self.keys.add(key)
        return statement_id

    def counts_done(self, module: ModuleInfo, at: datetime) -> bool:
        """Tell whether the learner holds a completion of the module that counts at `at`."""
        current = self.store.current_completion(self.person.id, module.id)
        if current is None:
            return False
        numbers = {v.id: v.number for v in module.versions}
        majors = [v.number for v in module.versions if v.is_major and v.published_at <= at]
        return completion_status(
            version_number=numbers[current.module_version_id],
            expires_at=current.expires_at,
            latest_major_number=max(majors) if majors else None,
            now=at,
        ).counts

    def ref(self, module: ModuleInfo, version: VersionInfo) -> xapi.ModuleRef:
        """Return what statements say about a module version."""
        return xapi.ModuleRef(slug=module.slug, version=version.number, titles=version.titles)

    def _seen(self, version_id: int, cycle: int) -> set[int]:
        rows = self.store.pages_of_version.get(version_id, ())
        return {row.page_id for row in rows if row.cycle == cycle}

    def _launch(
        self,
        module: ModuleInfo,
        version: VersionInfo,
        language: str,
        cycle: int,
        at: datetime,
        registration: str | None,
    ) -> None:
        """Record `launched` for a version's first page in a cycle (as the reader does)."""
        key = f"launched|user:{self.person.id}|version:{version.id}|cycle:{cycle}"
        if key in self.keys:
            return
        build = partial(
            event_statements.module_launched,
            self.iris,
            module=self.ref(module, version),
            language=language,
        )
        body = self.filled(key, ("launched", version.id, language), build, at, registration)
        self.record(
            key,
            body,
            at=at,
            verb=Verb.LAUNCHED,
            kind=Kind.MODULE,
            registration=registration,
            module_id=module.id,
            module_version_id=version.id,
        )

    def read(
        self,
        module: ModuleInfo,
        version: VersionInfo,
        language: str,
        pages: int,
        at: datetime,
        registration: str | None,
    ) -> datetime:
        """Read the first `pages` pages of a version in a language; return when reading ended."""
        uid = self.person.id
        progress = self.store.module(uid, module.id)
        cycle = progress.cycle if progress else 0
        ref = self.ref(module, version)
        columns = {"module_id": module.id, "module_version_id": version.id}
        if not self._seen(version.id, cycle):
            self._launch(module, version, language, cycle, at, registration)
        page_list = version.pages[version.variants[language]]
        for index, (page_id, position, title) in enumerate(page_list[:pages]):
            moment = at + timedelta(minutes=2 * index)
            key = f"experienced|user:{uid}|page:{page_id}|cycle:{cycle}"
            if key in self.keys:
                continue
            build = partial(
                event_statements.page_experienced,
                self.iris,
                module=ref,
                position=position,
                page_title=title,
                language=language,
            )
            body = self.filled(key, ("page", page_id, language), build, moment, registration)
            self.record(
                key,
                body,
                at=moment,
                verb=Verb.EXPERIENCED,
                kind=Kind.PAGE,
                page_id=page_id,
                registration=registration,
                **columns,
            )
            resume = min(index + 1, len(page_list) - 1)
            self.positions[module.id] = (version.id, language, resume, moment)
            self.complete_if_due(module, moment, registration)
        return at + timedelta(minutes=2 * pages)

    def complete_if_due(self, module: ModuleInfo, at: datetime, registration: str | None) -> None:
        """Apply the completion rule to the current cycle; record `completed` when it is met."""
        uid = self.person.id
        progress = self.store.module(uid, module.id)
        if progress is None or progress.module_version_id is None:
            return
        version = next(v for v in module.versions if v.id == progress.module_version_id)
        cycle, passed = progress.cycle, progress.quiz_passed_cycle == progress.cycle
        complete = is_module_complete(
            variant_pages=version.page_sets(),
            seen_pages=self._seen(version.id, cycle),
            has_quiz=module.quiz is not None,
            quiz_passed=passed,
        )
        key = f"completed|user:{uid}|module:{module.id}|cycle:{cycle}"
        if not complete or key in self.keys:
            return
        score = progress.quiz_score_percent if passed else None
        build = partial(
            event_statements.module_completed,
            self.iris,
            module=self.ref(module, version),
            score_percent=score,
        )
        body = self.filled(key, ("completed", version.id, score), build, at, registration)
        statement_id = self.record(
            key,
            body,
            at=at,
            verb=Verb.COMPLETED,
            kind=Kind.MODULE,
            module_id=module.id,
            module_version_id=version.id,
            attempt_id=progress.quiz_attempt_id if passed else None,
            registration=registration,
        )
        code = "".join(self.run.rng.choice(ALPHABET) for _ in range(CODE_LENGTH))
        self.writer.add(
            "certificates",
            {
                "id": self.writer.new_id("certificates"),
                "code": code,
                "statement_id": statement_id,
                "user_id": uid,
                "issued_at": at,
            },
        )
