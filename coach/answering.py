"""The coach's answerers: given the student's question and the passages retrieved from their own
materials, write an answer that says only what the passages say, each claim followed by a
numbered citation [n] of passage n.

Two backends behind one interface, chosen by COACH_ANSWERER:
- "offline" (the default): the answer is the passages' own sentences that best match the
  question, in the order of the notes, each cited;
- "openai": an OpenAI-compatible chat-completions endpoint (LLM_API_BASE, LLM_API_KEY, LLM_MODEL:
  OpenAI, llama.cpp's server, vLLM, Ollama), told to answer only from the numbered passages and
  to cite them; a citation of a passage it was not given is dropped, and an answer left with no
  citation is not shown (the refusal is).
Both refuse plainly, naming what to upload, when the passages do not cover the question: no
passages passed the relevance threshold, or none of them says anything about it.
"""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings

from medtext.chunking import sentence_spans
from medtext.errors import ServiceError, TransientServiceError
from medtext.openai_http import endpoint_url, post_json
from questions.generation.checks import content_stems


class AnswerError(ServiceError):
    """The answer cannot be written (a configuration error, a refusal by the endpoint)."""


class TransientAnswerError(AnswerError, TransientServiceError):
    """The endpoint may answer later (a timeout, 429, 5xx): the task retries."""


@dataclass(frozen=True)
class Source:
    """A retrieved passage as the answerer sees it; `number` is its citation marker."""

    number: int
    chunk_id: str
    material_id: str
    material_title: str
    page: int | None
    heading: str
    text: str


@dataclass(frozen=True)
class Turn:
    role: str  # "user" or "assistant"
    content: str


@dataclass
class Reply:
    text: str  # with [n] markers
    cited: list[int] = field(default_factory=list)  # the numbers of the passages cited, in order
    quotes: dict[int, str] = field(default_factory=dict)  # what the answer took from each passage
    found: bool = True  # False: the refusal
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Answerer(Protocol):
    def answer(self, *, question: str, sources: Sequence[Source], history: Sequence[Turn] = ()) -> Reply: ...


def get_answerer() -> Answerer:
    backend = settings.COACH_ANSWERER
    if backend == "offline":
        return OfflineAnswerer()
    if backend == "openai":
        if not settings.LLM_API_BASE:
            raise AnswerError("COACH_ANSWERER=openai needs LLM_API_BASE (and LLM_API_KEY, LLM_MODEL)")
        return LLMAnswerer()
    raise AnswerError(f"unknown COACH_ANSWERER {backend!r}: use 'offline' or 'openai'")


def refusal(question: str) -> Reply:
    """What both answerers say when the student's material does not cover the question."""
    terms = ", ".join(_key_terms(question)) or "this subject"
    return Reply(
        text=(
            "I can't answer that from your materials: none of the passages I searched covers it. "
            f"Upload notes or a chapter that cover {terms}, or tick more materials, and ask again."
        ),
        found=False,
    )


def _key_terms(question: str, count: int = 4) -> list[str]:
    words = [w for w in re.findall(r"[A-Za-z][\w-]+", question) if content_stems(w)]
    return list(dict.fromkeys(words))[:count]


# --- Offline --------------------------------------------------------------------------------

MAX_SENTENCES = 4
MAX_PER_SOURCE = 2
# The sentences chosen must contain more than this share of the question's content words (with
# the previous question's, for a follow-up), or the passages are about something near the
# question but do not answer it ("Which antidepressant causes priapism?" against notes that
# mention antidepressants but not priapism): README, "The coach".
MIN_COVERAGE = 0.5


class OfflineAnswerer:
    """The passages' own sentences that share the most content words with the question (and
    the previous question, for a follow-up), at most MAX_SENTENCES and MAX_PER_SOURCE from one
    passage, in the order they appear in the notes; nothing is written that the notes do not say."""

    def answer(self, *, question: str, sources: Sequence[Source], history: Sequence[Turn] = ()) -> Reply:
        wanted = content_stems(question)
        earlier = [t.content for t in history if t.role == "user"][-1:] if is_follow_up(question) else []
        context = content_stems(" ".join(earlier)) - wanted
        scored, named = [], set()
        for rank, source in enumerate(sources):
            for order, sentence in enumerate(_sentences(source.text)):
                if _REFERENCE.match(sentence):
                    # Never said (where the notes come from is the citation's to say), but it names
                    # what the passages are about: its words count as covered below.
                    named |= content_stems(sentence)
                    continue
                words = content_stems(sentence)
                overlap = len(words & wanted) + 0.5 * len(words & context)
                if overlap:
                    # Ties go to the better-ranked passage, then the earlier sentence.
                    scored.append((overlap - 0.01 * rank, source, order, sentence))
        if not scored:
            return refusal(question)
        chosen, per_source = [], {}
        for _, source, order, sentence in sorted(scored, key=lambda s: -s[0]):
            if per_source.get(source.number, 0) < MAX_PER_SOURCE:
                chosen.append((source, order, sentence))
                per_source[source.number] = per_source.get(source.number, 0) + 1
            if len(chosen) == MAX_SENTENCES:
                break
        said = named.union(*(content_stems(sentence) for _, _, sentence in chosen))
        # A new question's own words must be answered: "How is warfarin reversed?" after a
        # question on levodopa is not answered by the levodopa passage.
        if len(said & (wanted | context)) <= MIN_COVERAGE * len(wanted | context) or (
            not context and wanted and not said & wanted
        ):
            return refusal(question)
        chosen.sort(key=lambda c: (sources.index(c[0]), c[1]))
        cited, quotes, lines = [], {}, []
        for source, _, sentence in chosen:
            if source.number not in cited:
                cited.append(source.number)
            quotes[source.number] = " ".join(filter(None, [quotes.get(source.number), sentence]))
            lines.append(f"{sentence} [{source.number}]")
        return Reply(text=" ".join(lines), cited=cited, quotes=quotes)


FOLLOW_UP_WORDS = 10
_REFERS_BACK = re.compile(r"^(?:and|but|so|what about|how about)\b|\b(?:it|its|they|them|their|this|that|these|those)\b",
                          re.IGNORECASE)  # fmt: skip


def is_follow_up(question: str) -> bool:
    """A short question that refers back ("And in which age group is it most common?") is read
    with the question before it; "How is warfarin reversed?" is a new question."""
    return len(question.split()) <= FOLLOW_UP_WORDS and bool(_REFERS_BACK.search(question))


# A reference line of the notes ("Source: First Aid for the USMLE Step 1, Cardiovascular: …"):
# it shares the question's words (the topic's name) and says nothing about it.
_REFERENCE = re.compile(r"(?:sources?|references?|refs?|see also|adapted from)\s*:", re.IGNORECASE)


def _sentences(text: str) -> list[str]:
    return [" ".join(text[a:b].split()) for a, b in sentence_spans(text, size=len(text) + 1) if text[a:b].strip()]


# --- OpenAI-compatible ------------------------------------------------------------------------

NOT_COVERED = "NOT_IN_SOURCES"
HISTORY_TURNS = 6
SYSTEM_PROMPT = f"""You are StudyIn's study coach for a medical student. Answer the student's question
using ONLY the numbered passages from their own study materials given below.
Rules:
- Every sentence of your answer states something a passage says, and ends with the number of that
  passage in square brackets, e.g. "Loop diuretics inhibit NKCC2 [2]." Cite only the numbers given.
- Never add facts from outside the passages, even when you know them.
- If the passages do not answer the question, reply with exactly {NOT_COVERED} and nothing else.
- Be concise: at most five sentences, plain text, no headings."""
_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


class LLMAnswerer:
    def __init__(self, *, api_base: str | None = None, api_key: str | None = None, model: str | None = None,
                 timeout: float | None = None):  # fmt: skip
        api_base = api_base if api_base is not None else settings.LLM_API_BASE
        self.url = endpoint_url(api_base, "chat/completions", setting="LLM_API_BASE", error=AnswerError)
        self.api_key = api_key if api_key is not None else settings.LLM_API_KEY
        self.model = model or settings.LLM_MODEL
        self.timeout = timeout or settings.AI_HTTP_TIMEOUT

    def answer(self, *, question: str, sources: Sequence[Source], history: Sequence[Turn] = ()) -> Reply:
        passages = "\n\n".join(f"[{s.number}] ({_place(s)})\n{s.text}" for s in sources)
        messages = [{"role": "system", "content": f"{SYSTEM_PROMPT}\n\nPassages:\n\n{passages}"}]
        messages += [{"role": t.role, "content": t.content} for t in list(history)[-HISTORY_TURNS:]]
        messages.append({"role": "user", "content": question})
        body = post_json(
            self.url, {"model": self.model, "messages": messages, "temperature": 0.2}, api_key=self.api_key,
            timeout=self.timeout, errors=(AnswerError, TransientAnswerError),
        )  # fmt: skip
        try:
            data = json.loads(body)
            content = str(data["choices"][0]["message"]["content"] or "")
            usage = data.get("usage") or {}
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise TransientAnswerError(f"{self.url} sent a reply that is not a chat completion") from exc
        reply = cited_reply(content, {s.number: s for s in sources})
        if not reply.found:
            reply = refusal(question)
        reply.prompt_tokens = int(usage.get("prompt_tokens") or 0)
        reply.completion_tokens = int(usage.get("completion_tokens") or 0)
        return reply


def cited_reply(content: str, sources: dict[int, Source]) -> Reply:
    """The model's answer with every marker of a passage it was not given removed ("[2, 9]"
    becomes "[2]" when it was given two), markers normalised to one per number. An answer with no
    valid citation left, or the model's own "not covered", is not an answer from the sources."""
    content = content.strip()
    if not content or NOT_COVERED in content:
        return Reply(text="", found=False)
    cited: list[int] = []

    def keep(match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.split(r"\s*,\s*", match.group(1)) if int(n) in sources]
        for n in numbers:
            if n not in cited:
                cited.append(n)
        return "".join(f"[{n}]" for n in dict.fromkeys(numbers))

    text = re.sub(r"[ \t]+([.,;:])", r"\1", _MARKER.sub(keep, content))
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    if not cited:
        return Reply(text="", found=False)
    return Reply(text=text, cited=cited, quotes={n: sources[n].text for n in cited})


def _place(source: Source) -> str:
    where = f"page {source.page}" if source.page else source.heading or "notes"
    return f"{source.material_title}, {where}"
