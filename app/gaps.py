"""The gap report: questions the knowledge base failed, grouped, counted per week — the keepers' to-do list.

Three signals, all read from the History file (app/conversations.py): a refused question (no support found),
an LLM answer whose figures could not be verified against its sources, and a 👎 from a reader. People ask
the same thing in different words, so questions are grouped lexically: two questions join when their
content words (jieba tokens without stopwords) overlap by at least GROUP_OVERLAP (Jaccard). That is
deliberately simple — a keeper reads the variants listed in each group anyway.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field

from app.conversations import History
from app.tokens import tokenize

GROUP_OVERLAP = 0.5
REFUSED, DISLIKED, UNVERIFIED = "未找到依据", "差评", "未核实"
KINDS = (REFUSED, DISLIKED, UNVERIFIED)


@dataclass(frozen=True)
class Event:
    question: str
    kind: str
    created: float
    comment: str = ""


@dataclass
class Gap:
    """Questions judged alike, with how often and when each signal came."""

    question: str  # the most frequent wording
    words: frozenset[str]
    count: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    weeks: Counter[str] = field(default_factory=Counter)
    variants: Counter[str] = field(default_factory=Counter)
    comments: list[str] = field(default_factory=list)
    last: float = 0.0


def week_of(created: float) -> str:
    """ISO week such as '2026-W09' (Monday to Sunday, local time)."""
    year, week, _ = dt.datetime.fromtimestamp(created).isocalendar()
    return f"{year}-W{week:02d}"


def events(history: History) -> list[Event]:
    """Every failure signal in the file, oldest first. Feedback stored without its question (questions not
    allowed to be kept) cannot be grouped and is left out."""
    out = []
    for row in history.asked_rows():
        if not row["answerable"]:
            out.append(Event(row["question"], REFUSED, row["created"]))
        elif row["mode"] == "llm" and not row["verified"]:
            out.append(Event(row["question"], UNVERIFIED, row["created"]))
    out += [Event(r["question"], DISLIKED, r["created"], r["comment"]) for r in history.feedback_rows()
            if r["score"] == 0 and r["question"]]
    return sorted(out, key=lambda e: e.created)


def _words(question: str) -> frozenset[str]:
    return frozenset(tokenize(question)) or frozenset([question.strip()])


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / max(1, len(a | b))


def group(found: list[Event]) -> list[Gap]:
    """Alike questions together; the groups with the most events first."""
    gaps: list[Gap] = []
    for e in found:
        words = _words(e.question)
        best = max(gaps, key=lambda g: _overlap(words, g.words), default=None)
        if best is None or _overlap(words, best.words) < GROUP_OVERLAP:
            best = Gap(e.question, words)
            gaps.append(best)
        best.count += 1
        best.kinds[e.kind] += 1
        best.weeks[week_of(e.created)] += 1
        best.variants[" ".join(e.question.split())] += 1
        best.last = max(best.last, e.created)
        if e.comment:
            best.comments.append(e.comment)
    for g in gaps:
        g.question = g.variants.most_common(1)[0][0]
    return sorted(gaps, key=lambda g: (-g.count, -g.last))


def weekly(found: list[Event]) -> list[dict[str, object]]:
    """One row per week with the count of each signal, oldest week first."""
    table: dict[str, Counter[str]] = {}
    for e in found:
        table.setdefault(week_of(e.created), Counter())[e.kind] += 1
    return [{"周": week, **{k: counts[k] for k in KINDS}} for week, counts in sorted(table.items())]


def rows(gaps: list[Gap]) -> list[dict[str, object]]:
    """The report as table rows (what the page shows and the CSV holds)."""
    return [{
        "问题": g.question,
        "次数": g.count,
        **{k: g.kinds[k] for k in KINDS},
        "最近一次": dt.datetime.fromtimestamp(g.last).strftime("%Y-%m-%d %H:%M"),
        "各周次数": "；".join(f"{w}：{n}" for w, n in sorted(g.weeks.items())),
        "相似问法": "；".join(v for v, _ in g.variants.most_common() if v != g.question),
        "读者意见": "；".join(g.comments),
    } for g in gaps]


def to_csv(table: list[dict[str, object]]) -> bytes:
    """UTF-8 with a BOM, so Excel opens the Chinese text as it is. A cell that starts like a formula gets a
    leading apostrophe: a question typed as '=HYPERLINK(…)' must stay text in the keeper's spreadsheet."""
    out = io.StringIO()
    if table:
        writer = csv.DictWriter(out, fieldnames=list(table[0]))
        writer.writeheader()
        for row in table:
            writer.writerow({k: f"'{v}" if isinstance(v, str) and v and v[0] in "=+-@\t\r" else v for k, v in row.items()})
    return ("\ufeff" + out.getvalue()).encode("utf-8")
