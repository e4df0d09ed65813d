"""Which policy is in force on the day a question is asked: 现行有效 / 已废止 / 已过有效期 / 尚未施行.

Ingest records what each document says about itself (the manifest's `policy` entry, ingest/policy.py);
the links between documents are made here, over the live manifest, so they follow every added or
deleted file: a document is repealed by another that names it in a repeal statement, by 文号 (exact)
or else by title (the name without its bracketed version note, for an older document only). The date
is the question's (Settings.question_date(), the reference date when one is set), never the clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from app.schema import Answer, Hit
from app.text import synonyms

IN_FORCE = "现行有效"
REPEALED = "已废止"
EXPIRED = "已过有效期"
NOT_YET = "尚未施行"
OUT_OF_FORCE = (REPEALED, EXPIRED)
_BRACKETED = re.compile(r"[（(][^（）()]*[)）]")
_BRACKETS = str.maketrans({"[": "〔", "]": "〕", "【": "〔", "】": "〕", "(": "〔", ")": "〕", "（": "〔", "）": "〕"})
_PLACE = re.compile(r"^[\u4e00-\u9fff]{1,8}?[省市县区]")  # '平湖市…办法' is asked for as '…办法'
_NAME_MIN = 4  # a shorter name ('办法') names no document
_CHAIN_MAX = 20  # successors followed to the one in force; a loop of repeals stops here
_cache: dict[tuple[int, str, dt.date], dict[str, Status]] = {}


@dataclass(frozen=True)
class Status:
    """A document's standing on one day; `since` is the day it took that standing (ISO)."""

    label: str
    since: str = ""
    successor: str = ""  # source of the document in force in its place (repeals followed to the end)
    successor_title: str = ""

    @property
    def in_force(self) -> bool:
        return self.label not in OUT_OF_FORCE


def base_title(title: str) -> str:
    """A title without 《》, spaces or bracketed notes: '…补助办法（2026年修订，示例）' -> '…补助办法'."""
    return re.sub(r"[\s《》]", "", _BRACKETED.sub("", title))


def _docno(text: str) -> str:
    return re.sub(r"\s|第", "", text.translate(_BRACKETS))


def _date(iso: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(iso) if iso else None
    except ValueError:
        return None


def _repealers(files: Mapping[str, Mapping[str, Any]]) -> dict[str, list[tuple[str, str]]]:
    """Source -> [(repealing source, day the repeal takes effect)], earliest first."""
    by_docno = {_docno(p["docno"]): s for s, info in files.items() if (p := info.get("policy") or {}).get("docno")}
    out: dict[str, list[tuple[str, str]]] = {}
    for source, info in files.items():
        policy = info.get("policy") or {}
        own_day = policy.get("effective_from") or policy.get("issued") or ""
        for repeal in policy.get("repeals", ()):
            targets = [by_docno[d]] if (d := _docno(repeal.get("docno", ""))) in by_docno else []
            if not targets and (name := base_title(repeal.get("title", ""))):
                targets = [
                    s for s, i in files.items()
                    if s != source and base_title(str(i.get("title", ""))) == name
                    and ((i.get("policy") or {}).get("issued") or "") <= (policy.get("issued") or "9999")
                ]
            for target in targets:
                if target != source:
                    out.setdefault(target, []).append((source, repeal.get("on") or own_day))
    return {s: sorted(v, key=lambda x: x[1]) for s, v in out.items()}


def statuses(files: Mapping[str, Mapping[str, Any]], today: dt.date) -> dict[str, Status]:
    """Status of every policy-like file of the manifest (those with a `policy` entry or of kind policy)."""
    repealers = _repealers(files)
    out: dict[str, Status] = {}
    for source, info in files.items():
        policy = info.get("policy") or {}
        if not policy and info.get("kind") != "policy":
            continue
        repeal = next(((s, on) for s, on in repealers.get(source, ()) if (d := _date(on)) and d <= today), None)
        until, start = _date(policy.get("valid_until", "")), _date(policy.get("effective_from", ""))
        if repeal:
            out[source] = Status(REPEALED, repeal[1], repeal[0])
        elif until and until < today:
            out[source] = Status(EXPIRED, policy["valid_until"])
        elif start and start > today:
            out[source] = Status(NOT_YET, policy["effective_from"])
        else:
            out[source] = Status(IN_FORCE, policy.get("effective_from", ""))
    for source, status in out.items():
        if status.successor:
            current = status.successor
            for _ in range(_CHAIN_MAX):
                nxt = out.get(current)
                if not nxt or not nxt.successor or nxt.successor == source:
                    break
                current = nxt.successor
            out[source] = replace(status, successor=current, successor_title=str(files[current].get("title", "")))
    return out


def of_store(store: Any, today: dt.date) -> dict[str, Status]:
    """Statuses for an opened Store's manifest, computed once per generation and day."""
    key = (id(store.manifest), getattr(store, "generation", ""), today)
    if key not in _cache:
        if len(_cache) > 8:
            _cache.clear()
        _cache[key] = statuses(store.manifest.get("files", {}), today)
    return _cache[key]


def file_of(source: str) -> str:
    """The file a chunk's source belongs to ('kb/a.jsonl#3' -> 'kb/a.jsonl')."""
    return source.split("#", 1)[0]


def _named(question: str, source: str, info: Mapping[str, Any]) -> bool:
    """Whether the question names this very document: its 文号, its full title, or its title's name (the
    place it leads with may be left out) and the year it was issued ('2023年的技术改造补助办法')."""
    policy = info.get("policy") or {}
    asked = re.sub(r"[\s《》]", "", question)
    title = re.sub(r"[\s《》]", "", str(info.get("title", "")))
    if policy.get("docno") and _docno(policy["docno"]) in _docno(asked):
        return True
    if title and title in asked:
        return True
    name, year = _PLACE.sub("", base_title(title)), (policy.get("issued") or policy.get("effective_from") or "")[:4]
    if len(name) < _NAME_MIN or not year or f"{year}年" not in asked:
        return False
    # its name's tail, a word in it called by its synonym ('2023年的技改补助办法': 技改 = 技术改造, 工业企业 left out)
    tails = [name[i:] for i in range(len(name) - max(_NAME_MIN, (len(name) + 1) // 2) + 1)]
    forms = {asked} | {asked.replace(w, alt) for w, alts in synonyms().items() if w in asked for alt in alts}
    return any(t in form for t in tails for form in forms)


def in_force_first(store: Any, hits: list[Hit], question: str, today: dt.date | None) -> list[Hit]:
    """Hits with the passages of each repealed or expired document moved to the end when the document in
    force in its place was retrieved too, unless the question names the old document itself. A rule that
    no longer applies is no evidence for a question about the rule, so it waits behind every other
    candidate (from a pool of 4 x top_k it then rarely reaches the top k); asked for by name, it keeps its
    place. Everything else keeps its order."""
    if today is None or not hits:
        return hits
    known = of_store(store, today)
    if not any(not s.in_force for s in known.values()):
        return hits
    files = store.manifest.get("files", {})
    retrieved = {file_of(h.chunk.source) for h in hits}
    current: list[Hit] = []
    superseded: list[Hit] = []
    for h in hits:
        source = file_of(h.chunk.source)
        status = known.get(source)
        late = status is not None and not status.in_force and status.successor in retrieved
        (superseded if late and not _named(question, source, files.get(source, {})) else current).append(h)
    if not superseded:
        return hits
    return [Hit(h.chunk, h.score, rank) for rank, h in enumerate(current + superseded, start=1)]


def _cn_date(iso: str) -> str:
    d = _date(iso)
    return f"{d.year}年{d.month}月{d.day}日" if d else iso


def note(title: str, status: Status) -> str:
    """The warning an answer drawn from (or asking about) a document out of force carries."""
    if status.label == REPEALED:
        after = f"，现行为《{status.successor_title}》" if status.successor_title else ""
        return f"注意：《{title}》已于{_cn_date(status.since)}废止{after}。"
    if status.label == EXPIRED:
        after = f"，现行为《{status.successor_title}》" if status.successor_title else ""
        return f"注意：《{title}》的有效期已于{_cn_date(status.since)}届满{after}。"
    if status.label == NOT_YET:
        return f"注意：《{title}》自{_cn_date(status.since)}起施行，目前尚未施行。"
    return ""


def with_notes(store: Any, answer: Answer, today: dt.date) -> Answer:
    """The answer with a note for each cited document that is not in force on `today`, and for each
    such document the question names (a question about a repealed measure by its name is told so even
    when the answer comes from its successor)."""
    known = of_store(store, today)
    if not any(s.label != IN_FORCE for s in known.values()):
        return answer
    files = store.manifest.get("files", {})
    sources = [file_of(c.source) for c in answer.citations]
    sources += [s for s in known if _named(answer.rewritten or answer.question, s, files.get(s, {}))]
    notes = [note(str(files[s].get("title", "")), known[s]) for s in dict.fromkeys(sources) if s in known]
    notes = [n for n in notes if n and n not in answer.notice]
    if not notes:
        return answer
    return replace(answer, notice="\n".join(([answer.notice] if answer.notice else []) + notes))


def status_label(known: Mapping[str, Status], source: str) -> str:
    """The status shown beside a hit or a file: '' for documents that are no policy."""
    status = known.get(file_of(source))
    return status.label if status else ""


def only_in_force(hits: list[Hit], known: Mapping[str, Status]) -> list[Hit]:
    """`search --in-force`: hits of documents in force today (and of documents that are no policy), re-ranked;
    a document not yet in force is left out like a repealed one."""
    kept = [h for h in hits if (s := known.get(file_of(h.chunk.source))) is None or s.label == IN_FORCE]
    return [Hit(h.chunk, h.score, rank) for rank, h in enumerate(kept, start=1)]


def validity(info: Mapping[str, Any]) -> str:
    """'自2026年1月1日起施行；有效期至2028年12月31日' from a file's policy fields (有效期三年 is shown as the
    day it ends); the older summary of ingest (`effective`) where there are none."""
    policy = info.get("policy") or {}
    parts = [f"自{_cn_date(policy['effective_from'])}起施行" if policy.get("effective_from") else "",
             f"有效期至{_cn_date(policy['valid_until'])}" if policy.get("valid_until") else ""]
    return "；".join(p for p in parts if p) or str(info.get("effective", ""))
