"""Telegram-style formatting: HTML parse mode to plain text plus entities."""

from html.parser import HTMLParser
from typing import Any

from emulator.errors import ApiError, bad_request

TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
PARSE_MODES = {"html", "markdown", "markdownv2"}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_error(text: str) -> ApiError:
    return bad_request(f"can't parse entities: {text}")


class _EntityParser(HTMLParser):
    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.source = source
        self.parts: list[str] = []
        self.length = 0
        self.stack: list[tuple[str, dict[str, Any]]] = []
        self.entities: list[dict[str, Any]] = []

    def byte_offset(self) -> int:
        line, column = self.getpos()
        lines = self.source.split("\n")[: line - 1]
        chars = sum(len(part) + 1 for part in lines) + column
        return len(self.source[:chars].encode())

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.length += utf16_len(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        kind = TAG_TYPES.get(tag)
        if kind is None or (tag == "span" and attributes.get("class") != "tg-spoiler"):
            raise parse_error(f'Unsupported start tag "{tag}" at byte offset {self.byte_offset()}')
        entity: dict[str, Any] = {"type": kind, "offset": self.length}
        if tag == "a":
            entity["url"] = attributes.get("href") or ""
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = attributes.get("emoji-id") or ""
        elif tag == "blockquote" and "expandable" in attributes:
            entity["type"] = "expandable_blockquote"
        self.stack.append((tag, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            raise parse_error(f"Unexpected end tag at byte offset {self.byte_offset()}")
        open_tag, entity = self.stack.pop()
        if open_tag != tag:
            raise parse_error(
                f"Unmatched end tag at byte offset {self.byte_offset()}, "
                f'expected "</{open_tag}>", found "</{tag}>"'
            )
        entity["length"] = self.length - entity["offset"]
        if entity["length"]:
            self.entities.append(entity)

    def finish(self) -> tuple[str, list[dict[str, Any]]]:
        self.close()
        if self.stack:
            tag = self.stack[-1][0]
            raise parse_error(f'Can\'t find end tag corresponding to start tag "{tag}"')
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), entities


def format_text(source: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """Return (text, entities); only HTML is parsed, Markdown modes pass through."""
    if not parse_mode:
        return source, []
    if parse_mode.lower() not in PARSE_MODES:
        raise bad_request("unsupported parse_mode")
    if parse_mode.lower() != "html":
        return source, []
    parser = _EntityParser(source)
    parser.feed(source)
    return parser.finish()
