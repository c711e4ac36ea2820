"""Questions written by a language model behind an OpenAI-compatible chat endpoint
(QUESTION_GENERATOR="openai"; LLM_API_BASE, LLM_API_KEY, LLM_MODEL, AI_HTTP_TIMEOUT).

One request, `POST {LLM_API_BASE}/chat/completions` with `response_format: {"type": "json_object"}`,
per group of chunks. A group holds whole chunks in order up to PROMPT_CHAR_BUDGET characters of
excerpts (about 3,000 tokens; a longer chunk is cut to it), which with the system prompt and a reply
of up to MAX_QUESTIONS_PER_REQUEST questions (about 400 tokens each) fits an 8k-token context.
Each group is asked for its share of `max_questions` (by its length, at least one); groups are
sent until enough valid questions have come back.

The reply's message content must be this JSON (the system prompt spells it out for the model):

    {"questions": [{
        "vignette": "A 58-year-old man ... Which of the following ...?",
        "options": [{"text": "...", "correct": true, "rationale": "..."}, ... five in all],
        "explanation": "...", "pathophysiology": "...", "clinical_relevance": "...",
        "topic": "Cardiology", "subtopic": "...", "difficulty": "easy|medium|hard|nbme",
        "source_chunk_id": "<the excerpt's id>", "quote": "<the exact sentence that supports the answer>"
    }]}

Each question must pass `validate_draft` and have exactly one correct option and a known excerpt id.
A reply that is not such JSON, or holds an invalid question, is answered once with the problems
and asked again; of the two replies the one with more valid questions is used (the second on a
tie), and what is wrong in it is dropped and counted: reasons["bad_reply"] for a reply that is no
such JSON, reasons["invalid"] per invalid question. The page cited is the excerpt's own, never the
model's claim.

Quality score: 0.5, + 0.2 when the quote is found word for word in the cited excerpt, + 0.1 when
pathophysiology and clinical relevance are both given, + 0.1 when every rationale has 5+ words,
+ 0.1 when the vignette has 25+ words.

Errors: timeouts, connection errors, 408, 409, 429 and 5xx raise TransientGenerationError (the
pipeline retries the stage); other HTTP errors GenerationError (permanent: fix the configuration).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from django.conf import settings

from medtext.openai_http import endpoint_url, post_json
from questions.models import Difficulty

from .checks import screen
from .drafts import (
    OPTION_COUNT,
    DraftQuestion,
    GenerationError,
    GenerationResult,
    SourceChunk,
    TransientGenerationError,
    UsesEmbedder,
    reference,
    validate_draft,
)

PROMPT_CHAR_BUDGET = 12_000
MAX_QUESTIONS_PER_REQUEST = 10
TEMPERATURE = 0.3

SYSTEM_PROMPT = f"""You write USMLE/NBME-style multiple-choice questions for medical students.
Use ONLY facts stated in the excerpts the user gives you. Never use outside knowledge: if the
excerpts do not support a question, do not write it.
Follow the NBME item-writing rules:
- a clinical vignette (patient age and sex, presentation, relevant findings), not a sentence of the
  excerpts copied; it ends with a one-sentence lead-in question ("Which of the following is the most
  likely diagnosis?");
- a student who can cover the options and read only the vignette can answer it;
- exactly {OPTION_COUNT} options of the same kind and form (all drugs, or all drug classes, or all
  diagnoses), short, no two alike and none inside another;
- only one best answer: no distractor that the excerpts say the same of (two first-line drugs for
  one condition, a drug and its own class);
- the vignette never names the answer or states what gives it away (its mechanism, its class);
- plain, well-formed English; no two questions that differ only in the patient;
- for every option a rationale: for the answer why it is right, for each distractor what the
  excerpts say of it, or one short line why it does not fit;
- an explanation of the correct answer, the pathophysiology, and the clinical relevance;
- the id of the excerpt that supports the answer and the exact sentence from it, copied word for word.
Every question is checked against these rules and dropped when it breaks one.
Reply with one JSON object and nothing else, in this form:
{{"questions": [{{"vignette": "...", "options": [{{"text": "...", "correct": true, "rationale": "..."}}, ...],
"explanation": "...", "pathophysiology": "...", "clinical_relevance": "...", "topic": "...",
"subtopic": "...", "difficulty": "easy|medium|hard|nbme", "source_chunk_id": "...", "quote": "..."}}]}}"""


@dataclass
class _Reply:
    drafts: list[DraftQuestion] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # for the model, when asked again
    bad_reply: bool = False  # not the JSON asked for at all
    invalid: int = 0  # questions that failed the checks


class LLMGenerator(UsesEmbedder):
    def __init__(
        self,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        model: str | None = None,
        timeout: float | None = None,
        embedder=None,
    ):
        super().__init__(embedder=embedder)
        api_base = api_base if api_base is not None else settings.LLM_API_BASE
        self.url = endpoint_url(api_base, "chat/completions", setting="LLM_API_BASE", error=GenerationError)
        self.api_key = api_key if api_key is not None else settings.LLM_API_KEY
        self.model = model or settings.LLM_MODEL
        self.timeout = timeout or settings.AI_HTTP_TIMEOUT

    def generate(
        self,
        *,
        chunks: list[SourceChunk],
        topic: str | None,
        max_questions: int,
        existing_vignettes: Sequence[str] = (),
    ) -> GenerationResult:
        reasons: dict[str, int] = {}
        if max_questions <= 0 or not chunks:
            return GenerationResult(questions=[], dropped=0, reasons=reasons)
        groups = _groups(chunks, PROMPT_CHAR_BUDGET)
        total = sum(len(c.text) for group in groups for c in group) or 1
        drafts: list[DraftQuestion] = []
        for group in groups:
            if len(drafts) >= max_questions:
                break
            share = math.ceil(max_questions * sum(len(c.text) for c in group) / total)
            wanted = max(1, min(MAX_QUESTIONS_PER_REQUEST, share, max_questions - len(drafts)))
            reply = self._ask(group, topic, wanted)
            if reply.bad_reply:
                reasons["bad_reply"] = reasons.get("bad_reply", 0) + 1
            if reply.invalid:
                reasons["invalid"] = reasons.get("invalid", 0) + reply.invalid
            drafts.extend(reply.drafts)
        written, flagged = len(drafts) + sum(reasons.values()), {}
        kept = screen(
            drafts,
            chunks=chunks,
            embedder=self.embedder,
            existing_vignettes=existing_vignettes,
            max_questions=max_questions,
            reasons=reasons,
            flagged=flagged,
        )
        return GenerationResult(
            questions=kept, dropped=sum(reasons.values()), reasons=reasons, flagged=flagged, written=written
        )

    def _ask(self, group: list[SourceChunk], topic: str | None, wanted: int) -> _Reply:
        """One request for `group`, asked again once if the reply is not entirely valid."""
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": _prompt(group, topic, wanted)},
        ]
        content = self._chat(messages)
        first = _read_reply(content, group, topic)
        if not first.bad_reply and not first.invalid:
            return first
        messages += [
            {"role": "assistant", "content": content},
            {
                "role": "user",
                "content": "That reply cannot be used: "
                + "; ".join(first.problems)
                + ". Reply again with the corrected JSON object only.",
            },
        ]
        second = _read_reply(self._chat(messages), group, topic)
        return second if len(second.drafts) >= len(first.drafts) else first

    def _chat(self, messages: list[dict]) -> str:
        body = {
            "model": self.model,
            "messages": messages,
            "response_format": {"type": "json_object"},
            "temperature": TEMPERATURE,
        }
        payload = self._post(body)
        try:
            content = payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            return ""  # read as a bad reply, and asked again
        return content if isinstance(content, str) else ""

    def _post(self, body: dict):
        payload = post_json(
            self.url,
            body,
            api_key=self.api_key,
            timeout=self.timeout,
            errors=(GenerationError, TransientGenerationError),
        )
        try:
            return json.loads(payload)
        except ValueError:
            return None  # read as a bad reply, and asked again


def _groups(chunks: list[SourceChunk], budget: int) -> list[list[SourceChunk]]:
    groups: list[list[SourceChunk]] = []
    size = 0
    for chunk in chunks:
        chunk = replace(chunk, text=chunk.text[:budget])
        if not groups or size + len(chunk.text) > budget:
            groups.append([])
            size = 0
        groups[-1].append(chunk)
        size += len(chunk.text)
    return groups


def _prompt(group: list[SourceChunk], topic: str | None, wanted: int) -> str:
    about = f" about {topic}" if topic else ""
    excerpts = "\n\n".join(
        f"[excerpt id={c.id} " + (f"section={c.heading!r}" if c.heading else f"page={c.page_number}") + f"]\n{c.text}"
        for c in group
    )
    return f"Write up to {wanted} questions{about} from these excerpts of a student's notes.\n\n{excerpts}"


def _read_reply(content: str, group: list[SourceChunk], topic: str | None) -> _Reply:
    try:
        questions = json.loads(content)["questions"]
        if not isinstance(questions, list) or not questions:
            raise TypeError("no questions")
    except (ValueError, KeyError, TypeError):
        return _Reply(bad_reply=True, problems=['the reply must be a JSON object {"questions": [...]} with questions'])
    reply = _Reply()
    chunks = {c.id: c for c in group}
    for number, item in enumerate(questions, 1):
        draft, problems = _draft(item, chunks, topic)
        if problems:
            reply.invalid += 1
            reply.problems.append(f"question {number}: {', '.join(problems)}")
        else:
            reply.drafts.append(draft)
    return reply


def _draft(item, chunks: dict[str, SourceChunk], topic: str | None) -> tuple[DraftQuestion | None, list[str]]:
    if not isinstance(item, dict):
        return None, ["not a JSON object"]
    options = item.get("options")
    if not isinstance(options, list) or not all(isinstance(o, dict) for o in options):
        return None, ['"options" must be a list of {"text", "correct", "rationale"} objects']
    correct = [i for i, o in enumerate(options) if o.get("correct") is True]
    problems = [] if len(correct) == 1 else [f"exactly one option must be correct, not {len(correct)}"]
    chunk = chunks.get(str(item.get("source_chunk_id", ""))) or (
        next(iter(chunks.values())) if len(chunks) == 1 else None
    )
    if chunk is None:
        problems.append("source_chunk_id must be one of the excerpt ids")
    quote = _text(item.get("quote"))
    difficulty = _text(item.get("difficulty")).lower()
    draft = DraftQuestion(
        vignette=_text(item.get("vignette")),
        options=[_text(o.get("text")) for o in options],
        correct_index=correct[0] if len(correct) == 1 else -1,
        option_rationales=[_text(o.get("rationale")) for o in options],
        explanation=_text(item.get("explanation")),
        pathophysiology=_text(item.get("pathophysiology")),
        clinical_relevance=_text(item.get("clinical_relevance")),
        topic=_text(item.get("topic")) or topic or "General",
        subtopic=_text(item.get("subtopic")),
        difficulty=difficulty if difficulty in Difficulty.values else Difficulty.MEDIUM,
        quality_score=0.0,
        references=[reference(chunk, quote)] if chunk else [],
        source_chunk_id=chunk.id if chunk else "",
    )
    problems += [p for p in validate_draft(draft) if "correct_index" not in p or len(correct) == 1]
    if problems:
        return None, problems
    draft.quality_score = _quality(draft, chunk, quote)
    return draft, []


def _text(value) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _quality(draft: DraftQuestion, chunk: SourceChunk, quote: str) -> float:
    score = 0.5
    score += 0.2 * bool(quote and quote in " ".join(chunk.text.split()))
    score += 0.1 * bool(draft.pathophysiology and draft.clinical_relevance)
    score += 0.1 * all(len(r.split()) >= 5 for r in draft.option_rationales)
    score += 0.1 * (len(draft.vignette.split()) >= 25)
    return round(min(1.0, score), 3)
