from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from progress import selectors, services
from progress.scheduling import LEECH_LAPSES

UPCOMING_DAYS = 7


@login_required
@require_GET
def reviews(request: HttpRequest) -> HttpResponse:
    """The student's reviews: how many are due now and in the week ahead, the true retention
    against the target, and the leeches with a way back."""
    user, now = request.user, timezone.now()
    upcoming = selectors.upcoming(user=user, days=UPCOMING_DAYS, now=now)
    context = {
        "due": selectors.due_count(user=user),
        "upcoming": upcoming,
        "upcoming_max": max((n for _, n in upcoming), default=0),
        "retention": selectors.true_retention(user=user, now=now),
        "leeches": selectors.leeches(user=user),
        "leech_lapses": LEECH_LAPSES,
    }
    return render(request, "progress/reviews.html", context)


@login_required
@require_POST
def unsuspend(request: HttpRequest, card_id) -> HttpResponse:
    if services.card_unsuspend(user=request.user, card_id=card_id):
        messages.success(request, "The question is back in your reviews, due now.")
    return redirect("progress:reviews")
