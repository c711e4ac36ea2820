"""The progress page's charts: SVG drawn on the server by pygal and shown as images (an SVG
image runs no script and loads nothing, so the Content-Security-Policy holds), each with the
same numbers as a table for screen readers (`Chart.rows`). The page lists the charts and their
tables at once; each image is drawn when the browser asks for it (analytics/views.py)."""

import base64
import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pygal
from pygal.style import Style

from analytics.selectors import EXAM_SECONDS_PER_QUESTION, Progress
from questions.models import OrganSystem

STYLE = Style(
    background="transparent", plot_background="transparent", foreground="#1c2333", foreground_strong="#1c2333",
    foreground_subtle="#8a93a6", colors=("#3b6fd8", "#1f9d55", "#d9822b", "#9b51e0", "#d64545", "#0f9fb4"),
    font_family="system-ui, sans-serif", label_font_size=13, major_label_font_size=13, legend_font_size=13,
    value_font_size=12, title_font_size=15,
)  # fmt: skip
TOP_TOPICS = 5


@dataclass
class Chart:
    key: str
    title: str
    summary: str  # the image's alt text
    draw: Callable[..., str]  # the chart's pygal `render`: drawn only when the image is asked for
    headers: list[str]
    rows: list[list]

    @property
    def svg(self) -> str:
        return self.draw(is_unicode=True)

    @property
    def src(self) -> str:
        """The image inline, as a data: URI (the admin's one chart)."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()


def _chart(kind, **options):
    return kind(style=STYLE, js=[], disable_xml_declaration=True, width=860, height=320, margin=12,
                show_y_guides=True, print_values=False, legend_at_bottom=True, truncate_legend=40,
                x_label_rotation=0, show_minor_x_labels=False, truncate_label=-1, **options)  # fmt: skip


def _buckets(progress: Progress) -> list[tuple[str, list[datetime.date]]]:
    """Days for short ranges, weeks (from Monday) beyond 31 days."""
    days = sorted(progress.days)
    if len(days) <= 31:
        return [(d.strftime("%d %b"), [d]) for d in days]
    weeks: dict[datetime.date, list] = {}
    for d in days:
        weeks.setdefault(d - datetime.timedelta(days=d.weekday()), []).append(d)
    return [(f"{monday:%d %b}", ds) for monday, ds in weeks.items()]  # a week by its Monday


def _pct(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _accuracy(key, title, breakdown, progress, buckets, every, period, names=None) -> Chart:
    """Percent correct per period of the most answered topics (or organ systems: `breakdown`
    names the Day's dict), one line each."""
    names = names or {}
    totals: dict[str, int] = {}
    for day in progress.days.values():
        for name, (n, _) in getattr(day, breakdown).items():
            totals[name] = totals.get(name, 0) + n
    shown = sorted(totals, key=lambda t: -totals[t])[:TOP_TOPICS]
    labels = [names.get(name, name) for name in shown]
    line = _chart(pygal.Line, range=(0, 100), y_title="% correct", x_labels_major_every=every)
    line.x_labels = [label for label, _ in buckets]
    series = []
    for name, label in zip(shown, labels, strict=True):
        pairs = [[getattr(progress.days[d], breakdown).get(name, [0, 0]) for d in ds] for _, ds in buckets]
        values = [_pct(sum(c for _, c in ps), sum(n for n, _ in ps)) for ps in pairs]
        series.append(values)
        line.add(label, values, allow_interruptions=True)
    rows = [[bucket, *(values[i] for values in series)] for i, (bucket, _) in enumerate(buckets)]
    summary = f"Percent correct over time for {', '.join(labels) or 'nothing answered yet'}"
    return Chart(key, title, summary, line.render, [period, *labels], rows)


def progress_charts(progress: Progress) -> list[Chart]:
    buckets = _buckets(progress)
    labels = [label for label, _ in buckets]
    every = max(1, -(-len(labels) // 8))  # at most about eight labels under a chart
    period = "Week of" if len(progress.days) > 31 else "Day"
    charts = []

    charts.append(_accuracy("accuracy", "Accuracy by topic", "topics", progress, buckets, every, period))
    charts.append(_accuracy("systems", "Accuracy by organ system", "systems", progress, buckets, every, period,
                            names=dict(OrganSystem.choices)))  # fmt: skip

    bars = _chart(pygal.HorizontalBar, range=(0, 100), x_title="percentile among peers", show_legend=False)
    bars.x_labels = [t for t, _, _ in progress.percentiles]
    bars.add("Percentile", [round(p) for _, p, _ in progress.percentiles])
    charts.append(Chart("percentiles", "Where you stand among other students",
                        "Your percentile among peers per topic", bars.render,
                        ["Topic", "Percentile", "Peers"], [[t, round(p), n] for t, p, n in progress.percentiles]))  # fmt: skip

    counts = [sum(progress.days[d].attempted for d in ds) for _, ds in buckets]
    per_day = _chart(pygal.Bar, show_legend=False, y_title="questions", x_labels_major_every=every)
    per_day.x_labels = labels
    per_day.add("Questions", counts)
    charts.append(Chart("questions", "Questions answered", "Questions answered per period",
                        per_day.render, [period, "Questions"],
                        [list(r) for r in zip(labels, counts, strict=True)]))  # fmt: skip

    retention = [_pct(sum(progress.days[d].recalled for d in ds), sum(progress.days[d].reviewed for d in ds))
                 for _, ds in buckets]  # fmt: skip
    recall = _chart(pygal.Line, range=(0, 100), y_title="% recalled", x_labels_major_every=every)
    recall.x_labels = labels
    recall.add("True retention", retention, allow_interruptions=True)
    target = round(100 * progress.target_retention) if progress.target_retention else None
    if target:
        recall.add("Target", [target] * len(labels), show_dots=False, stroke_style={"width": 3})
    charts.append(Chart("retention", "True retention against the scheduler's target",
                        "Share of reviews recalled per period" + (f", target {target}%" if target else ""),
                        recall.render, [period, "Recalled %", "Target %"],
                        [[label, r, target] for label, r in zip(labels, retention, strict=True)]))  # fmt: skip

    running, xp_values = 0, []
    for _, ds in buckets:
        running += sum(progress.days[d].xp for d in ds)
        xp_values.append(running)
    xp = _chart(pygal.Line, show_legend=False, y_title="XP in the range", fill=True, x_labels_major_every=every)
    xp.x_labels = labels
    xp.add("XP", xp_values)
    charts.append(Chart("xp", "XP over time", "XP earned, added up over the range", xp.render,
                        [period, "XP so far"], [list(r) for r in zip(labels, xp_values, strict=True)]))  # fmt: skip

    hours = _chart(pygal.Bar, show_legend=False, y_title="answers", x_labels_major_every=3)
    hours.x_labels = [f"{h:02d}" for h in range(24)]
    hours.add("Answers", progress.hours)
    charts.append(Chart("hours", "When you study", "Answers by hour of the day, your time",
                        hours.render, ["Hour", "Answers"],
                        [[f"{h:02d}:00", n] for h, n in enumerate(progress.hours)]))  # fmt: skip

    pace = [round(sum(progress.days[d].seconds for d in ds) / n) if (n := sum(progress.days[d].attempted for d in ds))
            else None for _, ds in buckets]  # fmt: skip
    timing = _chart(pygal.Line, y_title="seconds per question", x_labels_major_every=every)
    timing.x_labels = labels
    timing.add("Your time", pace, allow_interruptions=True)
    timing.add("Exam pace (90 s)", [EXAM_SECONDS_PER_QUESTION] * len(labels), show_dots=False,
               stroke_style={"width": 3})  # fmt: skip
    charts.append(Chart("pace", "Time per question against the exam's 90 s", "Average seconds per question per period",
                        timing.render, [period, "Seconds per question"],
                        [list(r) for r in zip(labels, pace, strict=True)]))  # fmt: skip
    return charts
