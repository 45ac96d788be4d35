"""Allow-list sanitiser for a tier's long description: paragraphs, bold, italic, underline, strike, lists
and line breaks survive (without attributes); every other tag is dropped, keeping its text, and the
contents of script/style-like elements are dropped entirely."""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

ALLOWED = {"p", "b", "strong", "i", "em", "u", "s", "strike", "del", "ul", "ol", "li", "br"}
VOID = {"br"}
DROP_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "textarea", "title"}
MAX_LENGTH = 20_000


class _Sanitiser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in DROP_CONTENT:
            self.skipping += 1
            return
        if self.skipping or tag not in ALLOWED:
            return
        if tag in VOID:
            self.out.append("<br>")
            return
        self.out.append(f"<{tag}>")
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs) -> None:
        if not self.skipping and tag in VOID:
            self.out.append("<br>")

    def handle_endtag(self, tag: str) -> None:
        if tag in DROP_CONTENT:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.skipping or tag not in ALLOWED or tag in VOID or tag not in self.open:
            return
        while self.open:  # close anything left open inside it, so the output stays well nested
            inner = self.open.pop()
            self.out.append(f"</{inner}>")
            if inner == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(escape(data, quote=False))

    def result(self) -> str:
        self.close()
        self.out.extend(f"</{tag}>" for tag in reversed(self.open))
        self.open = []
        return "".join(self.out).strip()


def sanitize_rich_text(html: str) -> str:
    """The allow-listed HTML of `html` (tags outside the list stripped, all attributes dropped)."""
    parser = _Sanitiser()
    parser.feed(str(html or "")[:MAX_LENGTH])
    return parser.result()
