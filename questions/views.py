from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from questions import services
from questions.forms import FlagForm
from questions.models import Question
from questions.selectors import questions_visible_to

FLAG_THANKS = "Thanks — staff will review this question."


def _get_question_for_user(request: HttpRequest, question_id) -> Question:
    return get_object_or_404(questions_visible_to(user=request.user), pk=question_id)


def _back_url(request: HttpRequest) -> str:
    """Where the report came from: `next`, else the referer, if either is on this site."""
    for url in (request.POST.get("next"), request.headers.get("referer")):
        if url and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return url
    return reverse("home")


@login_required
@require_POST
def flag(request: HttpRequest, question_id) -> HttpResponse:
    """A student reports a problem with a question (htmx: re-renders the "Report a problem" partial)."""
    question = _get_question_for_user(request, question_id)
    form = FlagForm(request.POST, question_id=question.pk)
    if form.is_valid():
        try:
            services.question_flag(user=request.user, question=question, **form.cleaned_data)
        except services.QuestionNotVisible as exc:  # unverified since it was fetched
            raise Http404 from exc
        if request.htmx:
            return render(request, "questions/_flag.html", {"question": question, "flag_sent": FLAG_THANKS})
        messages.success(request, FLAG_THANKS)
        return redirect(_back_url(request))
    context = {"question": question, "flag_form": form, "flag_next": _back_url(request)}
    return render(request, "questions/_flag.html" if request.htmx else "questions/flag.html", context)
