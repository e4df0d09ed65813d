"""What the UI shows, computed outside the UI: highlighted quotes, Markdown export, example questions,
indicator tables. Citations are always rendered from the Answer object, never by re-parsing text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.patterns import CN_NUMERAL, MONTH_SPAN, YEAR_AR, YEAR_NIAN
from app.schema import Answer, Citation, Record
from app.store import Store
from app.verify import figures

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|$~:&=])")
# Streamlit's Markdown turns bare URLs, www. names and e-mail addresses into links after escapes are
# resolved, so a backslash cannot stop it: a word joiner (invisible) splits each of them instead.
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"
# Inside answer text only what can make markup is escaped, so figures (143.79, 1-11月) keep their form.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>|$~:&])")
_LINE_START = re.compile(r"^([ \t]*)(?:([#+=-])|(\d+)([.)])(?=\s|$))", re.MULTILINE)
_KIND_NAMES = {"article": "文章", "policy": "政策文件", "indicator": "指标表", "corpus": "语料"}
# what streaming text masks: a citation marker (kept), a digit run with its separators, a Chinese numeral run
_DIGITS = re.compile(rf"\[\d{{1,3}}\]|\d(?:[\d,，.．]*\d)?|[{CN_NUMERAL}]{{2,}}")
MASK = "▢"


def kind_name(kind: str) -> str:
    return _KIND_NAMES.get(kind, kind)


def _unlink(text: str) -> str:
    return _AUTOLINK.sub(WORD_JOINER, text)


def escape(text: str) -> str:
    """Markdown that shows text from a document or a model as written: every Markdown punctuation mark is
    escaped (no image, link, HTML, emphasis, table or colour directive can form) and bare URLs are split
    so they are not clickable."""
    return _MD_SPECIAL.sub(r"\\\1", _unlink(text))


def text_md(text: str) -> str:
    """Like `escape`, for answer text: escapes only what can make markup (inline marks anywhere, list,
    heading and quote marks at a line start), so figures read the same in the Markdown source; line breaks
    are kept."""
    inline = _INLINE_SPECIAL.sub(r"\\\1", _unlink(text))
    inline = _LINE_START.sub(lambda m: m.group(1) + (f"\\{m.group(2)}" if m.group(2) else f"{m.group(3)}\\{m.group(4)}"), inline)
    return inline.replace("\n", "  \n")


def pending(text: str) -> str:
    """Markdown for an LLM answer that is still streaming: shown as text, with every number masked, because
    none of them has been checked against the sources yet (the verified answer replaces it at the end)."""
    masked = _DIGITS.sub(lambda m: m.group(0) if m.group(0).startswith("[") else MASK, text)
    return f":gray[核对中…数字核对后显示]  \n{text_md(masked)}"


def answer_md(answer: Answer) -> str:
    """The answer as Markdown text; in an unverified LLM answer each figure that could not be verified
    is marked as such."""
    if answer.mode != "llm" or answer.verified:
        return text_md(answer.answer)
    wanted = sorted({u for u in answer.unsupported if u in answer.answer}, key=len, reverse=True)
    if not wanted:
        return text_md(answer.answer)
    pieces = re.split("(" + "|".join(re.escape(w) for w in wanted) + ")", answer.answer)
    return "".join(f":red-background[{text_md(p)}（未核实）]" if i % 2 else text_md(p) for i, p in enumerate(pieces))


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


def _line(text: str) -> str:
    return text_md(" ".join(text.split()))


def citation_md(c: Citation) -> str:
    """The source header as Markdown: our bold label around the document's own title, locator and
    heading path, which are shown as text."""
    date = f"，{_line(c.doc_date)}" if c.doc_date else ""
    head = f"**\\[{c.n}\\] {_line(c.title)}（{_line(c.locator)}{date}）**"
    return head + (f"  \n{_line(c.heading_path)}" if c.heading_path else "")


def related_md(c: Citation) -> str:
    return f"- {_line(c.title)}（{_line(c.locator)}）：{_line(c.quote[:80])}"


def defang(text: str) -> str:
    """Markdown meant to be read as plain text too (the CLI, the export): words stay as they are; only what
    would make a Markdown viewer fetch an image or follow a link from a document is broken."""
    return re.sub(r"\]\(|\]:|<", lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], _unlink(text))


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
    return defang("\n".join(lines) + "\n")


_PERIOD_IN_COLUMN = re.compile(rf"{YEAR_NIAN.pattern}|{MONTH_SPAN}")  # the record has its period (as ingest cut it)


def records_table(answer: Answer) -> list[dict[str, Any]]:
    """Rows for a table/chart when the answer cites indicator records for several entities or periods."""
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for r in answer.records:
        try:
            value = float(r.value)
        except ValueError:
            continue
        if (r.row_label, r.column, r.period) not in seen:
            seen.add((r.row_label, r.column, r.period))
            rows.append({"对象": r.row_label, "指标": metric_name(r), "数值": value, "单位": r.unit, "单元格": r.cell})
    return rows if len(rows) >= 2 else []


@dataclass(frozen=True)
class Chart:
    """One measure (a value, or a growth rate — never both) across entities or periods, with its unit."""

    title: str
    unit: str
    points: dict[str, float]


def charts(answer: Answer) -> list[Chart]:
    """Charts for the answer's cited records: one per measure (column name without its period, and unit),
    each across the entities or periods it was cited for. A value and its growth rate on one axis would draw
    a rate of 7.5 beside 358.6亿元, so they are never mixed; an answer with more than two measures gets
    none (its table says it better), and a measure cited once gets none (one bar compares nothing)."""
    measures: dict[tuple[str, str], list[Record]] = {}
    for r in answer.records:
        try:
            float(r.value)
        except ValueError:
            continue
        measure = _PERIOD_IN_COLUMN.sub("", r.column)
        measures.setdefault((measure, r.unit), []).append(r)
    out = []
    for (measure, unit), records in measures.items():
        periods = {r.period for r in records}
        entities = {r.row_label for r in records}
        points: dict[str, float] = {}
        for r in records:
            label = r.row_label if len(periods) == 1 else r.period if len(entities) == 1 else f"{r.period}{r.row_label}"
            points.setdefault(label, float(r.value))
        if len(points) >= 2:
            period = next(iter(periods)) if len(periods) == 1 else ""
            out.append(Chart(f"{period}{measure}", unit, points))
    return out if len(out) == len(measures) <= 2 else []


def metric_name(r: Record) -> str:
    """'2025年1—11月' + '营收增速' for a column '1—11月营收增速' (the period is said once)."""
    return r.period + _PERIOD_IN_COLUMN.sub("", r.column)


def _record_question(r: Record) -> str:
    metric = metric_name(r)
    return f"{r.period}{r.row_label}{metric[len(r.period):]}是多少？"


_METRIC_SENTENCE = re.compile(rf"({YEAR_AR}年)[^。；，]{{0,6}}?([\u4e00-\u9fa5]{{2,12}}?)(规上营收|产值|增加值|营业收入)")


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
