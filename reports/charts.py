"""
The report's 12-week trend as a server-rendered SVG: no chart library, no script, and
readable without colour — the two series differ by line style and marker shape, carry
their names at the line ends and their values at every point, and the same numbers are
on the page as a table for screen readers.
"""

from dataclasses import dataclass, replace

from django.utils.formats import date_format
from django.utils.translation import gettext as _

WIDTH = 720
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 44, 86, 20, 44


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: int
    label_y: float | None  # None: left out, it would overprint another series' value

    @property
    def box_x(self):
        return round(self.x - 4, 1)

    @property
    def box_y(self):
        return round(self.y - 4, 1)


@dataclass(frozen=True)
class Series:
    key: str
    name: str
    points: list
    path: str

    @property
    def end(self):
        return self.points[-1]

    @property
    def name_x(self):
        return round(self.end.x + 10, 1)


def axis_top(value):
    """The axis top: four equal whole steps of 1, 2, 2.5 or 5 times a power of ten."""
    magnitude = 1
    while True:
        for multiple in (1, 2, 2.5, 5):
            step = multiple * magnitude
            if step == int(step) and 4 * step >= value:
                return int(4 * step)
        magnitude *= 10


def trend_chart(weeks):
    """Geometry for templates/reports/_trend_chart.html from `history.summary()`."""
    top_value = axis_top(max([p.on_track for p in weeks] + [p.off_track for p in weeks]
                             + [p.paused for p in weeks] + [0]))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(weeks) - 1, 1)

    def y_of(value):
        return round(TOP + plot_h - plot_h * value / top_value, 1)

    def label_y(y, below):
        # Off track's values sit under its points, unless that would be on the axis labels.
        return y + 16 if below and y + 16 < HEIGHT - BOTTOM else y - 8

    def series(key, name, below):
        points = [
            Point(x=round(LEFT + i * step, 1), y=y_of(getattr(week, key)),
                  value=getattr(week, key), label_y=label_y(y_of(getattr(week, key)), below))
            for i, week in enumerate(weeks)
        ]
        path = " ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(points))
        return Series(key=key, name=name, points=points, path=path)

    on = series("on_track", _("On track"), below=False)
    off = series("off_track", _("Off track"), below=True)
    # Paused only where something was: most programmes never pause, and their chart stays two.
    paused = [series("paused", _("Paused"), below=True)] if any(w.paused for w in weeks) else []
    on, off, *paused = _separated([on, off, *paused], label_y)
    gridlines = [
        {"y": y_of(top_value * i / 4), "value": _fmt(top_value * i / 4)} for i in range(5)
    ]
    xlabels = [
        {"x": round(LEFT + i * step, 1), "text": date_format(week.week_start, "j M")}
        for i, week in enumerate(weeks)
    ]
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "axis_x": LEFT - 6, "right": WIDTH - RIGHT,
        "bottom": HEIGHT - BOTTOM, "xlabel_y": HEIGHT - BOTTOM + 18,
        "series": [on, off, *paused], "gridlines": gridlines, "xlabels": xlabels, "weeks": weeks,
    }


# Two values' labels closer than this (in the SVG's units, about their text's height) print
# over each other.
LABEL_GAP = 12


def _separated(series_list, label_y):
    """
    The series with their value labels kept apart: where a week's label would print over an
    earlier series' one (off track and paused both near 0), it moves to the other side of its
    point, or one line higher, or, with no room there either, is left out — the numbers are
    in the table under the chart.
    """
    points = [list(s.points) for s in series_list]
    for week in range(len(points[0]) if points else 0):
        placed, markers = [], [row[week].y for row in points]
        for row in points:
            point = row[week]
            above, below = label_y(point.y, False), label_y(point.y, True)
            options = [point.label_y, below if point.label_y == above else above,
                       above - LABEL_GAP]
            chosen = next((y for y in options if _free(y, point.y, placed, markers)), None)
            row[week] = replace(point, label_y=chosen)
            if chosen is not None:
                placed.append(chosen)
    return [replace(s, points=row) for s, row in zip(series_list, points, strict=True)]


def _free(y, own, labels, markers):
    """Whether a label at baseline `y` clears the other labels and the other series' markers."""
    # A label's text stands above its baseline; a marker is 8 units across.
    return (all(abs(y - other) >= LABEL_GAP for other in labels)
            and all(not m - 5 < y < m + 15 for m in markers if m != own))


def _fmt(value):
    return str(int(value)) if value == int(value) else f"{value:g}"
