"""Build real study documents in code, for parser, pipeline and benchmark tests.

Every builder returns the file's bytes; wrap them in `io.BytesIO` (or Django's `SimpleUploadedFile`)
to upload or parse them. Nothing here reads files from disk or the network.

PDFs are written by fpdf2 with its built-in Helvetica, which only knows Latin-1: keep PDF text to
Latin-1 characters (no "—", "’"; use "-" and "'").
"""

from __future__ import annotations

import io
import random
import zipfile

# --- PDF ------------------------------------------------------------------------------------


def pdf_bytes(pages: list[str]) -> bytes:
    """A PDF with one page per string, the text set in paragraphs ("\\n\\n" between them).

    An empty string gives a page with no text layer, only a picture, as a scanned page would be:
    `pdf_bytes(["Intro", "", "Summary"])` has text on pages 1 and 3; `pdf_bytes(["", ""])` has no
    text at all.
    """
    return _pdf(pages).output()


def encrypted_pdf_bytes(pages: list[str], *, user_password: str = "", owner_password: str = "owner") -> bytes:
    """A PDF like `pdf_bytes`, encrypted (RC4). With user_password "" anyone can open it."""
    pdf = _pdf(pages)
    pdf.set_encryption(owner_password=owner_password, user_password=user_password or None)
    return pdf.output()


def _pdf(pages: list[str]):
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(_FIXED_DATE)  # the same input gives the same bytes
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 5.5, text)
        else:
            pdf.image(_picture(), x=30, y=40, w=150)
    return pdf


def _picture():
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (300, 200), "white")
    draw = ImageDraw.Draw(image)
    for y in range(20, 190, 12):  # grey bars where a scan would show lines of text
        draw.rectangle((20, y, 280 - (y % 50), y + 5), fill=(90, 90, 90))
    return image


# --- DOCX -----------------------------------------------------------------------------------


def docx_bytes(
    sections: list[tuple[str, list[str]]],
    table: list[list[str]] | None = None,
    *,
    table_in: int = -1,
    title: str = "",
) -> bytes:
    """A Word document: each section is (heading, paragraphs), the heading styled "Heading 1".

    A section with heading "" adds its paragraphs without a heading (use it first, for text
    before the first heading). `table` (rows of cell texts) goes after the paragraphs of
    `sections[table_in]`. `title`, if given, is a "Title"-styled paragraph at the very top.
    """
    import docx

    document = docx.Document()
    document.core_properties.created = _FIXED_DATE
    if title:
        document.add_heading(title, level=0)
    target = range(len(sections))[table_in] if table and sections else None
    for position, (heading, paragraphs) in enumerate(sections):
        if heading:
            document.add_heading(heading, level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
        if position == target:
            grid = document.add_table(rows=len(table), cols=max(len(row) for row in table))
            for row, cells in zip(grid.rows, table, strict=True):
                for cell, text in zip(row.cells, cells, strict=False):
                    cell.text = text
    if table and not sections:
        raise ValueError("a table needs a section to go in")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_with_parts(replace: dict[str, bytes | str | None], *, base: bytes | None = None) -> bytes:
    """A real Word document (`base`, or a one-paragraph one) with some parts replaced, added, or
    (None) removed: damaged and hostile archives for the parser's defences."""
    base = base or docx_bytes([("Renal", ["The loop of Henle concentrates urine."])])
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            if info.filename not in replace:
                out.writestr(info, source.read(info))
        for name, data in replace.items():
            if data is not None:
                out.writestr(name, data)
    return buffer.getvalue()


def docx_bomb_bytes(inflated_mb: int) -> bytes:
    """A Word document whose word/document.xml is `inflated_mb` MB of ordinary paragraphs that
    compress to a few hundred kilobytes (the shape of a "zip bomb"). Written in pieces, so
    building it never holds the inflated text."""
    base = docx_bytes([("Renal", ["The loop of Henle concentrates urine."])])
    paragraph = b"<w:p><w:r><w:t>Furosemide inhibits the Na-K-2Cl cotransporter in the loop of Henle.</w:t></w:r></w:p>"
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            if info.filename != "word/document.xml":
                out.writestr(info, source.read(info))
        block = paragraph * (2**20 // len(paragraph))
        with out.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(head)
            for _ in range(inflated_mb):
                part.write(block)
            part.write(b"</w:body></w:document>")
    return buffer.getvalue()


# --- Markdown and plain text ----------------------------------------------------------------


def markdown_bytes(sections: list[tuple[str, list[str]]], *, level: int = 1) -> bytes:
    """Markdown: each section is (heading, paragraphs); the heading an ATX heading of `level`.

    A section with heading "" has no heading line (use it first, for text before the first
    heading). Paragraphs are written as given, so they may hold Markdown markup.
    """
    blocks = []
    for heading, paragraphs in sections:
        if heading:
            blocks.append(f"{'#' * level} {heading}")
        blocks.extend(paragraphs)
    return ("\n\n".join(blocks) + "\n").encode()


def text_bytes(text: str, *, encoding: str = "utf-8", bom: bool = False) -> bytes:
    """Plain text. `encoding="utf-16"` writes a BOM by itself; `bom=True` adds one to UTF-8."""
    data = text.encode(encoding)
    return b"\xef\xbb\xbf" + data if bom and encoding.replace("-", "").lower() == "utf8" else data


# --- Files that are not study material ------------------------------------------------------


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    _picture().save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    _picture().save(buffer, format="JPEG")
    return buffer.getvalue()


# The start of a Windows executable (DOS header and stub message), and of an Office 97-2003
# compound file (what an old .doc is): enough for anything that looks at content.
EXE_BYTES = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + (b"This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 400)
)
OLD_DOC_BYTES = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff" + b"\x00" * 482


# --- Medical-sounding text ------------------------------------------------------------------

_SUBJECTS = [
    "Dilated cardiomyopathy", "Heart failure with reduced ejection fraction", "Atrial fibrillation",
    "Community-acquired pneumonia", "Diabetic ketoacidosis", "Acute pancreatitis", "Hyperkalemia",
    "Pulmonary embolism", "Iron-deficiency anemia", "Nephrotic syndrome", "Graves disease",
    "Addison disease", "Myasthenia gravis", "Acute kidney injury", "Septic shock",
]  # fmt: skip
_VERBS = [
    "typically presents with", "is associated with", "is treated with", "is diagnosed by",
    "may be complicated by", "is suggested by", "is classically caused by", "should prompt",
]  # fmt: skip
_OBJECTS = [
    "dyspnea on exertion and orthopnea", "an elevated serum lipase", "a low serum bicarbonate",
    "peaked T waves on the ECG", "beta-blockers and ACE inhibitors", "a D-dimer followed by CT angiography",
    "a microcytic, hypochromic anemia", "proteinuria above 3.5 g per day", "diffuse goiter and exophthalmos",
    "hyperpigmentation and hyponatremia", "fatigable ptosis", "a rising creatinine", "vasopressors",
    "an irregularly irregular rhythm", "anticoagulation, e.g. apixaban", "lobar consolidation on chest X-ray",
]  # fmt: skip
_CLAUSES = [
    "", "", "", " in most adults", " according to Dr. Osler's teaching", " (see Fig. 2)",
    ", although the evidence for this vs. supportive care is mixed", " in patients older than 65 years",
    ", which is why the first dose is given within 1 h of arrival", " unless contraindicated",
]  # fmt: skip
_ENDS = [".", ".", ".", ".", "?", "!"]


def medical_sentence(rng: random.Random) -> str:
    """One sentence of board-review prose (Latin-1 only, so PDFs can show it)."""
    return (
        f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}{rng.choice(_CLAUSES)}{rng.choice(_ENDS)}"
    )


def medical_text(rng: random.Random, *, chars: int, paragraph_every: int = 5) -> str:
    """About `chars` characters of whole sentences, a paragraph break about every few sentences."""
    parts: list[str] = []
    length = 0
    while length < chars:
        sentence = medical_sentence(rng)
        separator = "" if not parts else ("\n\n" if rng.randrange(paragraph_every) == 0 else " ")
        parts.append(separator + sentence)
        length += len(separator) + len(sentence)
    return "".join(parts)


# A fixed timestamp keeps generated files byte-for-byte reproducible.
def _fixed_date():
    import datetime

    return datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


_FIXED_DATE = _fixed_date()
