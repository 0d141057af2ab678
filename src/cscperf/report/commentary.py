"""Officers' commentary: a Markdown file with `## indicator_id` headings, or YAML keyed by indicator id."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from markdown_it import MarkdownIt
from markupsafe import Markup

from cscperf.errors import UserError

_HEADING = re.compile(r"^##\s+(\S+)\s*$")
_md = MarkdownIt("commonmark", {"html": False})  # raw HTML in commentary is escaped, never passed through


def parse_markdown(text: str) -> dict[str, str]:
    out: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        m = _HEADING.match(line)
        if m:
            current = m.group(1)
            out.setdefault(current, [])
        elif current is not None:
            out[current].append(line)
    return {k: "\n".join(v).strip() for k, v in out.items() if "\n".join(v).strip()}


def load_commentary(path: str | Path | None, known_ids: set[str] | None = None) -> dict[str, Markup]:
    """Commentary per indicator id, rendered to safe HTML; unknown ids are an error naming the file."""
    if path is None:
        return {}
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: commentary file not found") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            raw = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise UserError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
        if not isinstance(raw, dict):
            raise UserError(f"{path}: expected a mapping of indicator id to text")
        entries = {str(k): str(v).strip() for k, v in raw.items() if v}
    else:
        entries = parse_markdown(text)
    if known_ids is not None:
        unknown = sorted(set(entries) - known_ids)
        if unknown:
            raise UserError(f"{path}: heading {unknown[0]}: unknown indicator id")
    return {k: Markup(_md.render(v)) for k, v in entries.items()}  # noqa: S704 - markdown-it escapes raw HTML (html=False)
