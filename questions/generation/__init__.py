"""Question generation from a student's material (DESIGN.md "AI backends").

Two backends, chosen by QUESTION_GENERATOR: "offline" (the default: facts of the material turned
into NBME-style items, `offline.py`) and "openai" (an OpenAI-compatible chat endpoint, `llm.py`).
Both return drafts checked by `validate_draft`, without near-duplicates of each other or of the
student's existing questions (`drafts.keep_distinct`).
"""

from django.conf import settings

from .drafts import (
    DraftQuestion,
    GenerationError,
    GenerationResult,
    QuestionGenerator,
    SourceChunk,
    TransientGenerationError,
    validate_draft,
)
from .llm import LLMGenerator
from .offline import OfflineGenerator

__all__ = [
    "DraftQuestion",
    "GenerationError",
    "GenerationResult",
    "LLMGenerator",
    "OfflineGenerator",
    "QuestionGenerator",
    "SourceChunk",
    "TransientGenerationError",
    "get_generator",
    "validate_draft",
]


def get_generator() -> QuestionGenerator:
    """The backend the settings name. A configuration error is a GenerationError: the stage fails
    with a message the operator can act on, and is not retried."""
    backend = settings.QUESTION_GENERATOR
    if backend == "offline":
        return OfflineGenerator()
    if backend == "openai":
        if not settings.LLM_API_BASE:
            raise GenerationError("QUESTION_GENERATOR=openai needs LLM_API_BASE (and LLM_API_KEY, LLM_MODEL)")
        return LLMGenerator()
    raise GenerationError(f"unknown QUESTION_GENERATOR {backend!r}: use 'offline' or 'openai'")
