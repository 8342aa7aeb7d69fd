"""Plotly figures built from plain rows (pure: no Flask, no database, no plotly import).

Each builder returns a figure as a dict (`{"data": [...], "layout": {...}}`); `figure_json`
turns it into the JSON that a template puts in a `data-figure` attribute, where the static
script `readiness-charts.js` reads it and calls `Plotly.newPlot` (the page's CSP allows no
inline script). Labels arrive already translated; learner-written text never goes in a figure.
Colours come from a colour-blind-safe palette dark enough for 3:1 against white.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

PALETTE = (
    "#0b5394",
    "#a4161a",
    "#1b6e2d",
    "#8a5300",
    "#5b2a86",
    "#00707a",
    "#4a5563",
    "#b03a7a",
)
INK = "#1d2733"
GRID = "#d5dbe3"
# Light to dark blue: the darkest cells carry white text, the lightest dark text (Plotly
# picks the text colour by contrast).
BIN_WIDTH = 10

CONFIG = {"displayModeBar": False, "responsive": True, "displaylogo": False}


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "autosize": True,
        "height": 360,
        "margin": {"l": 60, "r": 20, "t": 20, "b": 60},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font": {"family": "system-ui, sans-serif", "size": 13, "color": INK},
        "hoverlabel": {"font": {"size": 13}},
        "legend": {"orientation": "h", "y": -0.2},
    }
    layout.update(extra)
    return layout


def _axis(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "gridcolor": GRID,
        "linecolor": INK,
        "zeroline": False,
        "automargin": True,
        **extra,
    }


def figure_json(figure: dict[str, Any]) -> str:
    """Serialise a figure (with the shared config) for a `data-figure` attribute."""
    return json.dumps({**figure, "config": CONFIG}, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class TrendSeries:
    """One unit's readiness over time: days and shares (0..1)."""

    name: str
    days: Sequence[date]
    shares: Sequence[float | None]


def readiness_trend(
    series: Sequence[TrendSeries],
    *,
    threshold_percent: int | None,
    due_day: date,
    labels: dict[str, str],
    projection: tuple[Any, ...] | None = None,
    date_format: tuple[str, str] = ("%d.%m.", "%d.%m.%Y"),
) -> dict[str, Any]:
    """Readiness share per day for some units, with the threshold, the due date and the forecast.

    `labels` holds the translated texts: `x`, `y`, `threshold`, `due`, `forecast` (and
    `range`, the name of the forecast's range). `projection` is (today, today's share, due day,
    projected share), optionally followed by the low and high shares of the range, drawn as an
    error bar on the due date. `date_format` is the d3 format of the axis ticks and of the
    hover labels, so that dates follow the reader's language.
    """
    data: list[dict[str, Any]] = []
    for index, item in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": item.name,
                "x": [day.isoformat() for day in item.days],
                "y": [None if s is None else round(100 * s, 1) for s in item.shares],
                "line": {"color": color, "width": 2},
                "marker": {"size": 6},
                "hovertemplate": "%{x}: %{y:.0f} %<extra>%{fullData.name}</extra>",
            }
        )
    if projection is not None:
        start_day, start_share, end_day, end_share = projection[:4]
        trace: dict[str, Any] = {
            "type": "scatter",
            "mode": "lines",
            "name": labels["forecast"],
            "x": [start_day.isoformat(), end_day.isoformat()],
            "y": [round(100 * start_share, 1), round(100 * end_share, 1)],
            "line": {"color": PALETTE[0], "width": 2, "dash": "dash"},
            "hovertemplate": "%{x}: %{y:.0f} %<extra>%{fullData.name}</extra>",
        }
        if len(projection) == 6 and projection[4] is not None and projection[5] is not None:
            low, high = projection[4], projection[5]
            trace["mode"] = "lines+markers"
            trace["error_y"] = {
                "type": "data",
                "symmetric": False,
                "array": [0, round(100 * (high - end_share), 1)],
                "arrayminus": [0, round(100 * (end_share - low), 1)],
                "color": PALETTE[0],
                "thickness": 2,
                "width": 8,
            }
            trace["customdata"] = [
                [round(100 * start_share), round(100 * start_share)],
                [round(100 * low), round(100 * high)],
            ]
            trace["hovertemplate"] = (
                "%{x}: %{y:.0f} % (%{customdata[0]}–%{customdata[1]} %)"
                f"<extra>{labels.get('range', labels['forecast'])}</extra>"
            )
        data.append(trace)
    shapes: list[dict[str, Any]] = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": due_day.isoformat(),
            "x1": due_day.isoformat(),
            "y0": 0,
            "y1": 1,
            "line": {"color": INK, "width": 2, "dash": "dot"},
        }
    ]
    annotations: list[dict[str, Any]] = [
        {
            "xref": "x",
            "yref": "paper",
            "x": due_day.isoformat(),
            "y": 1,
            "text": labels["due"],
            "showarrow": False,
            "xanchor": "right",
            "yanchor": "bottom",
        }
    ]
    if threshold_percent is not None:
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": threshold_percent,
                "y1": threshold_percent,
                "line": {"color": PALETTE[1], "width": 2, "dash": "dash"},
            }
        )
        annotations.append(
            {
                "xref": "paper",
                "yref": "y",
                "x": 0,
                "y": threshold_percent,
                "text": labels["threshold"],
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "bottom",
            }
        )
    return {
        "data": data,
        "layout": _layout(
            xaxis=_axis(
                labels["x"], type="date", tickformat=date_format[0], hoverformat=date_format[1]
            ),
            yaxis=_axis(labels["y"], range=[0, 105], ticksuffix=" %"),
            shapes=shapes,
            annotations=annotations,
        ),
    }


def _count_axis(title: str, counts: Sequence[int], **extra: Any) -> dict[str, Any]:
    """An axis of whole numbers (people): no 0.2-person ticks on small counts."""
    top = max(counts, default=0)
    return _axis(title, rangemode="tozero", tick0=0, dtick=max(1, math.ceil(top / 8)), **extra)


def bin_labels(width: int = BIN_WIDTH) -> list[str]:
    """Return the labels of score bins: "0–9", "10–19" ... "90–100"."""
    labels = [f"{start}–{start + width - 1}" for start in range(0, 100, width)]
    labels[-1] = f"{100 - width}–100"
    return labels


def score_distribution(
    series: Sequence[tuple[str, Sequence[int]]], *, labels: dict[str, str]
) -> dict[str, Any]:
    """Quiz scores in bins of 10 points, one bar series per quiz."""
    x = bin_labels()
    return {
        "data": [
            {
                "type": "bar",
                "name": name,
                "x": x,
                "y": list(counts),
                "marker": {"color": PALETTE[index % len(PALETTE)]},
                "hovertemplate": "%{x}: %{y}<extra>%{fullData.name}</extra>",
            }
            for index, (name, counts) in enumerate(series)
        ],
        "layout": _layout(
            barmode="group",
            xaxis=_axis(labels["x"]),
            yaxis=_count_axis(labels["y"], [n for _name, counts in series for n in counts]),
        ),
    }


def overdue_counts(
    units: Sequence[str], counts: Sequence[int], *, labels: dict[str, str]
) -> dict[str, Any]:
    """Overdue people per unit, as horizontal bars."""
    height = max(240, 80 + 30 * len(units))
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": list(counts),
                "y": list(units),
                "marker": {"color": PALETTE[1]},
                "hovertemplate": "%{y}: %{x}<extra></extra>",
            }
        ],
        "layout": _layout(
            height=height,
            margin={"l": 160, "r": 20, "t": 20, "b": 60},
            xaxis=_count_axis(labels["x"], counts),
            yaxis=_axis(labels["y"], autorange="reversed"),
            showlegend=False,
        ),
    }


def facility_bars(
    questions: Sequence[str],
    facility: Sequence[float | None],
    discrimination: Sequence[float | None],
    *,
    labels: dict[str, str],
) -> dict[str, Any]:
    """Facility and discrimination per question, with the too-easy and too-hard lines."""
    return {
        "data": [
            {
                "type": "bar",
                "name": labels["facility"],
                "x": list(questions),
                "y": [None if v is None else round(100 * v, 1) for v in facility],
                "marker": {"color": PALETTE[0]},
                "hovertemplate": "%{x}: %{y:.0f} %<extra>%{fullData.name}</extra>",
            },
            {
                "type": "bar",
                "name": labels["discrimination"],
                "x": list(questions),
                "y": [None if v is None else round(100 * v, 1) for v in discrimination],
                "marker": {"color": PALETTE[3]},
                "hovertemplate": "%{x}: %{y:.0f}<extra>%{fullData.name}</extra>",
            },
        ],
        "layout": _layout(
            barmode="group",
            xaxis=_axis(labels["x"], type="category"),
            yaxis=_axis(labels["y"], range=[-100, 100]),
            shapes=[
                {
                    "type": "line",
                    "xref": "paper",
                    "yref": "y",
                    "x0": 0,
                    "x1": 1,
                    "y0": level,
                    "y1": level,
                    "line": {"color": INK, "width": 1, "dash": "dot"},
                }
                for level in (20, 90)
            ],
        ),
    }
