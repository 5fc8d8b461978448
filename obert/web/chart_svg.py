"""A chart as an SVG image, drawn on the server from the same numbers the page draws with Chart.js.

Chart.js draws only on a canvas, whose image is a PNG; a vector image for print and reports is drawn
here by pygal (bars, stacked bars and lines, several series, axis titles), with numbers written the way
the reader's language writes them. The image names itself for assistive technology: a `<title>` (the
chart's title) and a `<desc>` (every figure it shows, as text), referenced by `aria-labelledby`.
No script travels with it: the file is a picture, not an application.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pygal
from babel.numbers import format_decimal
from pygal.style import Style

from obert.tableservice.charts import ChartData
from obert.types import Lang

_WIDTH, _HEIGHT = 800, 500
# The portal's palette (obert.css), then colours far enough apart for the series beyond.
_COLOURS = ("#1f5fa6", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490", "#a16207", "#4b5563", "#9ca3af")
_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2937",
    foreground_strong="#111827",
    foreground_subtle="#6b7280",
    colors=_COLOURS,
    font_family="system-ui, 'Segoe UI', Roboto, 'Liberation Sans', Arial, sans-serif",
    title_font_size=18,
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    value_font_size=12,
)


@dataclass(frozen=True, slots=True)
class SvgWords:
    """What the image says, in the reader's language (the page's own words for the same chart)."""

    title: str
    axis: str  # the groups' axis
    measure: str  # the values' axis
    series: list[str]  # a name per series, in order
    no_data: str


def chart_svg(chart: ChartData, *, words: SvgWords, lang: Lang) -> bytes:
    """`chart` as an SVG document (UTF-8)."""
    number = _formatter(lang)
    stacked = chart.kind == "bar" and chart.series_by is not None and chart.measure.func != "avg"
    kind: Callable[..., Any] = (
        pygal.Line if chart.kind == "line" else pygal.StackedBar if stacked else pygal.Bar
    )
    labels = ["—" if v is None else str(v) for v in chart.labels]
    graph = kind(
        width=_WIDTH,
        height=_HEIGHT,
        style=_STYLE,
        title=words.title,
        x_title=words.axis,
        y_title=words.measure,
        show_legend=chart.series_by is not None,
        legend_at_bottom=True,
        value_formatter=number,
        x_label_rotation=30 if chart.kind == "bar" and len(labels) > 8 else 0,
        show_minor_x_labels=len(labels) <= 24,
        x_labels_major_count=12,
        truncate_label=40,
        truncate_legend=30,
        include_x_axis=chart.kind == "bar",  # bars stand on zero; a line shows its own range
        no_data_text=words.no_data,
        js=[],  # pygal's default loads a tooltip script from a third party
        allow_interruptions=True,  # a missing figure leaves a gap rather than a made-up line
        dots_size=3,
    )
    graph.x_labels = labels
    for name, series in zip(words.series, chart.series, strict=False):
        graph.add(name, list(series.values))
    graph.add_xml_filter(_Accessible(words.title, _description(chart, words, number)))
    out: bytes = graph.render()
    return out


def _formatter(lang: Lang) -> Callable[[float | int | None], str]:
    def number(value: float | int | None) -> str:
        if value is None:
            return "—"
        if isinstance(value, float) and not value.is_integer():
            return str(format_decimal(round(value, 2), locale=lang))
        return str(format_decimal(int(value), locale=lang))

    return number


def _description(chart: ChartData, words: SvgWords, number: Callable[[float | int | None], str]) -> str:
    parts = []
    for name, series in zip(words.series, chart.series, strict=False):
        figures = "; ".join(
            f"{'—' if label is None else label}: {number(value)}"
            for label, value in zip(chart.labels, series.values, strict=True)
        )
        parts.append(f"{name} — {figures}." if len(chart.series) > 1 else f"{words.measure} — {figures}.")
    return " ".join(parts) or words.no_data


class _Accessible:
    """Gives the image its `<title>` and `<desc>` first, as SVG's accessibility rules ask, and the
    role that makes screen readers read it as one picture."""

    def __init__(self, title: str, desc: str) -> None:
        self.title = title
        self.desc = desc

    def __call__(self, root: Any) -> Any:
        # pygal always writes its tooltips' settings as a script; an image file carries none.
        for parent in list(root.iter()):
            for child in [c for c in parent if c.tag == "script"]:
                parent.remove(child)
        ident = root.get("id")
        title = root.makeelement("title", {"id": f"{ident}-title"})
        title.text = self.title
        desc = root.makeelement("desc", {"id": f"{ident}-desc"})
        desc.text = self.desc
        root.insert(0, desc)
        root.insert(0, title)
        root.set("role", "img")
        root.set("aria-labelledby", f"{ident}-title")
        root.set("aria-describedby", f"{ident}-desc")
        root.set("width", str(_WIDTH))
        root.set("height", str(_HEIGHT))
        return root
