"""HTML for Jupyter (``_repr_html_``), made from the Markdown each result already has.

In: Markdown as this package writes it (``render.markdown`` and the other ``*_markdown``
renderers): bold/code/emphasis, tables, ``-`` lists (nested by two spaces), ``>`` notes,
paragraphs, with ``md_escape`` escapes. Out: an HTML fragment. One converter for every result, so
a notebook shows the same content in HTML as in Markdown; it reads only what vcbound writes and is
no general Markdown implementation.
"""
from __future__ import annotations

import html
import re

_ESCAPED = re.compile(r"\\([\\`*_\[\]|<])")
_INLINE = [
    (re.compile(r"``\s?(.+?)\s?``|`([^`]+)`"), lambda m: f"<code>{m.group(1) or m.group(2)}</code>"),
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"<em>\1</em>"),
]


def _inline(text: str) -> str:
    # escapes first become placeholders, so that an escaped * or ` is never read as markup
    kept: list[str] = []

    def keep(m):
        kept.append(m.group(1))
        return f"\x00{len(kept) - 1}\x00"

    s = html.escape(_ESCAPED.sub(keep, text), quote=False)
    for pattern, repl in _INLINE:
        s = pattern.sub(repl, s)
    return re.sub(r"\x00(\d+)\x00", lambda m: html.escape(kept[int(m.group(1))], quote=False), s)


def _cells(row: str) -> list[str]:
    parts, cur, i = [], "", 0
    row = row.strip()[1:-1] if row.strip().endswith("|") else row.strip()[1:]
    while i < len(row):
        if row[i] == "\\" and i + 1 < len(row):
            cur += row[i:i + 2]
            i += 2
            continue
        if row[i] == "|":
            parts.append(cur)
            cur = ""
        else:
            cur += row[i]
        i += 1
    parts.append(cur)
    return [p.strip() for p in parts]


def markdown_html(md: str) -> str:
    """The Markdown vcbound writes, as an HTML fragment (wrapped in ``<div class="vcbound">``)."""
    out: list[str] = []
    lines = md.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            head, body = rows[0], [r for r in rows[1:] if not re.fullmatch(r"\|[\s:|-]*\|?", r)]
            out.append("<table>")
            out.append("<tr>" + "".join(f"<th>{_inline(c)}</th>" for c in _cells(head)) + "</tr>")
            out += ["<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in _cells(r)) + "</tr>" for r in body]
            out.append("</table>")
        elif re.match(r"\s*- ", line):
            depth = -1
            while i < len(lines) and re.match(r"\s*- |\s{2,}\S", lines[i]):
                m = re.match(r"(\s*)- (.*)", lines[i])
                if m is None:                          # a continuation line of the item before
                    out[-1] = out[-1][:-len("</li>")] + "<br>" + _inline(lines[i].strip()) + "</li>"
                    i += 1
                    continue
                level = len(m.group(1)) // 2
                while depth < level:
                    out.append("<ul>")
                    depth += 1
                while depth > level:
                    out.append("</ul>")
                    depth -= 1
                out.append(f"<li>{_inline(m.group(2))}</li>")
                i += 1
            out += ["</ul>"] * (depth + 1)
        elif line.startswith(">"):
            quote = []
            while i < len(lines) and lines[i].startswith(">"):
                quote.append(lines[i].lstrip(">").strip())
                i += 1
            out.append(f"<blockquote>{_inline(' '.join(quote))}</blockquote>")
        elif line.startswith("#"):
            level = min(len(line) - len(line.lstrip("#")), 6)
            out.append(f"<h{level}>{_inline(line.lstrip('#').strip())}</h{level}>")
            i += 1
        else:
            para = []
            while i < len(lines) and lines[i].strip() and not re.match(r"[|>#]|\s*- ", lines[i]):
                para.append(lines[i].strip())
                i += 1
            out.append(f"<p>{_inline(' '.join(para))}</p>")
    return '<div class="vcbound">\n' + "\n".join(out) + "\n</div>"
