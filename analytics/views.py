from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from analytics.charts import progress_charts
from analytics.selectors import CALENDAR_WEEKS, RANGES, progress_for


def _level(count: int) -> int:
    """A calendar day's shade: 0 none, then 1-4 by answers."""
    return 0 if not count else 1 if count < 10 else 2 if count < 25 else 3 if count < 50 else 4


@login_required
@require_GET
def progress(request: HttpRequest) -> HttpResponse:
    chosen = request.GET.get("range", "30")
    chosen = chosen if chosen in RANGES else "30"
    data = progress_for(user=request.user, days=RANGES[chosen])
    calendar = [(day, count, _level(count)) for day, count in data.calendar]
    weeks = [calendar[i : i + 7] for i in range(0, len(calendar), 7)]
    context = {
        "progress": data, "total": data.total, "charts": progress_charts(data), "ranges": list(RANGES),
        "chosen": chosen, "weeks": weeks, "calendar_weeks": CALENDAR_WEEKS,
    }  # fmt: skip
    return render(request, "analytics/progress.html", context)
