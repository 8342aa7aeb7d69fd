"""The plain-language blueprint, who may use its pages and the name of its permission rule."""

from __future__ import annotations

from flask import Blueprint

from app.people.models import Role

bp = Blueprint("plain_language", __name__, url_prefix="/plain-language")

EDIT_ENTRY = "plain_language.edit_entry"
AUTHORS = (Role.TRAINER, Role.ADMIN)
