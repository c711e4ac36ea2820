"""Answering through the real answer path (practice/services.py `answer_submit`), for the tests
of the apps it composes."""

from practice import services
from practice.models import SessionType


def answer(student, question, *, correct: bool = True, confidence: int | None = None, seconds: int = 40,
           mode: str = SessionType.TUTOR) -> services.AnswerOutcome:  # fmt: skip
    """A one-question block of `question`, answered right or wrong."""
    block = services.block_start_from_questions(user=student, question_ids=[question.pk], mode=mode)
    choice = question.correct_index if correct else (question.correct_index + 1) % len(question.options)
    return services.answer_submit(
        user=student, session_id=block.pk, position=1, selected_index=choice, confidence=confidence,
        time_taken_seconds=seconds,
    )  # fmt: skip
