"""Plotly figures built from plain rows: the shared look and the charts several pages draw.

Pure: no Flask, no database, no plotly import. Each builder returns a figure as a dict
(`{"data": [...], "layout": {...}}`); `figure_json` turns it into the JSON that a template puts
in a `data-figure` attribute, where the static script `readiness-charts.js` reads it and calls
`Plotly.newPlot` (the page's CSP allows no inline script). Labels arrive already translated;
learner-written text never goes in a figure. Colours come from a colour-blind-safe palette
dark enough for 3:1 against white. Feature charts build on `layout` and `axis`
(`app.readiness.charts`, `app.assessment.item_analysis_charts`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
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


def layout(**extra: Any) -> dict[str, Any]:
    """The shared layout of every figure, with `extra` keys added or replaced."""
    result: dict[str, Any] = {
        "autosize": True,
        "height": 360,
        "margin": {"l": 60, "r": 20, "t": 20, "b": 60},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font": {"family": "system-ui, sans-serif", "size": 13, "color": INK},
        "hoverlabel": {"font": {"size": 13}},
        "legend": {"orientation": "h", "y": -0.2},
    }
    result.update(extra)
    return result


def axis(title: str, **extra: Any) -> dict[str, Any]:
    """An axis in the shared style, titled `title`."""
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


def count_axis(title: str, counts: Sequence[int], **extra: Any) -> dict[str, Any]:
    """An axis of whole numbers (people): no 0.2-person ticks on small counts."""
    top = max(counts, default=0)
    return axis(title, rangemode="tozero", tick0=0, dtick=max(1, math.ceil(top / 8)), **extra)


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
        "layout": layout(
            barmode="group",
            xaxis=axis(labels["x"]),
            yaxis=count_axis(labels["y"], [n for _name, counts in series for n in counts]),
        ),
    }
