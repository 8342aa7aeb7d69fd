"""Reads for module packages: the origin and licence of a module, for trainers and learners."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.models import Module
from app.module_packages.package_format.manifest import licence_url


@dataclass(frozen=True)
class ModuleOrigin:
    """Where an imported module came from and under which licence (plain labels, escaped)."""

    title: str
    provider: str
    installation: str
    installation_host: str
    original_slug: str
    content_version: int | None
    licence: str
    licence_url: str | None
    licence_text: str | None
    upstream: tuple[dict[str, Any], ...]


def origin_of(module: Module) -> ModuleOrigin | None:
    """The origin of a module imported from a package, or None for a module written here."""
    return _origin(module.origin, module.licence_spdx, module.licence_url, module.licence_text)


def origin_by_module_id(session: Session, module_id: int) -> ModuleOrigin | None:
    """The origin line of a module, looked up by id (for the learner's module page)."""
    row = session.execute(
        select(Module.origin, Module.licence_spdx, Module.licence_url, Module.licence_text).where(
            Module.id == module_id
        )
    ).first()
    if row is None:
        return None
    return _origin(*row)


def _origin(
    origin: dict[str, Any] | None, spdx: str | None, url: str | None, text: str | None
) -> ModuleOrigin | None:
    if not origin:
        return None
    installation = str(origin.get("installation", ""))
    version = origin.get("content_version")
    # Only an http(s) address becomes a link; anything else stays plain text.
    shown_url = url if url and url.startswith(("https://", "http://")) else None
    return ModuleOrigin(
        title=str(origin.get("title", "")),
        provider=str(origin.get("provider", "")),
        installation=installation,
        installation_host=urlsplit(installation).netloc or installation,
        original_slug=str(origin.get("slug", "")),
        content_version=version if isinstance(version, int) else None,
        licence=spdx or "",
        licence_url=shown_url or (licence_url(spdx) if spdx else None),
        licence_text=text,
        upstream=tuple(item for item in origin.get("upstream", []) if isinstance(item, dict)),
    )
