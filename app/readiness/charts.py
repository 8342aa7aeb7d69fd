"""The readiness charts: readiness over time and overdue people per unit (pure; the shared
look and `figure_json` are in `app.web.charts`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.web.charts import INK, PALETTE, axis, count_axis, layout


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
    data = [_unit_trace(index, item) for index, item in enumerate(series)]
    if projection is not None:
        data.append(_forecast_trace(projection, labels))
    shapes, annotations = _due_marks(due_day, labels["due"])
    if threshold_percent is not None:
        shape, annotation = _threshold_marks(threshold_percent, labels["threshold"])
        shapes.append(shape)
        annotations.append(annotation)
    return {
        "data": data,
        "layout": layout(
            xaxis=axis(
                labels["x"], type="date", tickformat=date_format[0], hoverformat=date_format[1]
            ),
            yaxis=axis(labels["y"], range=[0, 105], ticksuffix=" %"),
            shapes=shapes,
            annotations=annotations,
        ),
    }


def _unit_trace(index: int, item: TrendSeries) -> dict[str, Any]:
    """One unit's line, in the palette's colour for its place."""
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": item.name,
        "x": [day.isoformat() for day in item.days],
        "y": [None if s is None else round(100 * s, 1) for s in item.shares],
        "line": {"color": PALETTE[index % len(PALETTE)], "width": 2},
        "marker": {"size": 6},
        "hovertemplate": "%{x}: %{y:.0f} %<extra>%{fullData.name}</extra>",
    }


def _forecast_trace(projection: tuple[Any, ...], labels: dict[str, str]) -> dict[str, Any]:
    """The dashed forecast from today to the due date, with its range as an error bar."""
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
    return trace


def _due_marks(due_day: date, text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The due date's vertical dotted line and its label (lists, to add the threshold's)."""
    shape = {
        "type": "line",
        "xref": "x",
        "yref": "paper",
        "x0": due_day.isoformat(),
        "x1": due_day.isoformat(),
        "y0": 0,
        "y1": 1,
        "line": {"color": INK, "width": 2, "dash": "dot"},
    }
    annotation = {
        "xref": "x",
        "yref": "paper",
        "x": due_day.isoformat(),
        "y": 1,
        "text": text,
        "showarrow": False,
        "xanchor": "right",
        "yanchor": "bottom",
    }
    return [shape], [annotation]


def _threshold_marks(percent: int, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The rule's threshold: a horizontal dashed line and its label."""
    shape = {
        "type": "line",
        "xref": "paper",
        "yref": "y",
        "x0": 0,
        "x1": 1,
        "y0": percent,
        "y1": percent,
        "line": {"color": PALETTE[1], "width": 2, "dash": "dash"},
    }
    annotation = {
        "xref": "paper",
        "yref": "y",
        "x": 0,
        "y": percent,
        "text": text,
        "showarrow": False,
        "xanchor": "left",
        "yanchor": "bottom",
    }
    return shape, annotation


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
        "layout": layout(
            height=height,
            margin={"l": 160, "r": 20, "t": 20, "b": 60},
            xaxis=count_axis(labels["x"], counts),
            yaxis=axis(labels["y"], autorange="reversed"),
            showlegend=False,
        ),
    }
