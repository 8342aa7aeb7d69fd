"""The allowed import directions between the app's packages (docs/ARCHITECTURE.md).

Every `import app.x` / `from app.x import ...` in app/, at any depth (function-level imports
count too), is checked against the table below: a package may import the shared
infrastructure and the features listed for it, nothing else. A new dependency between
features is a design decision: change the table and the architecture page together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"

# Shared infrastructure every feature may use. It imports no feature but `people` (the users
# every request has) — except the two files that list every feature, below.
INFRASTRUCTURE = {
    "db",
    "extensions",
    "config",
    "permissions",
    "i18n",
    "timekeeping",
    "web",
    "platform",
    "api",
}
NAMES_EVERY_FEATURE = {"platform/features.py", "platform/model_registry.py"}

# What each package may import besides the infrastructure (and itself), lowest first.
ALLOWED: dict[str, set[str]] = {
    "db": set(),
    "extensions": set(),
    "config": set(),
    "i18n": set(),
    "timekeeping": set(),
    "web": {"people"},
    "permissions": {"people"},
    "api": {"people"},
    # the tick hands due mail to the SMTP server once every task ran
    "platform": {"people", "notifications"},
    # people end API tokens with the sessions (api.tokens builds on people: a known cycle)
    "people": {"notifications"},
    "notifications": {"people"},
    "content": {"people"},
    "tracking": {"people", "content"},
    "assessment": {"people", "content", "tracking"},
    "attestations": {"people", "content", "tracking"},
    "plain_language": {"people", "content"},
    "module_packages": {"people", "content", "assessment"},
    "campaigns": {"people", "content", "tracking", "notifications"},
    # learner requests send their notices with campaigns' notice machinery
    "learner_requests": {"people", "content", "notifications", "campaigns"},
    "page_feedback": {"people", "content", "learner_requests"},
    "readiness": {
        "people",
        "content",
        "tracking",
        "assessment",
        "campaigns",
        "notifications",
        "page_feedback",
    },
    "job_aids": {"people", "content", "assessment", "campaigns"},
    "assists": {"people", "content", "tracking", "campaigns", "readiness"},
    "main": {"people"},
    # demo data may use every feature; nothing but the app factory may use demo
    "demo": {"__features__"},
}
FEATURES = {name for name in ALLOWED if name not in INFRASTRUCTURE | {"demo"}}


def _package_of(path: Path) -> str:
    return path.relative_to(APP).parts[0].removesuffix(".py")


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "app":
                names = [f"app.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "app" and len(parts) > 1:
                found.add(parts[1])
    return found


def _modules() -> list[Path]:
    return sorted(
        path for path in APP.rglob("*.py") if path.name != "__init__.py" or path.parent != APP
    )


def _allowed(package: str, path: Path) -> set[str]:
    allowed = set(ALLOWED.get(package, set())) | INFRASTRUCTURE | {package}
    if "__features__" in allowed or str(path.relative_to(APP)) in NAMES_EVERY_FEATURE:
        allowed |= FEATURES
    return allowed


def test_every_package_is_in_the_table():
    packages = {_package_of(path) for path in _modules()}
    assert packages - set(ALLOWED) == set()


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(APP)))
def test_imports_follow_the_allowed_directions(path):
    package = _package_of(path)
    wrong = _imported_packages(path) - _allowed(package, path)
    assert not wrong, f"app/{path.relative_to(APP)} ({package}) must not import {sorted(wrong)}"


def test_nothing_but_the_app_factory_imports_demo_code():
    users = [
        str(path.relative_to(APP))
        for path in APP.rglob("*.py")
        if _package_of(path) != "demo" and "demo" in _imported_packages(path)
    ]
    assert users == ["__init__.py"] or users == []


PURE = [
    "tracking/completion.py",
    "assessment/grading.py",
    "assessment/quiz_format.py",
    "assessment/gift_reader.py",
    "content/module_format.py",
    "content/rendering.py",
    "readiness/forecast.py",
    "campaigns/schedule_rules.py",
    "module_packages/package_format/manifest.py",
    "plain_language/readability.py",
    "i18n/languages.py",
    "timekeeping/days.py",
]
WEB_OR_DATABASE = {"flask", "flask_babel", "flask_login", "flask_wtf", "sqlalchemy", "werkzeug"}


def _module_file(dotted: str) -> Path | None:
    base = APP.parent / dotted.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("name", PURE)
def test_pure_cores_reach_neither_flask_nor_the_database(name):
    """A pure module, and every app module it imports (transitively), imports neither."""
    seen: set[Path] = set()
    todo = [APP / name]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for imported in _imports_of(path):
            root = imported.split(".")[0]
            assert root not in WEB_OR_DATABASE, f"{name} reaches {imported} via {path}"
            if root == "app":
                target = _module_file(imported)
                if target is not None:
                    todo.append(target)


def test_no_importlib_tricks_or_import_guards_for_the_apps_own_packages():
    offenders = []
    for path in APP.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and any(a.name == "importlib" for a in node.names):
                offenders.append(f"{path.relative_to(APP)}:{node.lineno} importlib")
            if isinstance(node, ast.Try):
                caught = {ast.unparse(handler.type) for handler in node.handlers if handler.type}
                guards = {"ImportError", "ModuleNotFoundError"}
                if caught & guards and any(
                    isinstance(n, ast.ImportFrom) and (n.module or "").startswith("app")
                    for n in ast.walk(node)
                ):
                    offenders.append(f"{path.relative_to(APP)}:{node.lineno} import guard")
    assert offenders == []
