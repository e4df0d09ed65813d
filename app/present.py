"""What the UI shows, computed outside the UI: highlighted quotes, Markdown export, example questions,
indicator tables. Citations are always rendered from the Answer object, never by re-parsing text."""

from __future__ import annotations

import re
from typing import Any

from app.schema import Answer, Citation, Record
from app.store import Store
from app.verify import figures

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|$~:])")
_KIND_NAMES = {"article": "文章", "policy": "政策文件", "indicator": "指标表", "corpus": "语料"}


def kind_name(kind: str) -> str:
    return _KIND_NAMES.get(kind, kind)


def escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def highlight(quote: str, answer: str) -> str:
    """Markdown of the quote with the answer's figures marked, so the supporting number stands out."""
    wanted = sorted({raw for raw, _, _ in figures(answer)}, key=len, reverse=True)
    wanted = [w for w in wanted if w in quote]
    if not wanted:
        return escape(quote)
    pattern = re.compile("|".join(re.escape(w) for w in wanted))
    out, last = [], 0
    for m in pattern.finditer(quote):
        out.append(escape(quote[last : m.start()]))
        out.append(f":orange-background[**{escape(m.group(0))}**]")
        last = m.end()
    out.append(escape(quote[last:]))
    return "".join(out)


def citation_line(c: Citation) -> str:
    date = f"，{c.doc_date}" if c.doc_date else ""
    return f"[{c.n}] {c.title}（{c.locator}{date}）"


def to_markdown(answer: Answer) -> str:
    """An answer with its sources, for copying into a report."""
    lines = [f"**问：** {answer.question}", ""]
    if answer.rewritten:
        lines += [f"（理解为：{answer.rewritten}）", ""]
    lines += [f"**答：** {answer.answer}", ""]
    if answer.notice:
        lines += [f"> {answer.notice}", ""]
    if not answer.verified:
        lines += [f"> ⚠ 未能核实：{'、'.join(answer.unsupported)}", ""]
    if answer.citations:
        lines.append("**来源：**")
        lines += [f"- {citation_line(c)}：“{c.quote}”" for c in answer.citations]
    if answer.related:
        lines.append("**相关资料：**")
        lines += [f"- {c.title}（{c.locator}）" for c in answer.related]
    return "\n".join(lines) + "\n"


def records_table(answer: Answer) -> list[dict[str, Any]]:
    """Rows for a table/chart when the answer cites indicator records for several entities or periods."""
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for r in answer.records:
        try:
            value = float(r.value)
        except ValueError:
            continue
        if (r.row_label, r.column) not in seen:
            seen.add((r.row_label, r.column))
            rows.append({"对象": r.row_label, "指标": metric_name(r), "数值": value, "单位": r.unit, "单元格": r.cell})
    return rows if len(rows) >= 2 else []


def metric_name(r: Record) -> str:
    """'2025年1—11月' + '营收增速' for a column '1—11月营收增速' (the period is said once)."""
    return r.period + re.sub(r"(?:19|20)\d\d年|\d{1,2}\s*[—\-–~至]\s*\d{1,2}\s*月", "", r.column)


def _record_question(r: Record) -> str:
    metric = metric_name(r)
    return f"{r.period}{r.row_label}{metric[len(r.period):]}是多少？"


_METRIC_SENTENCE = re.compile(r"((?:19|20)\d\d年)[^。；，]{0,6}?([\u4e00-\u9fa5]{2,12}?)(规上营收|产值|增加值|营业收入)")


def examples(store: Store) -> list[tuple[str, str]]:
    """One clickable question per document kind, taken from the knowledge base itself."""
    out: dict[str, str] = {}
    for chunk in store.chunks:
        if chunk.kind in out:
            continue
        if chunk.record is not None:
            out[chunk.kind] = _record_question(chunk.record)
        elif chunk.kind == "policy" and chunk.locator.startswith("第") and "条" in chunk.locator:
            out[chunk.kind] = f"《{chunk.title}》{chunk.locator}规定了什么？"
        elif chunk.kind in ("article", "corpus") and (m := _METRIC_SENTENCE.search(chunk.index_text)):
            out[chunk.kind] = f"{m.group(1)}{m.group(2)}{m.group(3)}是多少？"
    order = ["indicator", "article", "policy", "corpus"]
    return [(kind_name(k), out[k]) for k in order if k in out]
