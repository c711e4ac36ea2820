"""The student's dashboard, the first page after logging in: what practice, progress and
gamification know of the student, on one page. Its numbers are cached for five minutes under
seed 000's `studyin:user:{id}:stats`, which every answer invalidates."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from analytics.models import UserStats
from gamification import selectors as game
from practice.selectors import sessions_for
from progress import selectors as reviews
from studyin.cache import user_stats_key

STATS_TTL = 300


@dataclass(frozen=True)
class Dashboard:
    level: game.LevelProgress
    streak: int
    today: game.Today
    due: int
    leeches: int
    mastery: list
    achievements: list
    retention: reviews.Retention
    exam_days: int | None
    exam_retention: float | None
    totals: UserStats | None = None  # all time, from user_stats_mv (refreshed every 15 minutes)


def dashboard_for(user) -> Dashboard:
    cached = cache.get(user_stats_key(user.pk))
    if isinstance(cached, Dashboard):
        return cached
    today = game.local_today(user)
    stats = Dashboard(
        level=game.level_progress(user.xp),
        streak=game.streak_now(user),
        today=game.today_for(user),
        due=reviews.due_count(user=user),
        leeches=reviews.leeches(user=user).count(),
        mastery=list(reviews.mastery_by_topic(user=user)[:8]),
        achievements=game.achievements_for(user),
        retention=reviews.true_retention(user=user),
        exam_days=(user.exam_date - today).days if user.exam_date and user.exam_date >= today else None,
        exam_retention=reviews.deck_retention(user=user, day=user.exam_date) if user.exam_date else None,
        totals=UserStats.objects.filter(user=user).first(),
    )
    cache.set(user_stats_key(user.pk), stats, STATS_TTL)
    return stats


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "stats": dashboard_for(user),
        "recent": list(sessions_for(user=user, limit=5)),
        "leaderboard": game.leaderboard(user=user) if user.leaderboard_opt_in else None,
    }
    return render(request, "practice/dashboard.html", context)


urlpatterns = [path("", dashboard, name="dashboard")]
