"""Turn an uploaded study file into numbered pages of plain text.

Pure functions: no models, no database, no network. The pipeline calls `detect_file_type` when
the student uploads (so a wrong file is refused in the form) and `parse_document` in the parse
stage; everything raised here is a `ParseError` whose message a student can read, and none of
them clears up by retrying.

What a "page" is, per format:
- PDF: the physical page, 1-based, exactly as a PDF viewer numbers it. Pages without a text
  layer (blank, or a scanned image) are left out of the list, but the others keep their numbers,
  so a citation "p. 7" always means the seventh page of the file.
- DOCX, Markdown: a section, cut at each heading (DOCX paragraphs styled "Heading …" or "Title";
  Markdown ATX headings `#`, `##`, `###`). `Page.heading` holds the heading, which is what
  citations show, as these formats have no pages. Text before the first heading is a section
  with heading "". A section longer than `SECTION_CHARS` is cut at paragraph boundaries into
  parts that keep its heading.
- Plain text: the pages between form feeds (`\\f`) when the file has any, numbered like PDF
  pages; otherwise sections of about `SECTION_CHARS` characters cut at paragraph boundaries.
For DOCX, Markdown and text sections, the numbers run 1, 2, 3… over the sections that have text.
Numbers are unique within a document.

Text is normalised the same way for every format: line endings to "\\n", typographic ligatures
(ﬁ, ﬂ…) spelt out, no-break spaces to spaces, soft hyphens, NUL and other control characters
removed (PostgreSQL text cannot hold NUL), runs of spaces and tabs collapsed to one space,
spaces at line ends dropped, paragraphs separated by exactly one blank line ("\\n\\n").

PDF text needs one more step, because pypdf returns one line per visual line and no blank lines
between paragraphs. Reading the lines of a page top to bottom:
- a gap above the next line wider than `PDF_PARAGRAPH_GAP` (1.3) times the page's usual line
  spacing (the lower quartile of its line gaps, from the positions pypdf reports) ends a paragraph ("\\n\\n");
- a line ending in "letter-" followed by a line starting with a lower-case letter is joined
  without the hyphen ("cardio-" + "myopathy" → "cardiomyopathy"; the price: a compound word
  broken at its own hyphen, "beta-" + "blocker", loses it too); before an upper-case letter the
  hyphen stays and the lines join without a space ("non-" + "Hodgkin" → "non-Hodgkin");
- a line at least `PDF_FULL_LINE` (3/4) as long as the page's longest line is a wrapped line and
  continues, with a space, into the next one, unless the next one starts with a list bullet;
  on a page whose longest line is shorter than `PDF_MIN_WRAP_CHARS` (40: slides, lists) no line
  counts as wrapped;
- any other line (a short one: a paragraph's last line, a heading, a list item) ends its
  paragraph ("\\n\\n").
"""

from __future__ import annotations

import codecs
import itertools
import logging
import re
import resource
import statistics
import struct
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path, PurePath
from typing import BinaryIO

from medtext.chunking import Page  # noqa: F401 - parse_document returns them; importers take it from here

logger = logging.getLogger(__name__)

FILE_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "markdown": "text/markdown",
    "text": "text/plain",
}

# Plain text without form feeds, and any over-long DOCX/Markdown section, is cut into sections of
# about this many characters (at paragraph boundaries), so a citation points somewhere useful.
SECTION_CHARS = 3000

# A PDF line at least this fraction of the page's longest line is a wrapped line (see above),
# on pages whose longest line has at least PDF_MIN_WRAP_CHARS characters.
PDF_FULL_LINE = 0.75
PDF_MIN_WRAP_CHARS = 40
# A gap between two PDF lines wider than this many times the page's usual line spacing separates
# paragraphs.
PDF_PARAGRAPH_GAP = 1.3

ACCEPTED = "StudyIn reads PDF, Word (.docx), Markdown (.md) and plain-text (.txt) files."

NO_TEXT = "no extractable text"


class ParseError(ValueError):
    """The file cannot be turned into text. Permanent; the message is for the student."""


class UnsupportedFile(ParseError):
    """Not one of the four accepted types, or corrupt, or encrypted."""


class NoExtractableText(ParseError):
    """The file is readable but holds no text (a scan, an empty file)."""

    def __init__(self, hint: str = "") -> None:
        super().__init__(f"{NO_TEXT} — {hint}" if hint else NO_TEXT)


# --- Detection ------------------------------------------------------------------------------

_SNIFF_BYTES = 64 * 1024  # enough to tell text from binary and to spot Markdown
_MARKDOWN_SNIFF_CHARS = 4096
_MARKDOWN_EXTENSIONS = {".md", ".markdown", ".mdown", ".mkd", ".mkdn"}

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLD_OFFICE = {  # extension → (what it is, what to do)
    ".doc": ("an old-format Word document (.doc)", "open it in Word and save it as .docx, or export it as PDF."),
    ".xls": ("an Excel spreadsheet (.xls)", "export the part you study from as PDF."),
    ".ppt": ("an old-format PowerPoint file (.ppt)", "export it as PDF and upload that."),
    "": (
        "an old-format Microsoft Office file",
        "if it is a Word document (.doc), save it as .docx or export it as PDF.",
    ),
}
_IMAGE_HINT = "For scanned pages, upload a PDF with a text layer."
# (magic, offset, what it is, advice) for binary files we can name in the message.
_BINARY_MAGICS: list[tuple[bytes, int, str, str]] = [
    (b"\x89PNG\r\n\x1a\n", 0, "a PNG image", _IMAGE_HINT),
    (b"\xff\xd8\xff", 0, "a JPEG image", _IMAGE_HINT),
    (b"GIF87a", 0, "a GIF image", _IMAGE_HINT),
    (b"GIF89a", 0, "a GIF image", _IMAGE_HINT),
    (b"II*\x00", 0, "a TIFF image", _IMAGE_HINT),
    (b"MM\x00*", 0, "a TIFF image", _IMAGE_HINT),
    (b"WEBP", 8, "a WebP image", _IMAGE_HINT),
    (b"ftypheic", 4, "a HEIC image", _IMAGE_HINT),
    (b"ftypmif1", 4, "a HEIC image", _IMAGE_HINT),
    (b"MZ", 0, "a Windows program", ""),
    (b"\x7fELF", 0, "a program", ""),
    (b"\x1f\x8b", 0, "a compressed (gzip) file", ""),
    (b"7z\xbc\xaf\x27\x1c", 0, "a compressed (7-Zip) file", ""),
    (b"Rar!", 0, "a compressed (RAR) file", ""),
    (b"{\\rtf", 0, "a Rich Text (RTF) document", "Save it as .docx or PDF and upload that."),
]

_MD_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.MULTILINE)
_MD_LINK = re.compile(r"!?\[[^\]\n]+\]\([^)\s]+[^)]*\)")
_MD_FENCE = re.compile(r"^ {0,3}(```|~~~)", re.MULTILINE)


def detect_file_type(file: BinaryIO, *, filename: str) -> str:
    """Return "pdf", "docx", "markdown" or "text", judged by the content, not the name.

    The name decides only Markdown vs plain text (and words the refusal for old Office files);
    a name whose extension says another of the accepted types than the content is refused
    ("notes.pdf" that is a web page or a Word file), as is HTML under any name. A Word file's
    archive is checked before anything in it is inflated (`check_docx_archive`). Raises
    UnsupportedFile, naming what is accepted. Leaves the file at position 0.
    """
    file.seek(0)
    head = file.read(_SNIFF_BYTES)
    file.seek(0)
    ext = PurePath(filename or "").suffix.lower()

    kind = _detect_kind(file, head, ext)
    expected = _EXTENSION_KINDS.get(ext)
    if expected and kind not in expected:
        raise UnsupportedFile(
            f"This file is named “{PurePath(filename).name}” but it is {_KIND_NAMES[kind]} inside, not "
            f"{_KIND_NAMES[min(expected)]}. Upload the original file, or give it the extension that matches "
            f"it. {ACCEPTED}"
        )
    return kind


def _detect_kind(file: BinaryIO, head: bytes, ext: str) -> str:
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        try:
            return _detect_zip(file)
        finally:
            file.seek(0)
    if head.startswith(_OLE_MAGIC):
        what, advice = _OLD_OFFICE.get(ext, _OLD_OFFICE[""])
        raise UnsupportedFile(f"This file is {what}, which StudyIn cannot read: {advice} {ACCEPTED}")
    for magic, offset, what, advice in _BINARY_MAGICS:
        if head[offset : offset + len(magic)] == magic:
            raise UnsupportedFile(f"This file is {what}, which StudyIn cannot read. {ACCEPTED} {advice}".strip())

    text = decode_text(head, final=len(head) < _SNIFF_BYTES)
    if _looks_like_html(text[:_MARKDOWN_SNIFF_CHARS]):
        raise UnsupportedFile(
            "This file is a web page (HTML). StudyIn reads study text, not web pages: open the page in a browser, "
            f"print it to PDF (Print, then Save as PDF) and upload that. {ACCEPTED}"
        )
    if ext in _MARKDOWN_EXTENSIONS or _looks_like_markdown(text[:_MARKDOWN_SNIFF_CHARS]):
        return "markdown"
    return "text"


# What a name promises: a file named .pdf must be a PDF, .txt text (Markdown or not), and so on.
_EXTENSION_KINDS = {
    ".pdf": {"pdf"},
    ".docx": {"docx"},
    ".txt": {"text", "markdown"},
    ".text": {"text", "markdown"},
    **{ext: {"markdown", "text"} for ext in _MARKDOWN_EXTENSIONS},
}
_KIND_NAMES = {"pdf": "a PDF", "docx": "a Word document", "markdown": "plain text", "text": "plain text"}
# A web page starts with its doctype or <html> (after blank space or a comment), or holds a
# script element, or closes one of the elements only pages have. Notes may hold <br> or <sub>,
# and prose such as "<head and neck>".
_HTML_START = re.compile(r"^\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html[\s>])", re.IGNORECASE | re.DOTALL)
_SCRIPT = re.compile(r"<script(?:\s[^<>]*)?>.*?</script\s*>", re.IGNORECASE | re.DOTALL)
_PAGE_END_TAG = re.compile(r"</(?:html|head|body|style|title|iframe)\s*>", re.IGNORECASE)


def _looks_like_html(text: str) -> bool:
    return bool(_HTML_START.match(text) or _SCRIPT.search(text) or _PAGE_END_TAG.search(text))


def _detect_zip(file: BinaryIO) -> str:
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise UnsupportedFile(f"This file looks like a damaged ZIP or Word file. {ACCEPTED}") from exc
    if "word/document.xml" in names:
        check_docx_archive(file)
        return "docx"
    if "xl/workbook.xml" in names:
        what, advice = "an Excel workbook", ""
    elif "ppt/presentation.xml" in names:
        what, advice = "a PowerPoint presentation", "Export it as PDF and upload that."
    elif "mimetype" in names and "content.xml" in names:
        what, advice = "an OpenDocument file", "Save it as .docx or PDF and upload that."
    else:
        what, advice = "a ZIP archive", ""
    raise UnsupportedFile(f"This file is {what}, which StudyIn cannot read. {ACCEPTED} {advice}".strip())


# A Word file is a ZIP archive, and python-docx inflates every part of it into memory. These
# bound what that may take, whatever the archive claims: a few megabytes can be built to inflate
# to gigabytes (a "zip bomb"). A long textbook's word/document.xml is some 20 MB.
DOCX_MAX_PARTS = 5000
DOCX_MAX_PART_BYTES = 64 * 2**20
DOCX_MAX_TOTAL_BYTES = 256 * 2**20
DOCX_MAX_RATIO = 100  # inflated : compressed, for parts over a megabyte
_DOCX_TOO_BIG = (
    "This Word document would inflate to more than StudyIn reads from one file ({what}); it may be damaged, or "
    "built to crash programs. Open it in Word and save it again, or export it as PDF, and upload that."
)
_DOCX_DAMAGED = f"This Word document is damaged and cannot be read. {ACCEPTED}"


def check_docx_archive(file: BinaryIO, *, inflate: bool = False) -> None:
    """Refuse a Word file's archive whose parts are too many, too large or too compressed, by
    what the archive declares, before anything is inflated (at upload, in the request). With
    `inflate` (the parse stage, in a worker) also inflate each part in pieces, keeping nothing:
    a part whose content is not what its header says (zipfile stops at the declared size and
    checks the CRC) is damaged. Leaves the file at position 0."""
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            parts = archive.infolist()
            if len(parts) > DOCX_MAX_PARTS:
                raise UnsupportedFile(_DOCX_TOO_BIG.format(what=f"{len(parts)} parts"))
            declared = sum(p.file_size for p in parts)
            if declared > DOCX_MAX_TOTAL_BYTES or any(p.file_size > DOCX_MAX_PART_BYTES for p in parts):
                raise UnsupportedFile(_DOCX_TOO_BIG.format(what=f"{declared / 2**20:,.0f} MB"))
            for part in parts:
                if part.file_size > 2**20 and part.file_size > DOCX_MAX_RATIO * max(part.compress_size, 1):
                    raise UnsupportedFile(_DOCX_TOO_BIG.format(what=f"{part.filename} is compressed too tightly"))
            for part in parts if inflate else ():
                with archive.open(part) as stream:
                    while stream.read(2**20):
                        pass
    except UnsupportedFile:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError, ValueError,
            RuntimeError, zlib.error) as exc:  # fmt: skip
        # A CRC mismatch (a part inflating past its declared size), encryption, unknown compression.
        raise UnsupportedFile(_DOCX_DAMAGED) from exc
    finally:
        file.seek(0)


# --- Text encodings ---------------------------------------------------------------------------

_BOMS = [  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
# Control characters other than tab, line feed, carriage return and form feed. Text has almost
# none; a binary file read as Windows-1252 has about one in eight.
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0e-\x1f\x7f]")
MAX_CONTROL_SHARE = 0.02


def decode_text(data: bytes, *, final: bool = True) -> str:
    """Decode a text file in the encodings students' files come in: UTF-8, UTF-16 and UTF-32
    with a byte-order mark, UTF-16 without one (told by where its NUL bytes fall), and otherwise
    Windows-1252 ("ANSI"; for text a superset of Latin-1). Stray NUL characters are dropped.
    Raises UnsupportedFile when the result is not text: binary data decodes as Windows-1252 too,
    but with far more control characters than any text has.

    `final=False` decodes the start of a longer file (a character cut at the end is no error).
    """
    encoding, body = _text_encoding(data, final)
    # Windows-1252 leaves five bytes undefined: they become U+FFFD rather than fail.
    decoder = codecs.getincrementaldecoder(encoding)("replace" if encoding == "cp1252" else "strict")
    try:
        text = decoder.decode(body, final=final)
    except UnicodeDecodeError as exc:
        raise UnsupportedFile(
            f"This text file's encoding could not be read. Save it as UTF-8 text. {ACCEPTED}"
        ) from exc
    text = text.replace("\x00", "")
    if len(_CONTROL.findall(text)) > MAX_CONTROL_SHARE * len(text):
        raise UnsupportedFile(f"This file is not a document StudyIn can read. {ACCEPTED}")
    return text


def _text_encoding(data: bytes, final: bool) -> tuple[str, bytes]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, data[len(bom) :]
    sample = data[:4096]
    if len(sample) >= 8 and sample.count(0) > len(sample) / 4:
        # Text in UTF-16 has a NUL in nearly every other byte: odd positions in LE, even in BE.
        odd, even = sample[1::2].count(0) / len(sample[1::2]), sample[0::2].count(0) / len(sample[0::2])
        if odd > 0.8 and even < 0.2:
            return "utf-16-le", data
        if even > 0.8 and odd < 0.2:
            return "utf-16-be", data
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=final)
    except UnicodeDecodeError:
        return "cp1252", data
    return "utf-8", data


def _looks_like_markdown(text: str) -> bool:
    # Headings, links and code fences are Markdown's signature; list items alone are not, as plain
    # notes use "- " and "1. " just as often.
    return bool(_MD_HEADING.search(text) or _MD_LINK.search(text) or _MD_FENCE.search(text))


# --- Parsing --------------------------------------------------------------------------------


@contextmanager
def memory_limit(max_bytes: int):
    """Let the code inside add at most `max_bytes` to this process's address space (Linux's
    RLIMIT_AS, from its size now): a file that needs more to parse ends in a ParseError saying
    so, instead of growing the worker until the machine runs out. No limit where /proc is absent
    or `max_bytes` is 0."""
    statm = Path("/proc/self/statm")
    if not max_bytes or not statm.exists():
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = int(statm.read_text().split()[0]) * resource.getpagesize() + max_bytes
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    except MemoryError as exc:
        raise ParseError(
            f"Reading this file needs more than the {max_bytes // 2**20:,} MB of memory StudyIn allows one file. "
            "Split it into smaller files, or export it again as PDF, and upload those."
        ) from exc
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def parse_document(file: BinaryIO, *, file_type: str) -> list[Page]:
    """Read the file as `file_type` (a FILE_TYPES key or its MIME type) into pages with text.

    Raises UnsupportedFile (corrupt, encrypted, wrong type) or NoExtractableText.
    """
    kind = file_type if file_type in FILE_TYPES else _MIME_TO_KIND.get(file_type)
    if kind is None:
        raise UnsupportedFile(f"Files of type {file_type!r} are not supported. {ACCEPTED}")
    file.seek(0)
    pages = _PARSERS[kind](file)
    if not pages:
        raise NoExtractableText(_NO_TEXT_HINTS[kind])
    return pages


# Exceptions pypdf lets escape on damaged files, besides its own PyPdfError.
_PDF_DAMAGE = (ValueError, KeyError, TypeError, AttributeError, IndexError, AssertionError, OSError,
               EOFError, RecursionError, struct.error, zlib.error)  # fmt: skip


def _parse_pdf(file: BinaryIO) -> list[Page]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

    damaged = UnsupportedFile(f"This PDF is damaged and cannot be read. {ACCEPTED}")
    # AES-encrypted PDFs need the optional `cryptography` package, even with an empty password.
    undecryptable = UnsupportedFile(
        "This PDF is encrypted in a way StudyIn cannot open. Export it to a new PDF without protection and upload that."
    )
    try:
        reader = PdfReader(file, strict=False)
        if reader.is_encrypted:
            # Many PDFs are encrypted only to restrict printing or copying: the empty user
            # password opens them.
            if not reader.decrypt(""):
                raise UnsupportedFile(
                    "This PDF is password-protected. Remove the password (print or export it to a new PDF) "
                    "and upload it again."
                )
        page_list = list(reader.pages)
    except UnsupportedFile:
        raise
    except (DependencyError, NotImplementedError, FileNotDecryptedError) as exc:
        raise undecryptable from exc
    except (PyPdfError, *_PDF_DAMAGE) as exc:
        raise damaged from exc

    pages = []
    for number, pdf_page in enumerate(page_list, start=1):
        try:
            text = normalise_text(_pdf_page_text(pdf_page))
        except (DependencyError, FileNotDecryptedError) as exc:
            raise undecryptable from exc
        except (PyPdfError, *_PDF_DAMAGE):
            # One broken page should not cost the student the rest of the document.
            logger.warning("pdf page %d: text extraction failed", number, exc_info=True)
            continue
        if text:
            pages.append(Page(number=number, text=text))
    return pages


_BULLET = re.compile(r"^(?:[•●○◦▪■–—*\-]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)])\s")
_HYPHENATED = re.compile(r"[^\W\d_]-$")


def _pdf_page_text(pdf_page) -> str:
    """pypdf's text of one page, its visual lines rebuilt into paragraphs."""
    fragments: list[tuple[str, float]] = []

    def visit(text, cm, tm, font_dict, font_size):
        # The baseline's height on the page: the text matrix's origin through the current matrix.
        fragments.append((text, tm[4] * cm[1] + tm[5] * cm[3] + cm[5]))

    raw = pdf_page.extract_text(visitor_text=visit) or ""
    # The visitor sees the very pieces extract_text joins; if some version ever differs, go on
    # without positions rather than pair lines with the wrong heights.
    heights = _line_heights(fragments) if "".join(text for text, _ in fragments) == raw else None
    return join_pdf_lines(raw, heights)


def _line_heights(fragments: list[tuple[str, float]]) -> list[float | None]:
    """For each "\n"-separated line of the page text, the height of its first visible piece."""
    heights: list[float | None] = [None]
    for text, height in fragments:
        for position, part in enumerate(text.split("\n")):
            if position:
                heights.append(None)
            if heights[-1] is None and part.strip():
                heights[-1] = height
    return heights


def join_pdf_lines(raw: str, heights: list[float | None] | None = None) -> str:
    """Rebuild paragraphs from pypdf's one-line-per-visual-line text (rules in the module doc).

    `heights` (optional) gives each line's height on the page, to find paragraph spacing.
    """
    lines = [_SPACES.sub(" ", line.replace("\r", " ")).strip() for line in raw.split("\n")]
    longest = max(len(line) for line in lines)
    full = PDF_FULL_LINE * longest if longest >= PDF_MIN_WRAP_CHARS else float("inf")
    spaced = _paragraph_spacing(heights) if heights and len(heights) == len(lines) else set()
    out: list[str] = []
    for number, (line, nxt) in enumerate(zip(lines, [*lines[1:], ""], strict=True)):
        if not line:
            out.append("\n\n")
        elif not nxt or number in spaced:
            out.append(line + "\n\n")
        elif _HYPHENATED.search(line) and nxt[0].isalpha():
            # "cardio-" + "myopathy" → "cardiomyopathy"; "non-" + "Hodgkin" → "non-Hodgkin".
            out.append(line[:-1] if nxt[0].islower() else line)
        elif len(line) >= full and not _BULLET.match(nxt):
            out.append(line + " ")
        else:
            out.append(line + "\n\n")
    return "".join(out)


def _paragraph_spacing(heights: list[float | None]) -> set[int]:
    """Lines followed by a gap wider than PDF_PARAGRAPH_GAP times the page's usual line spacing."""
    gaps = {
        number: above - below
        for number, (above, below) in enumerate(itertools.pairwise(heights))
        if above is not None and below is not None and above > below
    }
    if len(gaps) < 2:
        return set()
    # The lower quartile, not the median: a short page may have as many paragraph gaps as line gaps.
    usual = statistics.quantiles(gaps.values(), n=4, method="inclusive")[0]
    return {number for number, gap in gaps.items() if gap > PDF_PARAGRAPH_GAP * usual}


def _parse_docx(file: BinaryIO) -> list[Page]:
    import docx
    from celery.exceptions import SoftTimeLimitExceeded
    from docx.table import Table

    check_docx_archive(file, inflate=True)  # the declared sizes again, and every part's CRC
    try:
        document = docx.Document(file)
        sections: list[tuple[str, list[str]]] = [("", [])]
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                rows = _docx_table_rows(block)
                if rows:
                    sections[-1][1].append("\n".join(rows))
                continue
            text = block.text
            style = block.style.name if block.style is not None else ""
            if (style or "").startswith(("Heading", "Title")) and text.strip():
                sections.append((_one_line(text), []))
            elif text.strip():
                sections[-1][1].append(text)
    except (MemoryError, SoftTimeLimitExceeded):
        raise  # memory_limit() words the one, the pipeline the other
    except Exception as exc:  # noqa: BLE001
        # python-docx trusts the package: a damaged or hostile one (a missing part, a main part
        # that is not a document, broken XML) surfaces as whatever the walk trips over
        # (KeyError, AttributeError, lxml's XMLSyntaxError...). All of it means one thing here.
        if _out_of_memory(exc):
            raise MemoryError from exc
        raise UnsupportedFile(_DOCX_DAMAGED) from exc
    return _number_sections(sections)


def _out_of_memory(exc: Exception) -> bool:
    # libxml2 reports a failed allocation as a syntax error: "Memory allocation failed", or, when
    # it could not even allocate the message, "unknown error".
    message = str(exc).lower()
    return type(exc).__name__ == "XMLSyntaxError" and (message.startswith("unknown error") or "memory" in message)


def _docx_table_rows(table) -> list[str]:
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(_one_line(cell.text))
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


_MD_ATX = re.compile(r"^ {0,3}(#{1,3})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_MD_DEEP_ATX = re.compile(r"^ {0,3}#{4,6}[ \t]+")
_MD_INLINE = [
    (re.compile(r"<!--.*?-->", re.DOTALL), ""),
    (re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)"), r"\1"),  # image → alt text
    (re.compile(r"\[([^\]\n]+)\]\([^)\n]*\)"), r"\1"),  # link → its text
    (re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]"), r"\1"),  # reference link → its text
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),  # autolink
    (re.compile(r"`([^`\n]+)`"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),
]


def _parse_markdown(file: BinaryIO) -> list[Page]:
    """Sections at `#`, `##`, `###` headings; deeper headings stay in the text as plain lines.

    Markup is stripped lightly (emphasis, links, images, inline code, heading and quote markers);
    lists, tables and code blocks stay as they are. Setext headings (underlined with === or ---)
    are not recognised: they stay as text.
    """
    text = decode_text(file.read()).replace("\r\n", "\n").replace("\r", "\n")
    sections: list[tuple[str, list[str]]] = [("", [])]
    lines: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if _MD_FENCE.match(line):
            in_fence = not in_fence
            continue  # the fence markers themselves carry no content
        heading = None if in_fence else _MD_ATX.match(line)
        if heading:
            sections[-1][1].append("\n".join(lines))
            lines = []
            sections.append((_one_line(_md_inline(heading.group(2))), []))
        elif in_fence:
            lines.append(line)
        else:
            line = _MD_DEEP_ATX.sub("", line)
            line = re.sub(r"^ {0,3}> ?", "", line)
            lines.append(_md_inline(line))
    sections[-1][1].append("\n".join(lines))
    return _number_sections(sections)


def _md_inline(text: str) -> str:
    for pattern, replacement in _MD_INLINE:
        text = pattern.sub(replacement, text)
    return text


def _parse_text(file: BinaryIO) -> list[Page]:
    text = decode_text(file.read())
    if "\f" in text:
        # Form feeds are page breaks: number them like PDF pages, skipping empty ones.
        pages = [Page(number=n, text=normalise_text(part)) for n, part in enumerate(text.split("\f"), start=1)]
        return [page for page in pages if page.text]
    return _number_sections([("", [text])])


def _number_sections(sections: list[tuple[str, list[str]]]) -> list[Page]:
    """Normalise, drop empty sections, cut long ones, and number the rest 1, 2, 3…"""
    pages: list[Page] = []
    for heading, blocks in sections:
        text = normalise_text("\n\n".join(blocks))
        for part in _split_long(text, SECTION_CHARS):
            pages.append(Page(number=len(pages) + 1, text=part, heading=heading))
    return pages


def _split_long(text: str, limit: int) -> list[str]:
    """Cut normalised text into parts of at most about `limit` chars at paragraph breaks.

    A paragraph longer than `limit` is cut at line breaks if it has any; a single line longer than
    `limit` stays whole (the chunker cuts it further).
    """
    if not text:
        return []
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    for paragraph in text.split("\n\n"):
        if len(paragraph) <= limit:
            pieces.append(paragraph)
        else:
            pieces.extend(_pack(paragraph.split("\n"), "\n", limit))
    return _pack(pieces, "\n\n", limit)


def _pack(pieces: list[str], sep: str, limit: int) -> list[str]:
    parts: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + len(sep) + len(piece) > limit:
            parts.append(current)
            current = piece
        else:
            current = f"{current}{sep}{piece}" if current else piece
    if current:
        parts.append(current)
    return parts


# --- Normalisation --------------------------------------------------------------------------

_LIGATURES = str.maketrans(
    {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"}
)
# Control characters except tab and newline, soft hyphen, zero-width characters and BOMs.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def normalise_text(text: str) -> str:
    """The normalisation every format gets (see the module docstring)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = text.translate(_LIGATURES)
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _one_line(text: str) -> str:
    return " ".join(normalise_text(text).split())


_NO_TEXT_HINTS = {
    "pdf": "it may be a scanned document; upload a PDF with a text layer",
    "docx": "the document is empty or holds only pictures",
    "markdown": "the file is empty",
    "text": "the file is empty",
}
_PARSERS = {"pdf": _parse_pdf, "docx": _parse_docx, "markdown": _parse_markdown, "text": _parse_text}
_MIME_TO_KIND = {mime: kind for kind, mime in FILE_TYPES.items()}

__all__ = [
    "FILE_TYPES",
    "SECTION_CHARS",
    "NoExtractableText",
    "Page",
    "ParseError",
    "UnsupportedFile",
    "detect_file_type",
    "normalise_text",
    "parse_document",
]
