"""Plotly is served by the app from its vendored partial bundle: no CDN, cacheable, gzipped."""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from datetime import date
from pathlib import Path

from app.assessment import item_analysis_charts
from app.readiness import charts
from app.readiness.assets import plotly_bundle
from app.web import charts as web_charts
from tests.conftest import login_as
from tests.factories import make_org, make_user

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates" / "readiness"


def test_plotly_comes_from_the_app_with_a_long_cache(client, app):
    login_as(client, make_user(make_org().branch_a1))
    bundle = plotly_bundle()
    url = f"/readiness/assets/plotly-{bundle.version}.min.js"
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.mimetype == "text/javascript"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert gzip.decompress(response.get_data()).startswith(b"/**")
    plain = client.get(url)
    assert plain.headers.get("Content-Encoding") is None and plain.get_data() == bundle.raw
    etag = response.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/readiness/assets/plotly-0.0.1.min.js").status_code == 404


def test_plotly_needs_a_signed_in_user(client):
    response = client.get(f"/readiness/assets/plotly-{plotly_bundle().version}.min.js")
    assert response.status_code == 302


def test_no_template_loads_anything_from_another_site_or_runs_inline_code():
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text()
        assert not re.search(r'src="https?://', text), path
        assert "cdn" not in text.lower(), path
        assert "<script>" not in text and " style=" not in text, path


def test_the_stylesheet_lets_plotly_skip_its_inline_styles():
    macros = (TEMPLATES / "_macros.html").read_text()
    assert 'id="plotly.js-style-global" class="no-inline-styles"' in macros
    css = (TEMPLATES.parents[1] / "static" / "css" / "readiness.css").read_text()
    assert ".js-plotly-plot .plotly .main-svg" in css


def test_the_partial_bundle_is_small_and_draws_every_trace_the_charts_use():
    bundle = plotly_bundle()
    assert len(bundle.raw) <= 1_200_000
    registered = set(re.findall(rb'moduleType:"trace",name:"([a-z0-9]+)"', bundle.raw))
    labels = defaultdict(lambda: "label")
    day = date(2027, 2, 1)
    figures = [
        charts.readiness_trend(
            [charts.TrendSeries("A1", [day], [0.5])],
            threshold_percent=80,
            due_day=date(2027, 3, 1),
            labels=labels,
            projection=(day, 0.5, date(2027, 3, 1), 0.9, 0.7, 1.0),
        ),
        charts.overdue_counts(["A1"], [3], labels=labels),
        web_charts.score_distribution([("Quiz", [0] * 9 + [4])], labels=labels),
        item_analysis_charts.facility_bars(["Q1"], [0.5], [0.2], labels=labels),
    ]
    used = {trace["type"].encode() for figure in figures for trace in figure["data"]}
    assert used and used <= registered, used - registered
