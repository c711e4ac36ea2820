"""The demo student's study notes: one document per topic, written from the demo's facts the
way a student summarises a chapter, in the formats students upload (Markdown, Word, plain
text). The seed uploads them and runs the real pipeline on them, so the demo's materials have
the pages, chunks, tags and generated questions the app itself would make."""

import io

from demo.facts import FACTS, MATERIAL_TITLES, Fact

# Which format each topic's notes come in: a mix, as students' uploads are.
FORMATS = {
    "Cardiology": "docx",
    "Renal": "docx",
    "Pharmacology": "docx",
    "Anatomy": "text",
}


def notes_for(topic: str) -> tuple[str, bytes]:
    """(file name, file content) of the demo student's notes on `topic`."""
    title = MATERIAL_TITLES[topic][0]
    sections = [(fact.subtopic, _paragraphs(fact)) for fact in FACTS if fact.topic == topic]
    stem = title.lower().replace(":", "").replace(".", "").replace(" ", "-")
    kind = FORMATS.get(topic, "markdown")
    if kind == "docx":
        return f"{stem}.docx", _docx(title, sections)
    if kind == "text":
        pages = [f"{heading}\n\n" + "\n\n".join(paragraphs) for heading, paragraphs in sections]
        return f"{stem}.txt", (f"{title}\n\n" + "\f".join(pages)).encode()
    markdown = [f"# {title}"]
    for heading, paragraphs in sections:
        markdown += [f"## {heading}", *paragraphs]
    return f"{stem}.md", ("\n\n".join(markdown) + "\n").encode()


def _paragraphs(fact: Fact) -> list[str]:
    contrasts = " ".join(f"{option}: {why}" for option, why in fact.distractors)
    return [
        f"{fact.answer}. {fact.why}",
        f"Mechanism. {fact.pathophysiology}",
        f"Clinical point. {fact.clinical}",
        f"Do not confuse it with the alternatives. {contrasts}",
        f"Source: {fact.reference}.",
    ]


def _docx(title: str, sections: list[tuple[str, list[str]]]) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(title, level=0)
    for heading, paragraphs in sections:
        document.add_heading(heading, level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
