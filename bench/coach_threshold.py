"""Where the coach's relevance threshold (COACH_MIN_SIMILARITY) and the offline answerer's
coverage gate stand, on the demo's notes, with the configured embedder. No database.

    .venv/bin/python bench/coach_threshold.py

Covered: each demo fact's lead-in with its subtopic ("Which is the most likely organism?
(Meningitis)"), answerable from the notes when the lead-in says what it asks. Not covered:
medical questions the notes do not answer, and two that are not medicine. Prints the best
cosine similarity of each group against the notes' paragraphs, and how many questions the
offline answerer answers from the passages passing the threshold.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studyin.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from coach.answering import OfflineAnswerer, Source  # noqa: E402
from demo.facts import FACTS  # noqa: E402
from demo.notes import _paragraphs  # noqa: E402
from medtext.embeddings import get_embedder  # noqa: E402

NOT_COVERED = [
    "What is the treatment of acute gout?", "What causes psoriasis?", "Which antidepressant causes priapism?",
    "What are the symptoms of schizophrenia?", "How does osteoporosis present?", "What is the Apgar score?",
    "What is the first-line treatment of acne?", "Which bone is fractured in a boxer's fracture?",
    "What are the stages of labour?", "How is glaucoma treated?", "What causes otitis media in children?",
    "What is the treatment of scabies?", "What is the mechanism of action of metformin in polycystic ovary syndrome?",
]  # fmt: skip
NOT_MEDICINE = ["recipe for chocolate cake", "who won the football match"]


def main() -> None:
    embedder, threshold = get_embedder(), settings.COACH_MIN_SIMILARITY
    paragraphs = [p for fact in FACTS for p in _paragraphs(fact)]
    vectors = embedder.embed(paragraphs)

    def nearest(question: str) -> list[tuple[float, str]]:
        q = embedder.embed([question])[0]
        scored = sorted(((sum(a * b for a, b in zip(q, v, strict=True)), p) for v, p in zip(vectors, paragraphs,
                         strict=True)), reverse=True)  # fmt: skip
        return scored[: settings.COACH_PASSAGES]

    def answered(question: str) -> bool:
        passing = [p for s, p in nearest(question) if s >= threshold]
        sources = [Source(number=i, chunk_id=str(i), material_id="", material_title="", page=1, heading="", text=p)
                   for i, p in enumerate(passing, start=1)]  # fmt: skip
        return OfflineAnswerer().answer(question=question, sources=sources).found

    covered = list(dict.fromkeys(f"{f.lead} ({f.subtopic})" for f in FACTS))
    print(f"COACH_MIN_SIMILARITY = {threshold}, {len(paragraphs)} paragraphs of notes")
    for name, questions in (("covered", covered), ("not covered", NOT_COVERED), ("not medicine", NOT_MEDICINE)):
        best = sorted(nearest(q)[0][0] for q in questions)
        above = sum(b >= threshold for b in best)
        answers = sum(answered(q) for q in questions)
        print(f"{name:>13}: {len(questions):3} questions, best similarity {best[0]:.2f}-{best[-1]:.2f} "
              f"(median {best[len(best) // 2]:.2f}), {above} at or above the threshold, {answers} answered")  # fmt: skip


if __name__ == "__main__":
    main()
