"""RSS 2.0 / Atom feeds with Merchant Center ``g:`` attributes, read with expat (line numbers, no DOCTYPE)."""

from __future__ import annotations

import re
from typing import Any

from ...errors import InputError
from .fields import ALIASES, ATOM_NS, GOOGLE_NS, normalise_header


def parse_rss_items(text: str, where: str) -> list[tuple[int, dict[str, Any]]]:
    """Items of an RSS 2.0 (or Atom) feed with Merchant Center ``g:`` attributes, with line numbers.

    Uses expat directly for line numbers; a DOCTYPE is refused, so entity expansion cannot blow up.
    """
    from xml.parsers import expat

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    items: list[tuple[int, dict[str, Any]]] = []
    state: dict[str, Any] = {"item": None, "depth": 0, "item_depth": 0, "field": None, "buf": []}

    def local(name: str) -> tuple[str, str]:
        ns, _, tag = name.rpartition(" ")
        return ns, tag

    def refuse_doctype(*_args: Any) -> None:
        raise InputError(f"{where}, line {parser.CurrentLineNumber}: XML feeds with a DOCTYPE are refused.")

    def start(name: str, attrs: dict[str, str]) -> None:
        state["depth"] += 1
        ns, tag = local(name)
        if state["item"] is None:
            if tag in ("item", "entry") and ns in ("", ATOM_NS):
                state["item"] = {}
                state["item_line"] = parser.CurrentLineNumber
                state["item_depth"] = state["depth"]
            return
        if state["depth"] == state["item_depth"] + 1 and ns in ("", GOOGLE_NS, ATOM_NS):
            state["field"] = tag
            state["buf"] = []
            if ns == ATOM_NS and tag == "link" and attrs.get("href"):
                state["item"].setdefault("link", attrs["href"])
                state["field"] = None

    def end(name: str) -> None:
        item = state["item"]
        if item is not None:
            if state["depth"] == state["item_depth"]:
                items.append((state["item_line"], item))
                state["item"] = None
            elif state["depth"] == state["item_depth"] + 1 and state["field"]:
                attr = ALIASES.get(normalise_header(state["field"]))
                value = "".join(state["buf"]).strip()
                if attr == "additional_image_link":
                    if value:
                        item.setdefault(attr, []).append(value)
                elif attr and attr not in item:
                    item[attr] = value
                state["field"] = None
        state["depth"] -= 1

    def chars(data: str) -> None:
        if state["field"] is not None:
            state["buf"].append(data)

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    body = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)  # already decoded: drop the declared encoding
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        raise InputError(f"{where}, line {exc.lineno}: not well-formed XML ({expat.ErrorString(exc.code)}).") from None
    return items
