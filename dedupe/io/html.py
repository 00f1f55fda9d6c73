"""HTML pages as text lines: one line per block element, scripts and styles dropped (lxml).

The lines keep everything a page shows, menus and footers included: telling them from the
article is the cleaning stages' work (``--mode page``), not the reader's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from dedupe.errors import InputError

HTML_SUFFIXES = (".html", ".htm")
# Elements whose content is never shown as text.
_HIDDEN = frozenset(
    {"script", "style", "noscript", "template", "head", "svg", "math", "iframe", "object"}
)
# Elements that start and end a line of text (HTML's block and line-breaking elements).
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details",
        "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "li", "main", "nav",
        "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
        "thead", "tr", "ul", "html", "option", "legend", "label", "button",
    }
)  # fmt: skip
_SPACE = re.compile(r"\s+")


def _parser() -> Callable[[bytes], Any]:
    try:
        from lxml import etree, html
    except ImportError:
        raise InputError('reading HTML needs lxml: pip install "dedupe-corpus[html]"') from None
    parser = html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)

    def parse(data: bytes) -> Any:
        try:
            return html.document_fromstring(data, parser=parser)
        except etree.ParserError:
            return None

    return parse


def _lines(root: Any) -> list[str]:
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = _SPACE.sub(" ", "".join(current)).strip()
        if line:
            lines.append(line)
        current.clear()

    def walk(element: Any) -> None:
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if tag in _HIDDEN:
            return
        block = tag in _BLOCKS
        if block:
            flush()
        if tag == "pre":
            lines.extend(line.rstrip() for line in element.text_content().splitlines())
        else:
            if element.text:
                current.append(element.text)
            for child in element:
                walk(child)
                if child.tail:
                    current.append(child.tail)
        if block:
            flush()

    walk(root)
    flush()
    return [line for line in lines if line.strip()]


def html_texts(pages: Iterable[str | bytes | None]) -> list[str | None]:
    """Turn HTML pages into text: one line per block element, without scripts or styles.

    ``str`` pages are HTML text; ``bytes`` pages must already be UTF-8. A page with no text
    gives ``""``.

    Raises:
        InputError: lxml is not installed (``pip install "dedupe-corpus[html]"``).
    """
    parse = _parser()
    texts: list[str | None] = []
    for page in pages:
        if page is None:
            texts.append(None)
            continue
        data = page.encode("utf-8", errors="replace") if isinstance(page, str) else page
        root = parse(data) if data.strip() else None
        texts.append("" if root is None else "\n".join(_lines(root)))
    return texts
