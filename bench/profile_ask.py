"""Where one question's time goes: warm per-question medians, then a sampling profile of the same questions.

    .venv/bin/pip install pyinstrument
    KBQA_KB_DIR=/tmp/kb1k .venv/bin/python -m ingest /tmp/kb1k --index-dir /tmp/idx1k
    .venv/bin/python -m bench.profile_ask --index-dir /tmp/idx1k --questions ../shared/eval/seed_questions.jsonl [--fresh]

On a small knowledge base (1k chunks) what is left is the fixed cost of a question, paid at any size:
tagging candidate sentences, Chroma's per-call overhead, analysing the question. Falls back to cProfile
when pyinstrument is not installed.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench.common import median, percentile

if TYPE_CHECKING:
    from app.answer import Assistant


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--index-dir", type=Path, required=True)
    p.add_argument("--questions", type=Path, required=True)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--top", type=int, default=25, help="functions listed by cProfile (the fallback)")
    p.add_argument("--first", action="store_true",
                   help="profile the first round (each question asked the first time after the warm-up, as in "
                        "ask_bench's round 0, whose timings decide the p95 on a small index) and stop")
    p.add_argument("--fresh", action="store_true",
                   help="drop what is kept per text (app.text.per_text_caches) before each round and before the "
                        "profile: the cost of questions over text the process has not read yet")
    args = p.parse_args()

    from app.answer import Assistant
    from app.settings import Settings
    from app.text import per_text_caches

    def drop() -> None:
        if args.fresh:
            for kept in per_text_caches():
                kept.cache_clear()

    questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    assistant = Assistant(Settings(index_dir=args.index_dir))
    assistant.ask(questions[0])  # warm: index, jieba and the tagger loaded
    if args.first:
        profile(assistant, questions, args.top)
        return
    per_question: dict[str, list[float]] = {q: [] for q in questions}
    for _ in range(args.repeats):
        drop()
        for q in questions:
            t = time.perf_counter()
            assistant.ask(q)
            per_question[q].append((time.perf_counter() - t) * 1000)
    every = [ms for runs in per_question.values() for ms in runs]
    print(f"{len(assistant.store.chunks)} chunks, {len(questions)} questions x {args.repeats}: "
          f"p50 {median(every):.2f} ms, p95 {percentile(every, 0.95):.2f} ms")
    for q, runs in sorted(per_question.items(), key=lambda x: -median(x[1])):
        print(f"{median(runs):8.2f} ms  {q}")

    drop()
    profile(assistant, questions, args.top)


def profile(assistant: Assistant, questions: list[str], top: int) -> None:
    """A sampling profile of one round of the questions (cProfile's `top` functions without pyinstrument)."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        stats = cProfile.Profile()
        stats.enable()
        for q in questions:
            assistant.ask(q)
        stats.disable()
        pstats.Stats(stats).sort_stats("cumulative").print_stats(top)
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for q in questions:
        assistant.ask(q)
    profiler.stop()
    print(profiler.output_text(unicode=True, show_all=False))


if __name__ == "__main__":
    main()
