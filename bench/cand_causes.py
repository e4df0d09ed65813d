"""Why the scorer's best candidate misses the gold, counted per cause (fit files only: issue #12 discipline).

    python -m bench.cand_causes --set "ncp fit" /tmp/ev_ncp ../shared/eval/tune/ncp_policy/questions_fit.jsonl \
        [--show CAUSE] [--limit 20]

Every answerable question is planned and retrieved as the answerer does (a split question part by part) and
its candidates are ranked by the shipped scorer. Each question part falls in one cause:

- top1: the best candidate holds the gold;
- ranked below: a candidate holds it but another ranks first (sub-cause: what the winner is compared with
  the best gold-holding candidate: same chunk, a structured span, the document's title or heading);
- no candidate, in a hit: no candidate holds it but a retrieved chunk does; sub-cause: the chunk's raw
  spans hold it (a filter in the extractor dropped it), it crosses a unit boundary (and what ends the unit
  before: '：', a heading, '；', '。', other), it is only in the title/headings;
- not retrieved: no retrieved chunk holds it.
Why a script: candidate generation and scoring are changed for the causes that count most, not for one
question; `--show` prints examples of one cause to read (fit files only).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from app.answer import Assistant, own_words
from app.candidates import spans
from app.evaluate import alternatives, load_questions
from app.query import analyze
from app.rank import Extractor
from app.retrieve import retrieve
from app.schema import Chunk
from app.sentences import Unit, units
from app.settings import from_env
from bench.common import add_sets


def holds(text: str, parts: list[list[str]], need: object = all) -> bool:
    low = text.lower()
    return bool(need(any(o.lower() in low for o in p) for p in parts))  # type: ignore[operator]


def words(c: object) -> str:
    span = getattr(c, "span", None)
    return (span.lead + span.body) if span is not None and span.lead else str(getattr(c, "resolved", ""))


def boundary_cause(chunk: Chunk, parts: list[list[str]]) -> str:
    """Where the gold crosses the chunk's units: what ends the unit the gold starts in."""
    text = chunk.text
    found = units(chunk)
    for p in parts:
        for o in p:
            at = text.lower().find(o.lower())
            if at < 0:
                continue
            end = at + len(o)
            inside = [u for u in found if u.start < end and u.end > at]
            if len(inside) >= 2:
                return "gold string crosses " + _ends(inside[0], text)
    # each string sits in one unit, but they are in different units
    spots = []
    for p in parts:
        for o in p:
            at = text.lower().find(o.lower())
            if at >= 0:
                spots.append(next((i for i, u in enumerate(found) if u.start <= at < u.end), -1))
                break
    if spots and -1 in spots:
        return "gold in text outside every unit"
    first = min(spots) if spots else 0
    return f"gold parts in {max(spots) - first + 1 if spots else 0} units, first ends " + _ends(found[first], text) if found else "no units"


def _ends(u: Unit, text: str) -> str:
    """What ends a unit ('：', '；', '。', a heading), and whether it opens the chunk."""
    t = u.text
    if u.heading:
        return "heading"
    lead = "first unit, " if u.start == 0 or ("\n" not in text[: u.start] and u.start < 40) else ""
    for mark, name in (("：", "'：'"), (":", "'：'"), ("；", "'；'"), ("。", "'。'"), ("！", "'。'"), ("？", "'？'")):
        if t.rstrip().endswith(mark):
            return lead + name
    return lead + "other"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add_sets(p)
    p.add_argument("--show", default="", help="print examples of causes starting with this text")
    p.add_argument("--limit", type=int, default=15)
    args = p.parse_args(argv)
    total: Counter[str] = Counter()
    shown = 0
    for name, index_dir, questions in args.set:
        settings = from_env(index_dir=Path(index_dir))
        store = Assistant(settings).store
        causes: Counter[str] = Counter()
        for gold in load_questions(Path(questions)):
            if gold.get("type") == "unanswerable":
                continue
            parts = alternatives(gold)
            plan = analyze(gold["question"], settings.question_date(), store.idf)
            texts = [f.text for f in plan.facets]
            need = any if plan.facets else all
            for facet in plan.facets or (plan,):
                about = own_words(facet.text, [t for t in texts if t != facet.text]) if plan.facets else ()
                hits = retrieve(store, facet, settings.top_k)
                rows = Extractor(store, facet, about, hits).scored(hits)
                cands = [c for c, _ in rows]
                pos = [i for i, c in enumerate(cands) if holds(words(c), parts, need)]
                if pos and pos[0] == 0:
                    cause = "top1"
                elif pos:
                    win, good = cands[0], cands[pos[0]]
                    how = ("same chunk" if win.chunk.id == good.chunk.id else "other chunk")
                    how += ", winner structured" if win.span and win.span.lead else ""
                    how += ", gold structured" if good.span and good.span.lead else ""
                    cause = f"ranked below: {how}"
                else:
                    in_text = [h.chunk for h in hits if holds(h.chunk.text, parts, need)]
                    if in_text:
                        raw = any(holds(s.lead + s.body if s.lead else s.quote, parts, need) for c in in_text for s in spans(c))
                        cause = ("no candidate, in a hit: a raw span holds it (filtered or dates resolved)" if raw
                                 else "no candidate, in a hit: " + boundary_cause(in_text[0], parts))
                    elif any(holds(f"{h.chunk.title} {h.chunk.heading_path}", parts, need) for h in hits):
                        cause = "no candidate: title/headings only"
                    else:
                        cause = "not retrieved"
                causes[cause] += 1
                if args.show and cause.startswith(args.show) and shown < args.limit:
                    shown += 1
                    print(f"\n## [{name}] {facet.text}  gold={parts}  cause={cause}")
                    for c in cands[:2]:
                        print(f"  top: {c.score:.3f} {words(c)[:160]!r}")
                    if pos:
                        print(f"  gold#{pos[0]}: {cands[pos[0]].score:.3f} {words(cands[pos[0]])[:160]!r}")
                    else:
                        for h in hits:
                            if holds(h.chunk.text, parts, need):
                                t = h.chunk.text
                                o = next(o for pp in parts for o in pp if o.lower() in t.lower())
                                at = t.lower().find(o.lower())
                                print(f"  in chunk (title {h.chunk.title!r}): …{t[max(0, at - 120): at + 80]!r}…")
                                break
        print(f"\n### {name}: {sum(causes.values())} question parts")
        for cause, n in causes.most_common():
            print(f"  {n:5d}  {cause}")
        total += causes
    print(f"\n### all: {sum(total.values())} question parts")
    for cause, n in total.most_common():
        print(f"  {n:5d}  {cause}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
