"""Practice pages: the block builder, the block (one question at a time), the summary.

Every action is a plain POST answered with a redirect (PRG); an htmx request gets the question
partial back instead, so submit, mark, strike-out and confidence never reload the page. All
block state is in the database, so a reload, a pause or a server restart loses nothing.
"""

import datetime
import functools
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.models import User
from gamification.selectors import block_rewards
from practice import selectors, services
from practice.forms import CONFIDENCE, AnswerForm, BuilderForm, ItemForm
from practice.models import PracticeSession, PracticeSessionQuestion, SessionStatus, SessionType
from questions.selectors import PeerStats, own_answer_counts, peer_stats

FEEDBACK_MODES = (SessionType.TUTOR, SessionType.REVIEW)  # explained right after each answer
ENDED = (SessionStatus.COMPLETED, SessionStatus.ABANDONED)
OPTION_MISSING = "That option does not exist."
CONFIDENCE_INVALID = "Confidence goes from 1 (a guess) to 5 (certain)."


def _letter(index: int) -> str:
    return chr(ord("A") + index)


def _clock(seconds: int | None) -> str:
    """12:05, or 1:02:05 past the hour (the block clock, and time used)."""
    if seconds is None:
        return ""
    hours, rest = divmod(max(0, int(seconds)), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


# --- What a question page shows ----------------------------------------------------------------


@dataclass
class OptionRow:
    index: int
    letter: str
    text: str
    struck: bool
    chosen: bool
    correct: bool  # only ever True once the answer may be shown
    rationale: str = ""  # why this option is right or wrong, shown once, under the option
    peer_percent: int | None = None


@dataclass
class QuestionView:
    item: PracticeSessionQuestion
    reveal: bool  # the answer, explanation and peer statistics may be shown
    options: list[OptionRow]
    correct_letter: str = ""
    explanation: str = ""
    pathophysiology: str = ""
    clinical_relevance: str = ""
    references: list[dict] = field(default_factory=list)
    peers: PeerStats | None = None

    @property
    def question(self):
        return self.item.question

    @property
    def chosen_letter(self) -> str:
        return _letter(self.item.selected_index) if self.item.selected_index is not None else ""


def _reveals(session: PracticeSession, item: PracticeSessionQuestion) -> bool:
    """Tutor and review explain each question once answered; timed and test blocks explain
    nothing (not even right or wrong) until the block has ended."""
    return session.status in ENDED or (item.answered_at is not None and session.session_type in FEEDBACK_MODES)


def _question_view(
    *, user: User, session: PracticeSession, item: PracticeSessionQuestion, own: dict | None = None
) -> QuestionView:
    """`own`: the student's answers per question (`own_answer_counts`), when the caller shows
    many questions; else they are read for this one."""
    question, reveal = item.question, _reveals(session, item)
    rationales = {row.option_index: row.rationale or "" for row in question.option_rows.all()}
    detail = next(iter(question.explanations.all()), None)
    why_wrong = detail.incorrect_explanations if detail and isinstance(detail.incorrect_explanations, dict) else {}
    peers = None
    if reveal:
        own = own if own is not None else own_answer_counts(user=user, question_ids=[question.pk])
        peers = peer_stats(question=question, own=own.get(question.pk))
    struck = set(item.struck_options or [])
    options = [
        OptionRow(
            index=i,
            letter=_letter(i),
            text=text,
            struck=i in struck,
            chosen=i == item.selected_index,
            correct=reveal and i == question.correct_index,
            # The option's row is the source of truth; the explanation's copy fills in for old rows.
            rationale=(rationales.get(i) or str(why_wrong.get(str(i), ""))) if reveal else "",
            peer_percent=peers.distribution[i] if peers and peers.enough else None,
        )
        for i, text in enumerate(question.options)
    ]
    view = QuestionView(item=item, reveal=reveal, options=options, peers=peers)
    if reveal:
        view.correct_letter = _letter(question.correct_index)
        view.explanation = detail.correct_explanation if detail else question.explanation
        view.pathophysiology = (detail.pathophysiology or "") if detail else ""
        view.clinical_relevance = (detail.clinical_relevance or "") if detail else ""
        view.references = _references(user=user, question=question, references=detail.references if detail else [])
    return view


def _references(*, user: User, question, references) -> list[dict]:
    """The explanation's citations, each linked to its passage in the reader when the student
    can open that material (their own)."""
    material = question.material  # None when row-level security hides another student's material
    readable = material is not None and material.user_id == user.pk
    cited = []
    for ref in references if isinstance(references, list) else []:
        if not isinstance(ref, dict):
            continue
        url = ""
        if readable and ref.get("chunk_id"):
            url = f"{reverse('materials:detail', args=[material.pk])}?{urlencode({'chunk': ref['chunk_id']})}#passage"
        cited.append({**ref, "url": url, "source": material.title if material is not None else ""})
    return cited


@dataclass(frozen=True)
class GridCell:
    position: int
    current: bool
    answered: bool
    marked: bool
    result: str  # "correct", "incorrect" or "" while the result is not to be shown


def _grid(session: PracticeSession, items: list[PracticeSessionQuestion], position: int) -> list[GridCell]:
    cells = []
    for item in items:
        result = ""
        if item.answered_at is not None and _reveals(session, item):
            result = "correct" if item.is_correct else "incorrect"
        answered = item.answered_at is not None
        cells.append(GridCell(item.question_order, item.question_order == position, answered, item.is_marked, result))
    return cells


# --- Helpers ------------------------------------------------------------------------------------


def _get_session_for_user(request: HttpRequest, session_id) -> PracticeSession:
    return selectors.session_get_for_user(user=request.user, session_id=session_id)


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect; htmx is told to load it as a whole page rather than swap it into the question."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _ended_by_clock(request: HttpRequest, session: PracticeSession) -> bool:
    """Timed blocks end on the first request after their clock ran out, whatever the page."""
    if services.session_expire_if_over(session=session):
        session.refresh_from_db()
        messages.info(request, "Time is up: the block has ended.")
        return True
    return False


def _render_question(
    request: HttpRequest, session: PracticeSession, position: int, *, error: str = "", reward: list[str] = ()
) -> HttpResponse:
    items = selectors.session_items(session=session)
    item = next((i for i in items if i.question_order == position), None)
    if item is None:  # its question is no longer visible to the student (unverified, material deleted)
        raise Http404("This question is no longer available.")
    prefetch_related_objects([item], "question__explanations")
    context = {
        "session": session,
        "position": position,
        "total": session.total_questions,
        "previous": position - 1 if position > 1 else None,
        "next": position + 1 if position < session.total_questions else None,
        "qv": _question_view(user=request.user, session=session, item=item),
        "grid": _grid(session, items, position),
        "answered": item.answered_at is not None,
        "active": session.status == SessionStatus.ACTIVE,
        "confidence_choices": CONFIDENCE,
        "time_left": (left := services.time_left(session)),
        "clock": _clock(left),
        "error": error,
        "reward": reward,
    }
    template = "practice/_question.html" if request.htmx else "practice/block.html"
    return render(request, template, context)


def _block_action(*, finished_too: bool = False):
    """For a question's POST endpoints: the student's block (404 for anyone else's), ended
    first if its clock ran out; a paused or ended block sends the student back to it."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request: HttpRequest, session_id, position: int) -> HttpResponse:
            session = _get_session_for_user(request, session_id)
            if not 1 <= position <= session.total_questions:
                raise Http404("No such question in this block.")
            allowed = [SessionStatus.ACTIVE, *(ENDED if finished_too else ())]
            if _ended_by_clock(request, session) or session.status not in allowed:
                return _go(request, reverse("practice:question", args=[session.pk, position]))
            item = session.items.select_related("question").filter(question_order=position).first()
            if item is None:  # its question is no longer visible to the student
                raise Http404("This question is no longer available.")
            form = ItemForm(request.POST, option_count=len(item.question.options))
            if not form.is_valid():
                error = CONFIDENCE_INVALID if set(form.errors) == {"confidence"} else OPTION_MISSING
                return _after(request, session, position, error=error)
            return view(request, session, item, form.cleaned_data)

        return wrapper

    return decorator


def _after(request: HttpRequest, session: PracticeSession, position: int, *, error: str = "") -> HttpResponse:
    if request.htmx:
        return _render_question(request, session, position, error=error)
    if error:
        messages.error(request, error)
    return redirect("practice:question", session.pk, position)


def _save_pending(request: HttpRequest, session: PracticeSession, item, data: dict, **changes) -> None:
    """Keep the option picked and the confidence given so far, with the button's own change."""
    services.item_update(
        user=request.user, session=session, position=item.question_order,
        selected_index=data["choice"], confidence=data["confidence"], **changes,
    )  # fmt: skip


# --- Builder ------------------------------------------------------------------------------------


def _matches(user: User, form: BuilderForm) -> dict:
    filters = form.filters()
    return {"matches": selectors.block_candidates(user=user, filters=filters).count(), "size": filters.size}


@login_required
@require_http_methods(["GET", "POST"])
def builder(request: HttpRequest) -> HttpResponse:
    # Without JavaScript, "Count matches" sends the form back here by GET to show the count.
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = BuilderForm(data, user=request.user)
    if request.method == "POST" and form.is_valid():
        filters = form.filters()
        try:
            session = services.block_start(user=request.user, filters=filters)
        except services.BlockEmpty as exc:
            form.add_error(None, str(exc))
        else:
            if session.total_questions < filters.size:
                n = session.total_questions
                messages.info(request, f"Only {n} question{'s' if n != 1 else ''} matched, so this block has {n}.")
            return redirect("practice:block", session.pk)
    context = {"form": form, "sessions": selectors.sessions_for(user=request.user), **_matches(request.user, form)}
    return render(request, "practice/builder.html", context)


@login_required
@require_GET
def count(request: HttpRequest) -> HttpResponse:
    """The builder's "N questions match" line, refreshed as the choices change."""
    form = BuilderForm(request.GET, user=request.user)
    return render(request, "practice/_count.html", _matches(request.user, form))


# --- The block ----------------------------------------------------------------------------------


@login_required
@require_GET
def block(request: HttpRequest, session_id) -> HttpResponse:
    """Back into a block where the student left it; an ended block shows its summary."""
    session = _get_session_for_user(request, session_id)
    _ended_by_clock(request, session)
    if session.status in ENDED:
        return redirect("practice:summary", session.pk)
    return redirect("practice:question", session.pk, session.current_position)


@login_required
@require_GET
def question(request: HttpRequest, session_id, position: int) -> HttpResponse:
    session = _get_session_for_user(request, session_id)
    if _ended_by_clock(request, session):
        return _go(request, reverse("practice:summary", args=[session.pk]))
    if not 1 <= position <= session.total_questions:
        raise Http404("No such question in this block.")
    if session.status == SessionStatus.PAUSED:
        answered = session.items.filter(answered_at__isnull=False).count()
        left = services.time_left(session)
        return render(
            request, "practice/paused.html",
            {"session": session, "answered": answered, "time_left": left, "clock": _clock(left)},
        )  # fmt: skip
    if session.status == SessionStatus.ACTIVE:
        services.session_navigate(session=session, position=position)
    return _render_question(request, session, position)


@login_required
@require_POST
def answer(request: HttpRequest, session_id, position: int) -> HttpResponse:
    """The hot path (bench/answer_path.py). `answer_submit` checks everything under the item's
    lock (the student's block, the position, paused, over), so a valid answer costs no lookups
    here; the block is loaded only to explain a refusal."""
    form = AnswerForm(request.POST)
    if not form.is_valid() or form.cleaned_data["choice"] is None:
        return _answer_incomplete(request, session_id, position)
    try:
        outcome = services.answer_submit(
            user=request.user, session_id=session_id, position=position,
            selected_index=form.cleaned_data["choice"], confidence=form.cleaned_data["confidence"],
        )  # fmt: skip
    except PracticeSessionQuestion.DoesNotExist:
        raise Http404("No such question in this block.") from None
    except services.BlockClosed:  # paused, ended, or its clock ran out: the block says which
        session = _get_session_for_user(request, session_id)
        _ended_by_clock(request, session)
        return _go(request, reverse("practice:question", args=[session.pk, position]))
    except services.OptionMissing:
        return _after(request, _get_session_for_user(request, session_id), position, error=OPTION_MISSING)
    lines = reward_lines(outcome) if outcome.recorded and outcome.session_type in FEEDBACK_MODES else []
    if request.htmx:
        return _render_question(request, _get_session_for_user(request, session_id), position, reward=lines)
    if lines:
        messages.success(request, " · ".join(lines), extra_tags="reward")
    return redirect("practice:question", session_id, position)


def reward_lines(outcome: services.AnswerOutcome) -> list[str]:
    """What an answer earned, for the small celebration of tutor and review blocks (timed and
    test blocks show nothing until they end, the summary shows the totals)."""
    reward, progress = outcome.reward, outcome.progress
    lines = [f"+{reward.xp_gained} XP"]
    if reward.level_up:
        lines.append(f"⭐ Level {reward.level} reached")
    if reward.streak_extended:
        covered = f", a freeze covered {reward.freezes_used} missed day{'s' if reward.freezes_used > 1 else ''}"
        lines.append(f"🔥 {reward.streak}-day streak{covered if reward.freezes_used else ''}")
    if reward.goal_met:
        lines.append("🎯 Daily goal met")
    lines += [f"{a.icon} {a.name} unlocked".strip() for a in reward.achievements]
    lines += [f"🏁 Learning-path milestone reached: {topic}" for topic in reward.milestones]
    if progress.became_leech:
        lines.append("This question keeps slipping: it is now a leech (see your reviews)")
    else:
        lines.append(f"Next review {_review_in(progress.next_review - timezone.now())}")
    return lines


def _review_in(delta: datetime.timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes < 60:
        return f"in {minutes} minute{'s' if minutes > 1 else ''}"
    days = round(delta.total_seconds() / 86400)
    if days < 1:
        hours = round(minutes / 60)
        return f"in {hours} hour{'s' if hours > 1 else ''}"
    return "tomorrow" if days == 1 else f"in {days} days"


@_block_action()
def _answer_incomplete(request: HttpRequest, session: PracticeSession, item, data: dict) -> HttpResponse:
    """No option chosen: keep the confidence given and ask for one. (An option the question
    does not have is refused by the decorator's form.)"""
    if item.answered_at is not None:  # answered already: show the recorded answer
        return _after(request, session, item.question_order)
    _save_pending(request, session, item, data)
    return _after(request, session, item.question_order, error="Choose an answer first.")


@login_required
@require_POST
@_block_action()
def save(request: HttpRequest, session: PracticeSession, item, data: dict) -> HttpResponse:
    """The option picked or the confidence given, kept before the answer is submitted."""
    _save_pending(request, session, item, data)
    return _after(request, session, item.question_order)


@login_required
@require_POST
@_block_action(finished_too=True)
def mark(request: HttpRequest, session: PracticeSession, item, data: dict) -> HttpResponse:
    # The button says which way (marked=1 or 0) rather than "toggle": a retried request
    # cannot undo itself.
    marked = data["marked"] if data["marked"] is not None else not item.is_marked
    if session.status == SessionStatus.ACTIVE:
        _save_pending(request, session, item, data, is_marked=marked)
    else:
        services.item_update(user=request.user, session=session, position=item.question_order, is_marked=marked)
    return _after(request, session, item.question_order)


@login_required
@require_POST
@_block_action()
def strike(request: HttpRequest, session: PracticeSession, item, data: dict) -> HttpResponse:
    struck = set(item.struck_options or [])
    if data["strike"] is not None:
        struck.add(data["strike"])
    if data["restore"] is not None:
        struck.discard(data["restore"])
    _save_pending(request, session, item, data, struck_options=sorted(struck))
    return _after(request, session, item.question_order)


@login_required
@require_POST
def pause(request: HttpRequest, session_id) -> HttpResponse:
    session = _get_session_for_user(request, session_id)
    if not _ended_by_clock(request, session):
        services.session_pause(session=session)
    return redirect("practice:block", session.pk)


@login_required
@require_POST
def resume(request: HttpRequest, session_id) -> HttpResponse:
    session = _get_session_for_user(request, session_id)
    services.session_resume(session=session)
    return redirect("practice:block", session.pk)


@login_required
@require_POST
def end(request: HttpRequest, session_id) -> HttpResponse:
    session = _get_session_for_user(request, session_id)
    services.session_finish(session=session)  # False when it had already ended: same page
    return _go(request, reverse("practice:summary", args=[session.pk]))


# --- Summary ------------------------------------------------------------------------------------


@login_required
@require_GET
def summary(request: HttpRequest, session_id) -> HttpResponse:
    session = _get_session_for_user(request, session_id)
    _ended_by_clock(request, session)
    if session.status not in ENDED:
        answered = session.items.filter(answered_at__isnull=False).count()
        return render(request, "practice/summary.html", {"session": session, "in_progress": True, "answered": answered})
    result = selectors.block_summary(session=session)
    prefetch_related_objects(result.items, "question__explanations")
    own = own_answer_counts(user=request.user, question_ids=[item.question_id for item in result.items])
    context = {
        "session": session,
        "result": result,
        "questions": [_question_view(user=request.user, session=session, item=item, own=own) for item in result.items],
        "missed": result.total - result.correct,
        "time_used": _clock(result.seconds),
        "per_question": _clock(result.seconds // result.answered) if result.answered else "",
        "rewards": block_rewards(user=request.user, session_id=session.pk),
    }
    return render(request, "practice/summary.html", context)


@login_required
@require_POST
def review_incorrect(request: HttpRequest, session_id) -> HttpResponse:
    """A new tutor block of this block's missed and unanswered questions."""
    session = _get_session_for_user(request, session_id)
    if session.status not in ENDED:
        return redirect("practice:summary", session.pk)
    missed = [item.question_id for item in selectors.session_items(session=session) if not item.is_correct]
    try:
        review = services.block_start_from_questions(user=request.user, question_ids=missed, mode=SessionType.TUTOR)
    except services.BlockEmpty as exc:
        messages.info(request, str(exc))
        return redirect("practice:summary", session.pk)
    return redirect("practice:block", review.pk)
