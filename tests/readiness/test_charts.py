"""Chart builders are pure: rows in, a Plotly figure (JSON-ready dict) out."""

from __future__ import annotations

import json
from datetime import date

from app.assessment import item_analysis_charts
from app.readiness import charts
from app.web import charts as web_charts

LABELS = {"x": "Day", "y": "Ready", "threshold": "Threshold", "due": "Due", "forecast": "Forecast"}


def test_trend_has_a_line_per_unit_the_threshold_due_date_and_forecast():
    days = [date(2027, 2, 1), date(2027, 2, 2)]
    figure = charts.readiness_trend(
        [charts.TrendSeries("A1", days, [0.1, 0.25]), charts.TrendSeries("A2", days, [None, 0.5])],
        threshold_percent=80,
        due_day=date(2027, 3, 1),
        labels=LABELS,
        projection=(date(2027, 2, 2), 0.25, date(2027, 3, 1), 0.9),
    )
    assert [trace["name"] for trace in figure["data"]] == ["A1", "A2", "Forecast"]
    assert figure["data"][0]["y"] == [10.0, 25.0]
    assert figure["data"][1]["y"] == [None, 50.0]
    assert figure["data"][2]["line"]["dash"] == "dash"
    shapes = figure["layout"]["shapes"]
    assert {s["x0"] for s in shapes if s["yref"] == "paper"} == {"2027-03-01"}
    assert {s["y0"] for s in shapes if s["yref"] == "y"} == {80}


def test_figure_json_carries_the_config_and_no_script():
    figure = charts.overdue_counts(["<script>alert(1)</script>"], [3], labels={"x": "n", "y": "u"})
    text = web_charts.figure_json(figure)
    data = json.loads(text)
    assert data["config"]["displayModeBar"] is False
    assert data["data"][0]["y"] == ["<script>alert(1)</script>"]  # escaped by the template


def test_score_distribution_and_bins():
    assert web_charts.bin_labels()[0] == "0–9" and web_charts.bin_labels()[-1] == "90–100"
    figure = web_charts.score_distribution([("Quiz", [0] * 9 + [4])], labels={"x": "s", "y": "n"})
    assert figure["data"][0]["y"][-1] == 4 and figure["data"][0]["type"] == "bar"


def test_facility_bars():
    figure = item_analysis_charts.facility_bars(
        ["q1", "q2"],
        [0.95, None],
        [0.3, -0.2],
        labels={"x": "q", "y": "i", "facility": "F", "discrimination": "D"},
    )
    assert figure["data"][0]["y"] == [95.0, None]
    assert figure["data"][1]["y"] == [30.0, -20.0]


def test_trend_draws_the_forecast_range_and_dates_in_the_readers_format():
    days = [date(2027, 2, 1), date(2027, 2, 2)]
    figure = charts.readiness_trend(
        [charts.TrendSeries("A1", days, [0.1, 0.25])],
        threshold_percent=80,
        due_day=date(2027, 3, 1),
        labels={**LABELS, "range": "Range"},
        projection=(date(2027, 2, 2), 0.25, date(2027, 3, 1), 0.6, 0.5, 0.8),
        date_format=("%d.%m.", "%d.%m.%Y"),
    )
    forecast = figure["data"][-1]
    assert forecast["error_y"]["array"] == [0, 20.0]
    assert forecast["error_y"]["arrayminus"] == [0, 10.0]
    assert forecast["customdata"][1] == [50, 80]
    assert figure["layout"]["xaxis"]["tickformat"] == "%d.%m."
    assert figure["layout"]["xaxis"]["title"]["text"] == "Day"


def test_worst_first_puts_the_units_most_at_risk_first():
    from app.readiness.forecast import DEADLINE_PACE, Projection
    from app.readiness.presenters import worst_first
    from app.readiness.queries.report import UnitReadiness
    from app.readiness.queries.scope import UnitNode
    from app.readiness.rules import Status

    def unit(name, status, ready, projected):
        node = UnitReadiness(UnitNode(hash(name) % 1000, name, name, "branch", 2, "/1/"))
        node.assigned, node.ready, node.status = 10, ready, status
        node.projection = Projection(DEADLINE_PACE, projected, 10, 0.0, 5)
        return node

    units = [
        unit("Alpha", Status.READY, 10, 10),
        unit("Bravo", Status.AT_RISK, 2, 5),
        unit("Charlie", Status.ON_TRACK, 6, 9),
        unit("Delta", Status.AT_RISK, 1, 3),
        unit("Echo", Status.TOO_EARLY, 0, 0),
    ]
    assert [u.unit.name for u in worst_first(units)] == [
        "Delta",
        "Bravo",
        "Echo",
        "Charlie",
        "Alpha",
    ]
