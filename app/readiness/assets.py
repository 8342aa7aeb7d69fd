"""Plotly's JavaScript, served by the app itself from its vendored partial bundle.

Nothing is loaded from the internet (closed administration networks). The charts use only
scatter and bar traces, so the app ships plotly.js's "basic" distribution (1.19 MB, against
4.8 MB for the full bundle that the Python `plotly` package carries; the heat map is a shaded
HTML table). The file, its licence and its source are in app/static/vendor/plotly/. It is kept
in memory with a gzipped copy and served under a URL that carries the plotly.js version, so it
can be cached for a year and a new version gets a new URL.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, abort, request

from app.permissions import signed_in
from app.readiness.views import bp

PLOTLY_ENDPOINT = "readiness.plotly_js"
CACHE_FOR_A_YEAR = "private, max-age=31536000, immutable"
_VERSION_RE = re.compile(rb"plotly\.js \(basic - minified\) v([0-9][0-9A-Za-z.\-]*)")
BUNDLE_PATH = (
    Path(__file__).resolve().parents[1] / "static" / "vendor" / "plotly" / "plotly-basic.min.js"
)


@dataclass(frozen=True)
class Bundle:
    """The plotly.js bundle: its version, bytes, gzipped bytes and ETag."""

    version: str
    raw: bytes
    gzipped: bytes
    etag: str


@lru_cache(maxsize=1)
def plotly_bundle() -> Bundle:
    """Read the vendored plotly.js bundle once per process."""
    raw = BUNDLE_PATH.read_bytes()
    match = _VERSION_RE.search(raw[:500])
    version = match.group(1).decode("ascii") if match else "0"
    return Bundle(
        version=version,
        raw=raw,
        gzipped=gzip.compress(raw, compresslevel=6, mtime=0),
        etag=hashlib.sha256(raw).hexdigest()[:32],
    )


def plotly_version() -> str:
    """The version in the script's URL (templates call it through `plotly_url`)."""
    return plotly_bundle().version


@bp.get("/assets/plotly-<version>.min.js")
@signed_in
def plotly_js(version: str):
    """Serve plotly.js (gzipped when the browser accepts it), cacheable for a year."""
    bundle = plotly_bundle()
    if version != bundle.version:
        abort(404)
    if request.if_none_match.contains(bundle.etag):
        response = Response(status=304)
    elif "gzip" in request.accept_encodings:
        response = Response(bundle.gzipped, mimetype="text/javascript")
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(bundle.raw, mimetype="text/javascript")
    response.set_etag(bundle.etag)
    response.headers["Vary"] = "Accept-Encoding"
    return response


def _keep_cacheable(response: Response) -> Response:
    """Let the browser keep plotly.js: the platform marks every signed-in answer no-store.

    `add_security_headers` runs before this hook (app-level after_request hooks run in the
    reverse order of registration, and features register before the platform's hooks), so we
    restore caching for this one immutable, versioned asset.
    """
    if request.endpoint == PLOTLY_ENDPOINT and response.status_code in (200, 304):
        response.headers["Cache-Control"] = CACHE_FOR_A_YEAR
        response.headers.pop("Pragma", None)
    return response


def install(app: Flask) -> None:
    """Register the caching hook and the `plotly_url()` template helper."""
    app.after_request(_keep_cacheable)

    def plotly_url() -> str:
        from flask import url_for

        return url_for(PLOTLY_ENDPOINT, version=plotly_version())

    app.jinja_env.globals["plotly_url"] = plotly_url
