"""The attestations blueprint, shared by the confirmation, sign-in and record pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("attestations", __name__, url_prefix="/attestations")
