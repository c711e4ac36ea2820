"""How good the generated questions are, on lecture notes written for the purpose.

    .venv/bin/python bench/question_quality.py [--generator offline|openai] [--verbose]

Each document in bench/fixtures/lectures/ (pharmacology, physiology, microbiology, pathology:
the prose of real lecture handouts, several pages each, with facts that tempt a generator into a
question with two right answers) goes through the parser, the chunker, the embedder and the
generator exactly as an upload does (no database). The document's .json says, independently of
the generator, which terms are interchangeable answers in it ("interchangeable": several drugs
that reduce mortality in HFrEF; "contains": a term and a narrower one) and which sections hold
testable facts. Per document the bench prints the questions written and saved, how many of the
saved ones have two defensible answers or give the answer away by that independent judgement,
the saved questions per page (a page: a parsed section of up to 3,000 characters), the sections
covered, the largest share any section got, and per item check how many drafts it dropped or
flagged.

Targets with the offline generator: 0 saved questions with two defensible answers or a leaked
answer; at least 2 saved questions per page; every section with testable facts gets one, and
no section more than a quarter of them.
"""

import argparse
import io
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studyin.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from materials.parsing import parse_document  # noqa: E402
from medtext.chunking import chunk_pages  # noqa: E402
from medtext.embeddings import get_embedder  # noqa: E402
from medtext.vocabulary import entry_for  # noqa: E402
from questions.generation import DraftQuestion, LLMGenerator, OfflineGenerator, SourceChunk  # noqa: E402
from questions.generation.checks import content_stems  # noqa: E402

FIXTURES = ROOT / "bench" / "fixtures" / "lectures"
MAX_QUESTIONS = 200  # more than any document can give: the generator decides
MIN_PER_PAGE = 2
MAX_SECTION_SHARE = 0.25


def _key(term: str) -> str:
    entry = entry_for(term)
    return entry.term.casefold() if entry else " ".join(term.split()).casefold()


ABOUT_SHARE = 0.5  # of an interchangeable set's "about" words, and of the question's, that they share
_PATIENT = re.compile(r"\b(?:an?\s+)?\d+[-\s](?:year|month|week)[-\s]old\s+(?:man|woman|boy|girl|infant)\b", re.I)
# What the question asks for in the superlative (one answer) rather than of a kind (several).
_SUPERLATIVE = re.compile(r"\bmost common\b|\bfirst-line\b|\bof choice\b|\bearliest\b|\bpreferred\b|\bstrongest\b")
_LEAD_IN_WORDS = content_stems(
    "Which of the following drugs drug classes organisms structures cell types hormones enzymes receptors conditions "
    "diagnosis most likely appropriate responsible prescribed started medication new later develops evaluated comes "
    "physician found examination"
)


def _judge(question: DraftQuestion, notes: dict) -> tuple[bool, bool]:
    """(two defensible answers, answer given away), judged from the annotations and the text.

    Two defensible answers: the key and a distractor are a term and a narrower one ("contains"),
    or are both in an interchangeable set whose claim the question makes (at least half of the
    set's "about" words are in the vignette: the set "present with hypokalemia and metabolic
    alkalosis" does not make a question about the thick ascending limb's transporters ambiguous;
    and a question that asks for "the most common" or "first-line" one makes only the claim of
    a set that says so too)."""
    answer = _key(question.answer)
    others = {_key(o) for i, o in enumerate(question.options) if i != question.correct_index}
    said = content_stems(_PATIENT.sub("", question.vignette)) - _LEAD_IN_WORDS
    groups = []
    superlative = _SUPERLATIVE.findall(question.vignette.lower())
    for group in notes["interchangeable"]:
        if superlative and not set(superlative) <= set(_SUPERLATIVE.findall(group["about"].lower())):
            continue  # "the most common cause of anemia" has one answer, though several cause anemia
        about = content_stems(group["about"])
        shared = len(about & said)
        # The question makes the set's claim: it says most of it, and says little else that
        # could tell the set's members apart ("binds the V2 receptor" is not "acts on principal cells").
        if shared >= ABOUT_SHARE * len(about) and shared >= ABOUT_SHARE * len(said):
            groups.append({_key(t) for t in group["terms"]})
    groups += [{_key(t) for t in pair} for pair in notes["contains"]]
    two = any(answer in group and others & group for group in groups)
    entry = entry_for(question.answer)
    names = entry.names if entry else (question.answer,)
    vignette = question.vignette.casefold()
    named = any(re.search(rf"(?<!\w){re.escape(n.casefold())}(?!\w)", vignette) for n in names)
    words = content_stems(question.answer)
    leaked = named or (len(words) > 1 and words <= content_stems(question.vignette))
    return two, leaked


def run(path: Path, generator, verbose: bool) -> dict:
    notes = json.loads(path.with_suffix(".json").read_text())
    pages = parse_document(io.BytesIO(path.read_bytes()), file_type="markdown")
    pieces = chunk_pages(pages, size=settings.CHUNK_SIZE, overlap=settings.CHUNK_OVERLAP)
    chunks = [
        SourceChunk(id=str(c.index), text=c.text, page_number=c.page_number, heading=next(
            p.heading for p in pages if p.number == c.page_number))
        for c in pieces
    ]  # fmt: skip
    result = generator.generate(chunks=chunks, topic=None, max_questions=MAX_QUESTIONS)
    saved = result.questions
    by_chunk = {c.id: c for c in chunks}
    sections = Counter(by_chunk[q.source_chunk_id].heading for q in saved)
    testable = [heading for heading, has_facts in notes["sections"].items() if has_facts]
    judged = [_judge(q, notes) for q in saved]
    if verbose:
        for q, (two, leaked) in zip(saved, judged, strict=True):
            mark = "TWO ANSWERS " if two else "LEAKED " if leaked else ""
            print(f"  [{q.quality_score:.2f}] {mark}{q.vignette}\n      -> {q.answer} | {', '.join(q.options)}")
    return {
        "document": path.stem,
        "characters": sum(len(p.text) for p in pages),
        "pages": len(pages),
        "written": result.written,
        "saved": len(saved),
        "two_answers": sum(two for two, _ in judged),
        "leaked": sum(leaked for _, leaked in judged),
        "per_page": len(saved) / max(1, len(pages)),
        "uncovered": [h for h in testable if not sections.get(h)],
        "largest_share": max(sections.values(), default=0) / max(1, len(saved)),
        "dropped": dict(sorted(result.reasons.items())),
        "flagged": dict(sorted(result.flagged.items())),
    }


def _cell(dropped: int, flagged: int) -> str:
    return ", ".join(part for part in (f"{dropped} dropped" if dropped else "", f"{flagged} flagged" if flagged else "")
                     if part) or "0"  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--generator", choices=["offline", "openai"], default="offline")
    parser.add_argument("--verbose", action="store_true", help="print every saved question")
    args = parser.parse_args()
    embedder = get_embedder()
    generator = OfflineGenerator(embedder=embedder) if args.generator == "offline" else LLMGenerator(embedder=embedder)
    rows = []
    for path in sorted(FIXTURES.glob("*.md")):
        if args.verbose:
            print(f"\n{path.stem}:")
        rows.append(run(path, generator, args.verbose))

    print(f"\n{args.generator} generator, {len(rows)} documents\n")
    print(
        "| document | pages | written | saved | per page | two answers | leaked | sections without one | largest share |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['document']} | {r['pages']} | {r['written']} | {r['saved']} | {r['per_page']:.1f} | "
              f"{r['two_answers']} | {r['leaked']} | {len(r['uncovered'])} | {r['largest_share']:.0%} |")  # fmt: skip
    checks = sorted({c for r in rows for c in (*r["dropped"], *r["flagged"])})
    print("\n| check | " + " | ".join(r["document"] for r in rows) + " |")
    print("| --- |" + " --- |" * len(rows))
    for check in checks:
        cells = [_cell(r["dropped"].get(check, 0), r["flagged"].get(check, 0)) for r in rows]
        print(f"| {check} | " + " | ".join(cells) + " |")
    for r in rows:
        if r["uncovered"]:
            print(f"{r['document']}: no question from {', '.join(r['uncovered'])}")

    if args.generator == "offline":
        targets = {
            "0 saved questions with two defensible answers": all(r["two_answers"] == 0 for r in rows),
            "0 saved questions that give the answer away": all(r["leaked"] == 0 for r in rows),
            f"at least {MIN_PER_PAGE} saved questions per page": all(r["per_page"] >= MIN_PER_PAGE for r in rows),
            "every section with testable facts has a question": all(not r["uncovered"] for r in rows),
            f"no section more than {MAX_SECTION_SHARE:.0%} of them": all(
                r["largest_share"] <= MAX_SECTION_SHARE for r in rows
            ),
        }
        print()
        for target, met in targets.items():
            print(f"{'PASS' if met else 'FAIL'}  {target}")


if __name__ == "__main__":
    main()
