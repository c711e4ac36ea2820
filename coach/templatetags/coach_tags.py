import re

from django import template
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()

_MARKER = re.compile(r"\[(\d+)\]")
QUOTE_CHARS = 320


def citation_url(citation: dict) -> str:
    """The reader page of the cited material, on the cited passage, highlighted (materials' `?chunk=`)."""
    url = reverse("materials:detail", args=[citation["material_id"]])
    return f"{url}?chunk={citation['chunk_id']}#passage"


def citation_place(citation: dict) -> str:
    where = f"page {citation['page']}" if citation.get("page") else citation.get("heading") or "notes"
    return f"{citation['material_title']}, {where}"


@register.filter
def cited(message) -> SafeString:
    """The reply's text, escaped, each [n] a link to the passage it cites that shows the quoted
    passage on hover or focus (a tap on a phone); a marker with no citation stays plain text."""
    citations = {c["n"]: c for c in message.citations or []}
    parts, last = [], 0
    for match in _MARKER.finditer(message.content):
        parts.append(format_html("{}", message.content[last : match.start()]))
        citation = citations.get(int(match.group(1)))
        if citation is None:
            parts.append(format_html("{}", match.group(0)))
        else:
            parts.append(format_html(
                '<span class="cite"><a href="{}" aria-label="Source {}: {}">[{}]</a>'
                '<span class="cite-quote" role="tooltip">“{}” <span class="muted">{}</span></span></span>',
                citation_url(citation), citation["n"], citation_place(citation), citation["n"],
                truncatechars(citation["quote"], QUOTE_CHARS), citation_place(citation),
            ))  # fmt: skip
        last = match.end()
    parts.append(format_html("{}", message.content[last:]))
    return format_html_join("", "{}", ((p,) for p in parts))


@register.filter
def source_url(citation: dict) -> str:
    return citation_url(citation)


@register.filter
def source_place(citation: dict) -> str:
    return citation_place(citation)
