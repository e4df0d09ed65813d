"""Policy documents at ingest: 文号, issuing body, 印发/发布 date, 施行 date, 有效期 and what they repeal.

The fields go into the manifest's file entry (`policy`), so `app/status.py` can say, as of the day a
question is asked, which documents are in force: a repealed 管理办法 must not answer as confidently as
its successor. Only what a document states is recorded here; linking an old document to the new one
that repeals it happens at query time over the whole manifest, so deleting or adding either file never
leaves a stale link in the index.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from app.numerals import whole_number
from app.patterns import DOCNO, YMD, YMD_PARTS
from app.schema import Document
from app.text import normalize

_DATE, _DATE_PARTS = YMD, YMD_PARTS  # 2026年1月1日, 二〇二六年一月一日
# the issuer's short name glued to the bracketed year: 平经信〔2025〕12号, 浙政办发〔2024〕3号
_DOCNO_FULL = re.compile(r"(?P<org>[\u4e00-\u9fff]{1,10})" + DOCNO.pattern)
_HEAD_CHARS = 400  # a document's own 文号 stands in its header, before the body cites others
_ISSUED = re.compile(rf"(?:印发|发布|成文|发文)(?:日期|时间)\s*[:：]\s*(?P<date>{_DATE})")
_ISSUED_INLINE = re.compile(rf"(?P<date>{_DATE})\s*(?:印发|发布)")
_DATE_LINE = re.compile(rf"^\s*(?P<date>{_DATE})\s*$", re.MULTILINE)
_EFFECTIVE = re.compile(rf"自\s*(?:(?P<date>{_DATE})|(?P<on_issue>印发|发布|公布)之日)\s*起\s*(?:施行|实施|执行|生效)")
_VALID_UNTIL = re.compile(rf"有效期\s*(?:至|到|截至)\s*(?P<date>{_DATE})")
_VALID_YEARS = re.compile(r"有效期\s*(?:为|是)?\s*(?P<n>\d{1,2}|[一二三四五六七八九十两]{1,3})\s*年")
_ISSUER_FIELD = re.compile(r"(?:发文机关|印发机关|发布机关|发文单位)\s*[:：]\s*(?P<org>[^\s，,。；;]{2,30})")
_ISSUER_LINE = re.compile(r"^\s*(?P<org>[\u4e00-\u9fff（）()]{3,30}(?:局|委员会|委|办公室|人民政府|政府|厅|部|中心|办))\s*$", re.MULTILINE)
_SENTENCES = re.compile(r"[^。！？\n]+")
_REPEAL = re.compile(r"废止|停止执行|不再执行")
_CITED = re.compile(r"《(?P<title>[^《》]{2,80})》\s*(?:[（(](?P<note>[^（）()]{0,40})[）)])?")
_REPEAL_ON = re.compile(rf"(?:自|于)\s*(?P<date>{_DATE})\s*(?:起)?\s*(?:同时)?(?:废止|停止执行|不再执行)")
_CITING = re.compile(r"》\s*[（(][^（）()]*$")  # '《…》（平经信〔2023〕5号）' cites another document's 文号
_SELF = re.compile(r"^本(?:办法|规定|措施|意见|通知|细则|方案|政策)")


def iso(text: str) -> str:
    """'2026年1月1日' / '二〇二六年一月一日' -> '2026-01-01'; '' when it is no real date."""
    m = _DATE_PARTS.search(text)
    if not m:
        return ""
    parts = [_int(m.group(k)) for k in ("y", "m", "d")]
    try:
        return dt.date(*parts).isoformat()
    except ValueError:
        return ""


def _int(text: str) -> int:
    """12 / 十二 / 二〇二六 -> the number as app.numerals reads it; 0 (no real date part) for anything else."""
    return whole_number(text) or 0


def _plus_years(start: str, years: int) -> str:
    """The last day of a validity of `years` years from `start` (有效期三年 from 2026-01-01 -> 2028-12-31)."""
    day = dt.date.fromisoformat(start)
    try:
        end = day.replace(year=day.year + years)
    except ValueError:  # 29 February
        end = day.replace(year=day.year + years, day=28)
    return (end - dt.timedelta(days=1)).isoformat()


def docno_of(text: str) -> str:
    """A 文号 written plainly: '平经信〔2025〕12号' whatever brackets or spaces the text used."""
    m = _DOCNO_FULL.search(text) or DOCNO.search(text)
    if not m:
        return ""
    org = m.groupdict().get("org") or ""
    return f"{org}〔{_int(m.group('y'))}〕{int(m.group('n'))}号"


def _repeals(text: str, own_title: str, effective: str, issued: str) -> list[dict[str, str]]:
    """Documents this one repeals: every 《title》（文号） in a sentence that says 废止 / 停止执行, with the
    day the repeal takes effect (its own date, else this document's 施行 date, else its issue date)."""
    found: dict[str, dict[str, str]] = {}
    for sentence in _SENTENCES.findall(text):
        if not _REPEAL.search(sentence):
            continue
        on = iso(m.group("date")) if (m := _REPEAL_ON.search(sentence)) else ""
        for cited in _CITED.finditer(sentence):
            title = cited.group("title").strip()
            if _SELF.match(title) or title == own_title:
                continue
            docno = docno_of(cited.group("note") or "")
            found.setdefault(title, {"title": title, "docno": docno, "on": on or effective or issued})
    return list(found.values())


def detect(text: str, title: str = "") -> dict[str, Any]:
    """What a policy document says about itself; {} when it says nothing of the kind."""
    text = normalize(text)
    head = text[:_HEAD_CHARS]
    docno = next((docno_of(m.group(0)) for m in _DOCNO_FULL.finditer(head) if not _CITING.search(head[: m.start()])), "")
    issued = ""
    for pattern in (_ISSUED, _ISSUED_INLINE):
        if m := pattern.search(text):
            issued = iso(m.group("date"))
            break
    if not issued and (lines := _DATE_LINE.findall(text[-600:])):
        issued = iso(lines[-1])  # the date under the signature
    effective = ""
    if m := _EFFECTIVE.search(text):
        effective = iso(m.group("date")) if m.group("date") else issued
    until = iso(m.group("date")) if (m := _VALID_UNTIL.search(text)) else ""
    if not until and (m := _VALID_YEARS.search(text)) and (start := effective or issued):
        years = _int(m.group("n"))
        until = _plus_years(start, years) if years else ""
    issuer = m.group("org") if (m := _ISSUER_FIELD.search(text)) else ""
    if not issuer and (orgs := _ISSUER_LINE.findall(text[-600:])):
        issuer = orgs[-1]
    fields = {
        "docno": docno,
        "issuer": issuer,
        "issued": issued,
        "effective_from": effective,
        "valid_until": until,
        "repeals": _repeals(text, title, effective, issued),
    }
    return {k: v for k, v in fields.items() if v}


def policy_fields(doc: Document) -> dict[str, Any]:
    """The manifest's `policy` entry of a loaded document: for policy documents and anything that carries
    a 文号 or a 施行 date; {} for the rest (articles, indicator sheets, corpora)."""
    if doc.kind in ("indicator", "corpus"):
        return {}
    body = "\n".join(s.text for s in doc.sections if s.record is None)
    found = detect(body, doc.title)
    if doc.kind != "policy" and not ({"docno", "effective_from"} & found.keys()):
        return {}
    return found
