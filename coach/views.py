import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coach import paths, selectors, services
from coach.forms import AskForm, SearchForm, StartForm
from coach.models import LearningPathStatus, MessageStatus
from gamification.services import XP_MILESTONE
from questions.selectors import questions_visible_to


def _chosen(form: AskForm) -> list | None:
    """The materials ticked; None when all are, so materials uploaded later count too."""
    chosen = list(form.cleaned_data["materials"])
    return None if len(chosen) == form.fields["materials"].queryset.count() else [m.pk for m in chosen]


@login_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    """The conversations, their search, and a new question."""
    search = SearchForm(request.GET)
    query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    archived = request.GET.get("archived") == "1"
    form = StartForm(request.POST or None, user=request.user, initial={"materials": _all(request.user)})
    if request.method == "POST" and form.is_valid():
        try:
            conversation = services.conversation_start(
                user=request.user, question=form.cleaned_data["text"],
                conversation_type=form.cleaned_data["conversation_type"], material_ids=_chosen(form),
                topic=form.cleaned_data["topic"] or None,
            )  # fmt: skip
        except services.RateLimited as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("coach:conversation", conversation.pk)
    context = {
        "form": form, "search": search, "query": query, "archived": archived,
        "conversations": selectors.conversations_for(user=request.user, query=query, archived=archived)[:100],
    }  # fmt: skip
    return render(request, "coach/index.html", context)


def _all(user) -> list:
    return list(StartForm(user=user).fields["materials"].queryset.values_list("pk", flat=True))


@login_required
@require_http_methods(["GET", "POST"])
def conversation(request: HttpRequest, conversation_id) -> HttpResponse:
    conversation = selectors.conversation_get(user=request.user, conversation_id=conversation_id)
    chosen = conversation.metadata.get("materials")
    initial = {"materials": chosen if chosen is not None else _all(request.user),
               "topic": conversation.metadata.get("topic") or ""}  # fmt: skip
    form = AskForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_ask(
                user=request.user, conversation=conversation, text=form.cleaned_data["text"],
                material_ids=_chosen(form), topic=form.cleaned_data["topic"] or None,
            )  # fmt: skip
        except services.RateLimited as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("coach:conversation", conversation.pk)
    chat = list(conversation.messages.order_by("created_at"))
    for reply in chat:
        _expire(reply)
    context = {"conversation": conversation, "chat": chat, "form": form}
    return render(request, "coach/conversation.html", context)


def _expire(reply) -> None:
    if reply.status == MessageStatus.PENDING and services.reply_expire(reply=reply):
        reply.refresh_from_db()


@login_required
@require_GET
def reply(request: HttpRequest, message_id) -> HttpResponse:
    """One reply, polled by the conversation page while it is pending."""
    message = selectors.reply_get(user=request.user, message_id=message_id)
    _expire(message)
    return render(request, "coach/_reply.html", {"message": message})


@login_required
@require_POST
def retry(request: HttpRequest, message_id) -> HttpResponse:
    message = selectors.reply_get(user=request.user, message_id=message_id)
    try:
        services.reply_retry(user=request.user, reply=message)
    except services.RateLimited as exc:
        messages.error(request, str(exc))
    return redirect("coach:conversation", message.conversation_id)


@login_required
@require_POST
def archive(request: HttpRequest, conversation_id) -> HttpResponse:
    conversation = selectors.conversation_get(user=request.user, conversation_id=conversation_id)
    archived = request.POST.get("archived") == "1"
    services.conversation_archive(conversation=conversation, archived=archived)
    messages.success(request, f"“{conversation}” is {'archived' if archived else 'back in your conversations'}.")
    return redirect("coach:index") if archived else redirect("coach:conversation", conversation.pk)


@login_required
@require_POST
def explain(request: HttpRequest, question_id) -> HttpResponse:
    """ "Explain this question": a teaching conversation about it, from the pages it came from."""
    question = questions_visible_to(user=request.user).filter(pk=question_id).first()
    if question is None:
        raise Http404("no such question in this student's bank")
    try:
        conversation = services.explain_start(user=request.user, question=question)
    except services.RateLimited as exc:
        messages.error(request, str(exc))
        return redirect(request.POST.get("next") or "coach:index")
    return redirect("coach:conversation", conversation.pk)


@login_required
@require_POST
def vignette(request: HttpRequest, conversation_id) -> HttpResponse:
    conversation = selectors.conversation_get(user=request.user, conversation_id=conversation_id)
    try:
        services.vignette_request(user=request.user, conversation=conversation)
    except (services.RateLimited, services.NotExplainable) as exc:
        messages.error(request, str(exc))
    return redirect("coach:conversation", conversation.pk)


# --- Learning paths -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def path_list(request: HttpRequest) -> HttpResponse:
    """The student's paths, and the coach's proposal for a new one (accepted as ticked)."""
    proposal = paths.path_propose(user=request.user)
    if request.method == "POST":
        ticked = set(request.POST.getlist("topics"))
        chosen = [p.topic for p in proposal if p.topic in ticked]
        needs = paths.tier_prerequisites(chosen)
        try:
            path = paths.path_create(
                user=request.user, name=request.POST.get("name", "").strip() or "My learning path",
                milestones=[(t, needs[t]) for t in chosen],
            )  # fmt: skip
        except paths.PathInvalid as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"“{path.name}” is your learning path: {path.total_milestones} milestones.")
            return redirect("coach:path", path.pk)
    context = {"paths": selectors.paths_for(user=request.user), "proposal": proposal,
               "mastery": paths.MILESTONE_MASTERY, "min_answers": paths.MILESTONE_MIN_ANSWERS}  # fmt: skip
    return render(request, "coach/paths.html", context)


@login_required
@require_GET
def path(request: HttpRequest, path_id) -> HttpResponse:
    path = selectors.path_get(user=request.user, path_id=path_id)
    milestones = list(path.milestones.order_by("milestone_order"))
    done = {str(m.pk) for m in milestones if m.is_completed}
    names = {str(m.pk): m.topic for m in milestones}
    rows = [
        {"milestone": m, "needs": [names[p] for p in m.prerequisites if p in names],
         "ready": not m.is_completed and all(p in done for p in m.prerequisites)}
        for m in milestones
    ]  # fmt: skip
    upcoming = next((r["milestone"] for r in rows if r["ready"]), None)
    context = {"path": path, "rows": rows, "next": upcoming, "mastery": paths.MILESTONE_MASTERY,
               "min_answers": paths.MILESTONE_MIN_ANSWERS, "milestone_xp": XP_MILESTONE}  # fmt: skip
    return render(request, "coach/path.html", context)


def _milestone(path, milestone_id):
    try:
        return path.milestones.filter(pk=uuid.UUID(milestone_id)).first()
    except (TypeError, ValueError):
        return None


@login_required
@require_POST
def path_edit(request: HttpRequest, path_id) -> HttpResponse:
    """Move a milestone up or down, remove it, or pause and resume the path."""
    path = selectors.path_get(user=request.user, path_id=path_id)
    action = request.POST.get("action")
    milestone = _milestone(path, request.POST.get("milestone"))
    try:
        if action in ("up", "down") and milestone:
            paths.milestone_move(path=path, milestone=milestone, offset=-1 if action == "up" else 1)
        elif action == "remove" and milestone:
            paths.milestone_remove(path=path, milestone=milestone)
            messages.success(request, f"“{milestone.topic}” is no longer a milestone of this path.")
        elif action in (LearningPathStatus.PAUSED, LearningPathStatus.ACTIVE):
            paths.path_set_status(path=path, status=action)
        elif action == "delete":
            path.delete()
            messages.success(request, f"“{path.name}” is deleted.")
            return redirect("coach:paths")
    except paths.PathInvalid as exc:
        messages.error(request, str(exc))
    return redirect("coach:path", path.pk)
