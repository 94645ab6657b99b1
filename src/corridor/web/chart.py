"""The dashboard's chart of movements per day and checkpoint, drawn on the server.

pygal writes the SVG in pure Python: nothing is fetched from a CDN and no browser
script draws it. The page's Content-Security-Policy forbids inline styles and
scripts, and pygal's SVG carries a `<style>` and a configuration `<script>`, so the
chart is not put into the page's markup: it is an image, `<img src="data:...">`
(the policy's `img-src 'self' data:`), a document of its own in which no script ever
runs, and pygal's interactive script is never referenced (`js=[]`). What it shows is
also in a table beside it, for screen readers and for reading right to left.
"""

from __future__ import annotations

import base64
from typing import Any

import pygal  # no type information: mypy takes it as Any
from pygal.style import Style

from corridor.web.i18n import Translator

WIDTH, HEIGHT = 880, 360
# corridor.css's palette: a checkpoint each, then arrivals in green.
STYLE = Style(background="#ffffff", plot_background="#ffffff", foreground="#111111",
              foreground_strong="#111111", foreground_subtle="#6b6b6b",
              font_family="system-ui, 'Noto Sans', 'Noto Sans Arabic', sans-serif",
              label_font_size=13, major_label_font_size=13, legend_font_size=14,
              colors=("#0b4f8a", "#5b8fc7", "#9fc0e3", "#1b5e20", "#6b6b6b"),
              opacity="1", opacity_hover="1", transition="0ms")


def movements_svg(days: dict[str, dict[str, Any]], names: dict[str, str],
                  t: Translator) -> str:
    """The chart as SVG text: a bar per series (checkpoint, or arrivals) per day.
    `days` is the dashboard's `movements`, as shaped for the reader: a partner's
    suppressed cell ("<5") is left out, not drawn as a number it is not."""
    chart = pygal.Bar(style=STYLE, width=WIDTH, height=HEIGHT, js=[], legend_at_bottom=True,
                      legend_at_bottom_columns=2, truncate_legend=-1, disable_xml_declaration=True,
                      show_y_guides=True, print_values=False, margin=12,
                      no_data_text=t("dashboard.chart_empty"))
    chart.x_labels = [day_label(day, t) for day in days]
    series = next(iter(days.values()), {})
    for key in series:
        chart.add(names.get(key, key), [
            row[key] if isinstance(row[key], int) else None for row in days.values()])
    return str(chart.render(is_unicode=True))


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def day_label(day: str, t: Translator) -> str:
    """"15/12" from "2016-12-15", as the catalogue orders day and month."""
    _, month, date = day.split("-")
    return t("dashboard.day", day=int(date), month=int(month))
