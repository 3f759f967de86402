"""Text and entity handling the way the Bot API does it.

``parse_html`` follows the HTML parse mode of Telegram (tdlib's ``parse_html``): the same
supported tags, the same error messages (with UTF-8 byte offsets) and entity offsets counted
in UTF-16 code units.  One deliberate difference, switchable with ``strict_ampersand``: a bare
``&`` that starts no entity is rejected, as the Bot API documentation demands, while the real
server quietly keeps it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Entity = dict[str, Any]

_SPACES = " \t\r\n"
_ENTITY_TYPES = {
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
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
}
_NAMED_CHARACTERS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_CHARACTER_REFERENCE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_COMMAND = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")


class EntityParseError(ValueError):
    """The text could not be parsed; ``str(error)`` is Telegram's own wording."""


@dataclass(frozen=True)
class ParsedText:
    """Plain text plus the entities that format it (offsets in UTF-16 code units)."""

    text: str
    entities: list[Entity]


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


@dataclass
class _OpenTag:
    name: str
    offset: int  # UTF-16 offset in the plain text where the tag's content starts
    attributes: dict[str, str]


def _decode_reference(text: str, index: int) -> tuple[str, int] | None:
    """Decode the character reference at ``text[index]`` ('&'); return (char, next index)."""
    match = _CHARACTER_REFERENCE.match(text, index)
    if match is None:
        return None
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED_CHARACTERS[named], match.end()
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


class _HtmlParser:
    def __init__(self, text: str, *, strict_ampersand: bool) -> None:
        self.text = text
        self.strict_ampersand = strict_ampersand
        self.i = 0
        self.out: list[str] = []
        self.out_len = 0  # UTF-16 length of everything in ``out``
        self.stack: list[_OpenTag] = []
        self.entities: list[Entity] = []

    def char(self, index: int | None = None) -> str:
        index = self.i if index is None else index
        return self.text[index] if index < len(self.text) else ""

    def error(self, message: str, index: int | None = None) -> EntityParseError:
        if index is not None:
            message = f"{message} at byte offset {_byte_offset(self.text, index)}"
        return EntityParseError(message)

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.out_len += utf16_len(chunk)

    def parse(self) -> ParsedText:
        text = self.text
        while self.i < len(text):
            c = text[self.i]
            if c == "&":
                decoded = _decode_reference(text, self.i)
                if decoded is not None:
                    self.emit(decoded[0])
                    self.i = decoded[1]
                    continue
                if self.strict_ampersand:
                    raise self.error(
                        'Character "&" must be escaped as "&amp;" (strict fake check)', self.i
                    )
            if c != "<":
                self.emit(c)
                self.i += 1
                continue
            if self.char(self.i + 1) == "/":
                self.end_tag()
            else:
                self.start_tag()
        if self.stack:
            raise self.error(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self.out), entities)

    def start_tag(self) -> None:
        begin = self.i
        self.i += 1
        name_begin = self.i
        while self.char() and self.char() not in _SPACES and self.char() != ">":
            self.i += 1
        if not self.char():
            raise self.error("Unclosed start tag", begin)
        name = self.text[name_begin : self.i].lower()
        if name not in _ENTITY_TYPES:
            raise self.error(f'Unsupported start tag "{name}"', begin)
        attributes = self.attributes(name, begin)
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise self.error('Tag "span" must have class "tg-spoiler"', begin)
        self.i += 1  # the '>'
        self.stack.append(_OpenTag(name, self.out_len, attributes))

    def attributes(self, tag: str, begin: int) -> dict[str, str]:
        found: dict[str, str] = {}
        while self.char() != ">":
            while self.char() and self.char() in _SPACES:
                self.i += 1
            if self.char() == ">":
                break
            name_begin = self.i
            while self.char() and self.char() not in _SPACES and self.char() not in "=>":
                self.i += 1
            name = self.text[name_begin : self.i].lower()
            if not name:
                raise self.error(f'Empty attribute name in the tag "{tag}"', begin)
            while self.char() and self.char() in _SPACES:
                self.i += 1
            if self.char() != "=":
                if not self.char():
                    raise self.error("Unclosed start tag", begin)
                if tag == "blockquote" and name == "expandable":
                    found[name] = ""
                    continue
                raise self.error(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}"', begin
                )
            self.i += 1
            while self.char() and self.char() in _SPACES:
                self.i += 1
            found[name] = self.attribute_value(begin)
        return found

    def attribute_value(self, begin: int) -> str:
        quote = self.char()
        if not quote:
            raise self.error("Unclosed start tag", begin)
        if quote not in "'\"":
            token_begin = self.i
            while self.char() and (self.char().isalnum() or self.char() in ".-"):
                self.i += 1
            after = self.char()
            if after != ">" and (not after or after not in _SPACES):
                raise self.error("Unexpected end of name token", token_begin)
            return self.text[token_begin : self.i].lower()
        self.i += 1
        value: list[str] = []
        while self.char() and self.char() != quote:
            if self.char() == "&":
                decoded = _decode_reference(self.text, self.i)
                if decoded is not None:
                    value.append(decoded[0])
                    self.i = decoded[1]
                    continue
            value.append(self.char())
            self.i += 1
        if self.char() != quote:
            raise self.error("Unclosed start tag", begin)
        self.i += 1
        return "".join(value)

    def end_tag(self) -> None:
        begin = self.i
        if not self.stack:
            raise self.error("Unexpected end tag", begin)
        self.i += 2
        name_begin = self.i
        while self.char() and (self.char().isalnum() or self.char() == "-"):
            self.i += 1
        name = self.text[name_begin : self.i].lower()
        while self.char() and self.char() in _SPACES:
            self.i += 1
        if self.char() != ">":
            raise self.error("Unclosed end tag", begin)
        self.i += 1
        opened = self.stack[-1]
        if name and name != opened.name:
            raise self.error(
                f"Unmatched end tag at byte offset {_byte_offset(self.text, begin)}, "
                f'expected "</{opened.name}>", found "</{name}>"'
            )
        self.stack.pop()
        self.add_entity(opened)

    def add_entity(self, tag: _OpenTag) -> None:
        length = self.out_len - tag.offset
        if length <= 0:
            return
        kind = _ENTITY_TYPES[tag.name]
        language = tag.attributes.get("class", "")
        if kind == "code" and language.startswith("language-") and self.stack:
            parent = self.stack[-1]
            if parent.name == "pre":  # <pre><code class="language-x"> is a pre with a language
                parent.attributes["language"] = language.removeprefix("language-")
                return
        entity: Entity = {"type": kind, "offset": tag.offset, "length": length}
        if kind == "text_link":
            href = tag.attributes.get("href", "")
            if not href:
                return
            entity["url"] = href
        elif kind == "pre" and tag.attributes.get("language"):
            entity["language"] = tag.attributes["language"]
        elif kind == "blockquote" and "expandable" in tag.attributes:
            entity["type"] = "expandable_blockquote"
        self.entities.append(entity)


def parse_html(text: str, *, strict_ampersand: bool = True) -> ParsedText:
    """Parse Telegram HTML into plain text and entities, or raise :class:`EntityParseError`."""
    return _HtmlParser(text, strict_ampersand=strict_ampersand).parse()


def strip_text(parsed: ParsedText) -> ParsedText:
    """Trim surrounding whitespace like Telegram does, shifting and clipping the entities."""
    text = parsed.text
    stripped = text.strip()
    if stripped == text:
        return parsed
    start = utf16_len(text[: len(text) - len(text.lstrip())])
    end = start + utf16_len(stripped)
    entities: list[Entity] = []
    for entity in parsed.entities:
        lo = max(entity["offset"], start)
        hi = min(entity["offset"] + entity["length"], end)
        if hi > lo:
            entities.append({**entity, "offset": lo - start, "length": hi - lo})
    return ParsedText(stripped, entities)


def command_entities(text: str) -> list[Entity]:
    """The ``bot_command`` entities Telegram attaches to a user's text (``/start``, ``/x@bot``)."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in _COMMAND.finditer(text)
    ]
