"""Parsing untrusted XML (uploaded BPMN) without letting the document reach files, the network or the memory.

Diagrams arrive over the network, so the classic XML attacks apply: external entities that read local files
(XXE), entity expansion bombs ("billion laughs"), remote DTDs. A BPMN document never needs a DTD, so any
``<!DOCTYPE`` is refused *before* libxml2 sees it, and the parser is configured so that nothing would be
resolved even if one slipped through (no entity substitution, no DTD loading, no network, no huge trees).
The document must also be UTF-8: definitions are stored as text, and diagram tools write UTF-8.
"""

from __future__ import annotations

import re
from typing import cast

from lxml import etree

from engine.errors import EmflowError

MAX_XML_BYTES = 5 * 1024 * 1024
"""Largest accepted document. Real diagrams are tens of kilobytes; this is checked before any parsing."""

_UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})

# Everything that may legally precede the root element or a DOCTYPE: BOM, XML declaration, whitespace,
# comments, processing instructions. Single-character alternatives keep the regex free of nested quantifiers.
_PROLOG = re.compile(rb"(?:\xef\xbb\xbf)?(?:<\?xml\s.*?\?>)?(?:\s|<!--.*?-->|<\?.*?\?>)*", re.S)
_DECLARED_ENCODING = re.compile(rb"""\A(?:\xef\xbb\xbf)?<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_LXML_LOCATION = re.compile(r",? line \d+, column \d+\s*$")
_UNDEFINED_ENTITY = re.compile(r"Entity '[^']*' not defined")


class XmlRejected(EmflowError):
    """The document cannot be read; ``line``/``column`` locate the cause when known (1-based)."""

    code = "xml_syntax"

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message, {"line": line, "column": column})
        self.line = line
        self.column = column


class XmlSyntaxError(XmlRejected):
    code = "xml_syntax"


class XmlForbidden(XmlRejected):
    """DOCTYPE, entity declarations and entity references: refused, never expanded."""

    code = "xml_forbidden"


class XmlTooLarge(XmlRejected):
    code = "too_large"


class XmlEncodingError(XmlRejected):
    code = "xml_encoding"


def _parser() -> etree.XMLParser:
    """A fresh parser per document: lxml parsers keep state and are not meant to be shared by threads."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def parse_xml(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> etree._ElementTree:
    """Parse an untrusted document, or raise an ``XmlRejected`` subclass saying why and where.

    Comments and processing instructions are dropped (nothing downstream reads them, and it means every node
    is an element); source line numbers are kept for error messages.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"parse_xml needs bytes, not {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_bytes:
        raise XmlTooLarge(
            f"the document is {len(data):,} bytes; the limit is {max_bytes:,} bytes "
            "(a BPMN diagram is normally well under 1 MB: check that no images or data are embedded)"
        )
    _check_encoding(data)
    prolog_end = _PROLOG.match(data).end()  # type: ignore[union-attr]  # _PROLOG matches the empty string
    if data.startswith(b"<!DOCTYPE", prolog_end):
        raise XmlForbidden(
            "the document has a <!DOCTYPE> declaration; DTDs and entity declarations are refused in uploaded "
            "diagrams (they can read server files or expand without limit) and BPMN never needs them: "
            "remove it",
            line=_line_at(data, prolog_end),
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, None)
        message = _LXML_LOCATION.sub("", exc.msg or str(exc)).strip() or "malformed XML"
        if _UNDEFINED_ENTITY.search(message):
            raise XmlForbidden(
                f"entity references are not allowed in uploaded diagrams ({message})", line=line, column=column
            ) from None
        if "EntityRef" in message:
            message += " (a bare & must be written &amp;, e.g. in conditions: use 'and' or &amp;)"
        where = f"line {line}" + (f", column {column}" if column else "") if line else "unknown position"
        raise XmlSyntaxError(
            f"the document is not well-formed XML at {where}: {message}", line=line, column=column
        ) from None
    tree = root.getroottree()
    # Defence in depth: the prolog check above should make these impossible.
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise XmlForbidden("the document declares a DTD; DTDs are refused in uploaded diagrams", line=1)
    for entity in root.iter(etree.Entity):
        raise XmlForbidden(
            f"entity reference {entity.text} is not allowed in uploaded diagrams",
            line=cast("int | None", entity.sourceline),  # lxml-stubs 0.5.1 leaves sourceline untyped
        )
    return tree


def _check_encoding(data: bytes) -> None:
    declared = _DECLARED_ENCODING.match(data)
    if declared and declared.group(1).decode("ascii").lower() not in _UTF8_NAMES:
        raise XmlEncodingError(
            f"the document declares encoding {declared.group(1).decode('ascii')!r}; "
            'save the diagram as UTF-8 (encoding="UTF-8")',
            line=1,
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise XmlEncodingError(
            f"the document is not valid UTF-8 (byte {exc.start}); save the diagram as UTF-8",
            line=_line_at(data, exc.start),
        ) from None


def line_of(tree: etree._ElementTree | etree._Element, element_id: str | None) -> int | None:
    """Source line of the element with this ``id`` attribute, or None (for messages that name a line)."""
    if not element_id:
        return None
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    for element in root.iter(etree.Element):
        if element.get("id") == element_id:
            return cast("int | None", element.sourceline)  # lxml-stubs 0.5.1 leaves sourceline untyped
    return None
