"""The progress page. What it shows of a student is cached, one entry per date range, under
`studyin:user:{id}:progress:{range}` (studyin/cache.py), until their next answer: the page's
rendered body, the numbers behind it, and each chart's SVG once the browser has asked for it.
The page lists its charts as images at once; each is drawn on its own request."""

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from analytics.charts import progress_charts
from analytics.selectors import CALENDAR_WEEKS, RANGES, progress_for
from studyin.cache import user_progress_key

PROGRESS_TTL = 300  # like the dashboard's numbers; every answer drops it (studyin.cache.stats_invalidate)


def _range(request: HttpRequest) -> str:
    chosen = request.GET.get("range", "30")
    return chosen if chosen in RANGES else "30"


def _level(count: int) -> int:
    """A calendar day's shade: 0 none, then 1-4 by answers."""
    return 0 if not count else 1 if count < 10 else 2 if count < 25 else 3 if count < 50 else 4


@login_required
@require_GET
def progress(request: HttpRequest) -> HttpResponse:
    chosen = _range(request)
    key = user_progress_key(request.user.pk, chosen)
    entry = cache.get(key) or {}
    if "body" not in entry:
        entry["body"] = _body(_data(entry, request.user, chosen), chosen)
        cache.set(key, entry, PROGRESS_TTL)
    context = {"body": mark_safe(entry["body"]), "ranges": list(RANGES), "chosen": chosen}
    return render(request, "analytics/progress.html", context)


def _data(entry: dict, user, chosen: str):
    """The range's numbers, from the cache entry or computed into it (page and charts share them)."""
    if "data" not in entry:
        entry["data"] = progress_for(user=user, days=RANGES[chosen])
    return entry["data"]


def _body(data, chosen: str) -> str:
    # The calendar as the table shows it: a row per weekday (Monday first), a cell per week.
    cells = [(f"{day:%a %d %b}: {count} questions", _level(count)) for day, count in data.calendar]
    context = {
        "progress": data, "total": data.total, "charts": progress_charts(data), "chosen": chosen,
        "calendar": [cells[weekday::7] for weekday in range(7)], "calendar_weeks": CALENDAR_WEEKS,
    }  # fmt: skip
    return render_to_string("analytics/_progress_body.html", context)


@login_required
@require_GET
def chart(request: HttpRequest, name: str) -> HttpResponse:
    """One chart of the progress page, as an SVG image."""
    chosen = _range(request)
    key = user_progress_key(request.user.pk, chosen)
    entry = cache.get(key) or {}
    svg = entry.get("svg", {}).get(name)
    if svg is None:
        found = {c.key: c for c in progress_charts(_data(entry, request.user, chosen))}.get(name)
        if found is None:
            raise Http404("no such chart")
        svg = found.svg
        entry.setdefault("svg", {})[name] = svg
        cache.set(key, entry, PROGRESS_TTL)
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "private, max-age=60"
    return response
