"""Generated content: modules in several versions and languages, with pages, and quizzes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.assessment.questions import Option, Question, Quiz
from app.content.rendering import plain_text, render_markdown
from app.content.search import searchable
from app.content.versions import callout_labels, key_points_html
from app.demo import generate_texts as texts
from app.demo.generate_bulk import BulkWriter
from app.demo.generate_org import Org
from app.demo.generate_sizes import Run
from app.i18n.languages import sorted_languages

BODY_TEMPLATES = 24  # page bodies per language, each rendered once and reused
QUIZ_SHARE = 0.4  # modules that end with a quiz
PASS_MARK = 80.0


@dataclass
class VersionInfo:
    """A generated module version as the history needs it."""

    id: int
    number: int
    is_major: bool
    published_at: datetime
    valid_days: int | None
    titles: dict[str, str]
    variants: dict[str, int] = field(default_factory=dict)  # language -> variant id
    pages: dict[int, list[tuple[int, int, str]]] = field(default_factory=dict)  # (id, pos, title)
    _page_sets: dict[int, set[int]] | None = None

    def page_sets(self) -> dict[int, set[int]]:
        """Return each variant's page ids (the completion rule's input; built once)."""
        if self._page_sets is None:
            self._page_sets = {vid: {p[0] for p in pages} for vid, pages in self.pages.items()}
        return self._page_sets


@dataclass
class QuizInfo:
    """A generated quiz: its versions (id, number, created_at) and its definition."""

    id: int
    slug: str
    titles: dict[str, str]
    versions: list[tuple[int, int, datetime]]
    definition: Quiz


@dataclass
class ModuleInfo:
    """A generated module with its versions (oldest first) and its quiz, if any."""

    id: int
    slug: str
    source_language: str
    versions: list[VersionInfo]
    quiz: QuizInfo | None = None

    def version_at(self, moment: datetime) -> VersionInfo | None:
        """Return the version learners were given at `moment` (the latest published)."""
        given = [v for v in self.versions if v.published_at <= moment]
        return given[-1] if given else None


class _Renderer:
    """Page bodies drawn from a few templates per language, each rendered once."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.bodies = {
            language: [texts.page_body(run.rng, language) for _ in range(BODY_TEMPLATES)]
            for language in texts.LANGS
        }
        self.rendered: dict[tuple[str, int], tuple[str, str]] = {}

    def page(self, language: str, template: int) -> tuple[str, str, str]:
        """Return (markdown, html, text) of one body template."""
        key = (language, template)
        if key not in self.rendered:
            html = render_markdown(self.bodies[language][template], labels=callout_labels(language))
            self.rendered[key] = (html, plain_text(html))
        html, text = self.rendered[key]
        return self.bodies[language][template], html, text


def _languages(run: Run, source: str) -> list[str]:
    """Most modules exist in all four languages; the others in their source and one more."""
    if run.rng.random() < 0.6:
        return sorted_languages(texts.LANGS)
    other = run.rng.choice([lang for lang in texts.LANGS if lang != source])
    return sorted_languages((source, other))


def _publication_dates(run: Run) -> list[datetime]:
    """Return when each version was published: most modules exist before the history starts."""
    if run.rng.random() < 0.75:
        first = run.start - timedelta(days=run.rng.randint(1, 180))
    else:
        first = run.moment_between(run.start, run.now - timedelta(days=60))
    count = run.rng.choice((1, 1, 2, 2, 3, 4))
    later = sorted(
        run.moment_between(first + timedelta(days=30), run.now - timedelta(days=2))
        for _ in range(count - 1)
    )
    return [first, *later]


def _variant(
    writer: BulkWriter, renderer: _Renderer, version: VersionInfo, language: str, layout: list
) -> None:
    """Write one language variant of a version and its pages (`layout`: title, template)."""
    variant_id = writer.new_id("module_variants")
    pages, whole, rendered = [], [], []
    for position, (title_index, template) in enumerate(layout):
        title = texts.PAGE_TITLES[language][title_index]
        markdown, html, text = renderer.page(language, template)
        page_id = writer.new_id("module_pages")
        pages.append((page_id, position, title))
        whole.append(f"## {title}\n\n{markdown}")
        rendered.append((title, html, text))
        writer.add(
            "module_pages",
            {
                "id": page_id,
                "variant_id": variant_id,
                "position": position,
                "title": title,
                "markdown": markdown,
                "html": html,
                "text": text,
            },
        )
    body = "\n".join(whole)
    title, summary = version.titles[language], texts.SUMMARY[language]
    writer.add(
        "module_variants",
        {
            "id": variant_id,
            "version_id": version.id,
            "language": language,
            "title": title,
            "summary": summary,
            "tags": ["generated"],
            "minutes": 5 + 2 * len(layout),
            "version_note": "",
            "revision": version.number,
            "translates": version.number,
            "is_outdated": False,
            "content_hash": hashlib.sha256(body.encode()).hexdigest(),
            "markdown": body,
            "key_points_html": key_points_html((t, h) for t, h, _x in rendered),
            "search_text": searchable(
                "\n".join(
                    [title, summary, *(t for t, _h, _x in rendered), *(x for *_y, x in rendered)]
                )
            ),
        },
    )
    version.variants[language] = variant_id
    version.pages[variant_id] = pages


def _module(writer: BulkWriter, run: Run, renderer: _Renderer, index: int, provider: int):
    """Write one module with its versions; return its ModuleInfo."""
    rng = run.rng
    topic, aspect = texts.TOPICS[index % len(texts.TOPICS)], rng.choice(texts.ASPECTS)
    source = rng.choice(("de", "de", "fr", "fr", "it"))
    languages = _languages(run, source)
    titles = {lang: f"{topic[lang]} – {aspect[lang]} {index + 1}" for lang in languages}
    module_id = writer.new_id("modules")
    slug = f"gen{index + 1:04d}{'-' + str(module_id) if index + 1 != module_id else ''}"
    dates = _publication_dates(run)
    valid_days = 365 if rng.random() < 0.2 else None
    writer.add(
        "modules",
        {
            "id": module_id,
            "slug": slug,
            "provider_id": provider,
            "source_language": source,
            "status": "published",
            "kind": "module",
            "refresher_of_id": None,
            "current_version_id": None,
            "created_at": dates[0] - timedelta(days=7),
            "archived_at": None,
            "origin": None,
            "licence_spdx": None,
            "licence_url": None,
            "licence_text": None,
        },
    )
    info = ModuleInfo(module_id, slug, source, [])
    for number, published in enumerate(dates, start=1):
        version = VersionInfo(
            id=writer.new_id("module_versions"),
            number=number,
            is_major=number == 1 or rng.random() < 0.35,
            published_at=published,
            valid_days=valid_days,
            titles=titles,
        )
        layout = [
            (rng.randrange(6), rng.randrange(BODY_TEMPLATES)) for _ in range(rng.randint(3, 6))
        ]
        writer.add("module_versions", _version_row(module_id, version, len(layout)))
        for language in languages:
            _variant(writer, renderer, version, language, layout)
        info.versions.append(version)
    return info


def _version_row(module_id: int, version: VersionInfo, pages: int) -> dict[str, Any]:
    return {
        "id": version.id,
        "module_id": module_id,
        "number": version.number,
        "is_major": version.is_major,
        "change_note": "" if version.number == 1 else "Mise à jour / Aktualisierung",
        "content_hash": hashlib.sha256(f"{module_id}:{version.number}".encode()).hexdigest(),
        "valid_days": version.valid_days,
        "minutes": 5 + 2 * pages,
        "published_at": version.published_at,
        "published_by_id": None,
        "created_at": version.published_at,
    }


def _quiz_definition(slug: str, module_slug: str, titles: dict[str, str], count: int) -> Quiz:
    """Return a quiz of single-choice questions (the first option is the right one)."""
    languages = list(titles)
    questions = tuple(
        Question(
            id=f"q{number + 1}",
            type="single",
            stem={lang: f"{texts.QUESTION[lang]} ({number + 1})" for lang in languages},
            options=tuple(
                Option(id=f"o{k + 1}", text=texts.in_languages(answer, languages), correct=k == 0)
                for k, answer in enumerate(texts.ANSWERS)
            ),
        )
        for number in range(count)
    )
    return Quiz(
        id=slug, title=titles, pass_mark=PASS_MARK, module_id=module_slug, questions=questions
    )


def _quiz(writer: BulkWriter, run: Run, module: ModuleInfo, provider: int) -> QuizInfo:
    """Write a quiz for a module, in one or two versions."""
    quiz_id = writer.new_id("quizzes")
    slug = f"{module.slug}-quiz"
    first = module.versions[0]
    titles = {lang: f"Quiz – {title}" for lang, title in first.titles.items()}
    definition = _quiz_definition(slug, module.slug, titles, run.rng.randint(3, 5))
    writer.add(
        "quizzes",
        {
            "id": quiz_id,
            "slug": slug,
            "module_id": module.id,
            "provider_id": provider,
            "current_version_id": None,
            "created_at": first.published_at,
        },
    )
    moments = [first.published_at]
    if len(module.versions) > 1 and run.rng.random() < 0.5:
        moments.append(module.versions[-1].published_at)
    info = QuizInfo(quiz_id, slug, titles, [], definition)
    data = definition.to_dict()
    for number, moment in enumerate(moments, start=1):
        version_id = writer.new_id("quiz_versions")
        writer.add(
            "quiz_versions",
            {
                "id": version_id,
                "quiz_id": quiz_id,
                "number": number,
                "content_hash": hashlib.sha256(f"{slug}:{number}".encode()).hexdigest(),
                "definition": data,
                "pass_mark": PASS_MARK,
                "created_at": moment,
            },
        )
        info.versions.append((version_id, number, moment))
    return info


def build_content(
    writer: BulkWriter, run: Run, org: Org, step: Callable[[int], None]
) -> list[ModuleInfo]:
    """Write every module (and quiz); return them for the learning history."""
    renderer = _Renderer(run)
    modules: list[ModuleInfo] = []
    for index in range(run.size.modules):
        provider = org.providers[index % len(org.providers)]
        module = _module(writer, run, renderer, index, provider)
        if run.rng.random() < QUIZ_SHARE:
            module.quiz = _quiz(writer, run, module, provider)
        modules.append(module)
        writer.flush_if_full()
        step(1)
    writer.set_column("modules", "current_version_id", {m.id: m.versions[-1].id for m in modules})
    writer.set_column(
        "quizzes",
        "current_version_id",
        {m.quiz.id: m.quiz.versions[-1][0] for m in modules if m.quiz},
    )
    run.counts["modules"] = len(modules)
    run.counts["quizzes"] = sum(1 for m in modules if m.quiz)
    return modules
