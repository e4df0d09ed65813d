"""Find text in our files that was copied (or lightly edited) from data we may not ship.

Every WINDOW-character run of our files (NFKC, whitespace removed, at least half of it CJK) is looked up in
the given corpora; overlapping hits are merged into runs and printed with the corpus and document they came
from; a field shorter than the window (a question) counts when it is copied whole. Corpora are `.jsonl` (passages or question sets: every string or list field, rows named by
`id`) or plain text files; data paths are arguments:

    .venv/bin/python -m bench.leakcheck --corpus ../shared/eval/external/corpus.jsonl \
        --corpus ../shared/eval/tune/ncp_policy/corpus.jsonl --corpus ../shared/eval/tune/cmrc2018/corpus.jsonl \
        --corpus ../shared/eval/external/questions_dev.jsonl --corpus ../shared/corpus docs tests app bench README.md

Exit code 1 when any run is found, so it can guard a commit.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

WINDOW = 15
SHORT = 8  # a corpus field shorter than WINDOW (a question) counts when copied whole and at least this long
TEXT_SUFFIXES = {".py", ".md", ".txt", ".jsonl", ".json", ".toml", ".yaml", ".yml", ".csv", ".sh", ".html"}


def _cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


def normalise(text: str) -> tuple[str, list[int]]:
    """NFKC with whitespace removed, and each kept character's offset in the original text."""
    kept, offsets = [], []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch):
            if not c.isspace():
                kept.append(c)
                offsets.append(i)
    return "".join(kept), offsets


def corpus_docs(path: Path) -> Iterator[tuple[str, str]]:
    """(document name, text) for each document of a corpus path (a folder is read file by file)."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        if f.suffix == ".jsonl":
            for number, line in enumerate(f.read_text(encoding="utf-8").splitlines(), start=1):
                if line.strip():
                    row = json.loads(line)  # passages and question sets alike: every string field counts
                    for key, value in row.items():
                        if isinstance(value, str) and key not in ("id", "source"):
                            yield f"{f.name}#{row.get('id', number)}", value
        else:
            yield f.name, f.read_text(encoding="utf-8", errors="replace")


def our_files(paths: list[Path]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file() and f.suffix in TEXT_SUFFIXES
                              and "__pycache__" not in f.parts)
        elif p.is_file():
            yield p


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", type=Path, nargs="+", help="our files or folders to check")
    p.add_argument("--corpus", type=Path, action="append", required=True, help="data we may not copy")
    p.add_argument("--window", type=int, default=WINDOW)
    args = p.parse_args(argv)
    width = args.window
    texts: dict[Path, tuple[str, list[int], str]] = {}
    windows: dict[str, list[tuple[Path, int]]] = {}
    for f in our_files(args.paths):
        try:
            raw = f.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # GBK samples and binaries: their text is generated from scripts/, which is checked
        norm, offsets = normalise(raw)
        texts[f] = (norm, offsets, raw)
        for i in range(len(norm) - width + 1):
            w = norm[i:i + width]
            if sum(map(_cjk, w)) * 2 >= width:
                windows.setdefault(w, []).append((f, i))
    hits: dict[Path, dict[int, str]] = {}
    short_hits: list[tuple[Path, int, str, str]] = []
    for corpus in args.corpus:
        for name, text in corpus_docs(corpus):
            norm, _ = normalise(text)
            for i in range(len(norm) - width + 1):
                for f, at in windows.get(norm[i:i + width], ()):
                    hits.setdefault(f, {}).setdefault(at, name)
            if SHORT <= len(norm) < width and sum(map(_cjk, norm)) * 2 >= len(norm):
                for f, (ours, _, _) in texts.items():  # a short field (a question) copied whole
                    at = ours.find(norm)
                    while at >= 0:
                        short_hits.append((f, at, norm, name))
                        at = ours.find(norm, at + 1)
    found = 0
    for f, starts in sorted(hits.items()):
        norm, offsets, raw = texts[f]
        run_start = prev = -2
        runs: list[tuple[int, int, str]] = []
        for at in sorted(starts):
            if at > prev + 1:
                run_start = at
                runs.append((at, at + width, starts[at]))
            else:
                runs[-1] = (run_start, at + width, runs[-1][2])
            prev = at
        for start, end, source in runs:
            found += 1
            line = raw.count("\n", 0, offsets[start]) + 1
            print(f"{f}:{line}: {end - start} chars from {source}: {norm[start:end]}")
    for f, at, text, source in short_hits:
        found += 1
        norm, offsets, raw = texts[f]
        print(f"{f}:{raw.count(chr(10), 0, offsets[at]) + 1}: whole field of {source}: {text}")
    print(f"{len(texts)} files checked, {len(windows)} distinct {width}-character windows, {found} copied runs",
          file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
