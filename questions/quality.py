"""A question's quality score: the item checks' at generation, then how students answer it.

Item statistics, as exam boards compute them (and Moodle's quiz reports do), from each student's
first answer to the question, once MIN_STUDENTS students have answered:
- facility: the share of those answers that are right;
- discrimination: the share right among the strongest quarter of those students less the share
  among the weakest quarter, "strong" meaning a student's accuracy on every other question they
  answered (the question itself left out, so that it cannot vouch for itself). An item that the
  strong get right and the weak miss has D near 1; one that says nothing about a student, 0; a
  miskeyed one is answered right by the weak rather than the strong: D below 0.

quality_score = the generation score (`questions.generation_score`; a question written by staff
keeps its own score), then
- D < 0: at most 0.25 (check the key);
- D < POOR_DISCRIMINATION (0.2, Ebel's "poor"): at most 0.45;
- facility < 0.2: at most 0.45 (fewer than one in five right: check the key and the wording);
- facility > 0.95: 0.1 less (it teaches almost nobody anything).
The low-quality queue is quality_score < 0.5 (questions/admin.py). The difficulty follows the
facility too (0.8 and up easy, 0.5 and up medium, below hard). `item_statistics_refresh` runs
every hour (beat) over the questions with enough answers, as `system`.
"""

from __future__ import annotations

import datetime

from django.db import connection
from django.utils import timezone

from questions.models import Difficulty, Question
from studyin.rls import ROLE_SYSTEM, rls_context

MIN_STUDENTS = 20
POOR_DISCRIMINATION = 0.2
STATISTICS_PREFIX = "Answers: "  # quality reasons that come from the statistics, not the checks

ITEM_STATISTICS = """
WITH ability AS (
    SELECT user_id, count(*) AS n, count(*) FILTER (WHERE is_correct) AS c
    FROM user_question_attempts GROUP BY user_id
), firsts AS (
    SELECT DISTINCT ON (question_id, user_id) question_id, user_id, is_correct
    FROM user_question_attempts ORDER BY question_id, user_id, answered_at
), scored AS (
    SELECT f.question_id, f.is_correct,
           (a.c - f.is_correct::int)::float / nullif(a.n - 1, 0) AS rest
    FROM firsts f JOIN ability a USING (user_id)
), ranked AS (
    SELECT question_id, is_correct,
           ntile(4) OVER (PARTITION BY question_id ORDER BY rest NULLS FIRST, is_correct) AS quarter,
           count(*) OVER (PARTITION BY question_id) AS students
    FROM scored
)
SELECT question_id, max(students), avg(is_correct::int)::float,
       (avg(is_correct::int) FILTER (WHERE quarter = 4) - avg(is_correct::int) FILTER (WHERE quarter = 1))::float
FROM ranked
GROUP BY question_id
HAVING max(students) >= %s
"""


def quality_from(*, base: float, facility: float, discrimination: float, students: int) -> tuple[float, list[str]]:
    """The quality score after the statistics, and their reasons (see the module docstring)."""
    score, reasons = base, []
    about = f"D = {discrimination:+.2f}, {facility:.0%} right, {students} students"
    if discrimination < 0:
        score = min(score, 0.25)
        reasons.append(
            f"{STATISTICS_PREFIX}strong students miss it more often than weak ones ({about}): check the key."
        )
    elif discrimination < POOR_DISCRIMINATION:
        score = min(score, 0.45)
        reasons.append(f"{STATISTICS_PREFIX}it does not tell strong students from weak ones ({about}).")
    if facility < 0.2:
        score = min(score, 0.45)
        reasons.append(f"{STATISTICS_PREFIX}fewer than one in five answer it right ({about}): check the key.")
    elif facility > 0.95:
        score -= 0.1
        reasons.append(f"{STATISTICS_PREFIX}almost everyone answers it right ({about}).")
    return round(max(0.0, min(1.0, score)), 3), reasons


def difficulty_from(facility: float, current: str) -> str:
    if facility >= 0.8:
        return Difficulty.EASY
    if facility >= 0.5:
        return current if current == Difficulty.MEDIUM else Difficulty.MEDIUM
    return current if current in (Difficulty.HARD, Difficulty.NBME) else Difficulty.HARD


def item_statistics_refresh(*, now: datetime.datetime | None = None) -> int:
    """Recompute facility, discrimination, quality and difficulty of every question that
    MIN_STUDENTS students have answered; returns how many changed. Safe to run twice."""
    now = now or timezone.now()
    changed = 0
    with rls_context(role=ROLE_SYSTEM), connection.cursor() as cursor:
        cursor.execute(ITEM_STATISTICS, [MIN_STUDENTS])
        rows = {question_id: (students, facility, d) for question_id, students, facility, d in cursor.fetchall()}
    for start in range(0, len(rows), 1000):
        ids = list(rows)[start : start + 1000]
        with rls_context(role=ROLE_SYSTEM):  # a transaction: the rows stay locked until they are written
            for question in (
                Question.objects.select_for_update()
                .filter(pk__in=ids)
                .only("id", "quality_score", "generation_score", "quality_reasons", "difficulty", "discrimination")
            ):
                students, facility, discrimination = rows[question.pk]
                base = question.generation_score if question.generation_score is not None else question.quality_score
                if question.generation_score is None:  # written by staff: its score is the base from now on
                    question.generation_score = question.quality_score
                score, reasons = quality_from(
                    base=base, facility=facility, discrimination=discrimination, students=students
                )
                kept = [r for r in question.quality_reasons or [] if not r.startswith(STATISTICS_PREFIX)]
                update = {
                    "quality_score": score,
                    "quality_reasons": kept + reasons,
                    "discrimination": round(discrimination, 3),
                    "difficulty": difficulty_from(facility, question.difficulty),
                    "generation_score": question.generation_score,
                }
                if any(getattr(question, field) != value for field, value in update.items()):
                    Question.objects.filter(pk=question.pk).update(**update, statistics_at=now)
                    changed += 1
    return changed
