"""The item analysis chart: facility and discrimination per question (pure, see
`app.web.charts`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.web.charts import INK, PALETTE, axis, layout


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
        "layout": layout(
            barmode="group",
            xaxis=axis(labels["x"], type="category"),
            yaxis=axis(labels["y"], range=[-100, 100]),
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
