"""Mutate real .docx/.xlsx/.pdf/.csv files and count the exceptions other than LoadError that escape `load`.

Run: .venv/bin/python -m bench.fuzz_loaders [--seconds 300] [--seed 1]
Prints files tried, escapes (with the exception types), skips and loads per type, and the time per file.
The mutations: byte flips, truncation, spliced slices, and for the zip formats the same inside one XML
member before re-zipping (so the XML parsers, not only zipfile, see the damage), dropped members, and
for CSV stray quotes, NULs and a field over csv's 128 KiB limit. tests/test_fuzz.py runs a few seconds
of the same.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
import zipfile
import zlib
from collections import Counter
from pathlib import Path

from app.errors import LoadError
from ingest.load import load


def _bytes(data: bytes, rng: random.Random) -> bytes:
    """One raw mutation: flip a few bytes, truncate, splice a slice elsewhere, or insert junk."""
    if not data:
        return bytes(rng.randrange(256) for _ in range(8))
    buf = bytearray(data)
    how = rng.randrange(5)
    if how == 0:
        for _ in range(rng.randint(1, 8)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
    elif how == 1:
        del buf[rng.randrange(len(buf)) :]
    elif how == 2:
        a = rng.randrange(len(buf))
        piece = buf[a : a + rng.randint(1, 200)]
        at = rng.randrange(len(buf))
        buf[at:at] = piece
    elif how == 3:
        at = rng.randrange(len(buf))
        buf[at:at] = bytes(rng.choice(b"<>&\"'/=;:\x00\xff0123456789") for _ in range(rng.randint(1, 16)))
    else:
        a = rng.randrange(len(buf))
        del buf[a : a + rng.randint(1, 64)]
    return bytes(buf)


def _zip(data: bytes, rng: random.Random) -> bytes:
    """Damage one XML member (or drop one) and re-zip, so the damage reaches the XML parsers."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as src:
            members = [(info.filename, src.read(info)) for info in src.infolist()]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError, zlib.error):
        return _bytes(data, rng)
    xml = [i for i, (name, _) in enumerate(members) if name.endswith((".xml", ".rels"))]
    if not xml:
        return _bytes(data, rng)
    pick = rng.choice(xml)
    if rng.random() < 0.1:
        del members[pick]
    else:
        name, body = members[pick]
        members[pick] = (name, _bytes(body, rng))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, body in members:
            dst.writestr(name, body)
    return out.getvalue()


def _csv(data: bytes, rng: random.Random) -> bytes:
    how = rng.randrange(4)
    if how == 0:
        at = rng.randrange(len(data) + 1)
        return data[:at] + b'"' * rng.randint(1, 3) + data[at:]
    if how == 1:
        at = rng.randrange(len(data) + 1)
        return data[:at] + b"\x00" + data[at:]
    if how == 2:
        return data + b'\n"' + b"x" * (140 * 1024) + b'",1\n'
    return _bytes(data, rng)


def mutate(data: bytes, suffix: str, rng: random.Random) -> bytes:
    """One mutated copy of a file of the given type; one to three mutations stacked."""
    for _ in range(rng.randint(1, 3)):
        if suffix in (".docx", ".xlsx") and rng.random() < 0.7:
            data = _zip(data, rng)
        elif suffix == ".csv" and rng.random() < 0.5:
            data = _csv(data, rng)
        else:
            data = _bytes(data, rng)
    return data


def fuzz(samples: dict[str, bytes], seconds: float, seed: int, folder: Path) -> dict[str, Counter[str]]:
    """Mutate and load until the time is up; per type, a Counter of outcomes ('loaded', 'skipped',
    or 'escape:<ExceptionType>')."""
    rng = random.Random(seed)
    results: dict[str, Counter[str]] = {suffix: Counter() for suffix in samples}
    names = sorted(samples)
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        suffix = names[i % len(names)]
        i += 1
        path = folder / f"变异{i}{suffix}"
        path.write_bytes(mutate(samples[suffix], suffix, rng))
        try:
            load(path, f"kb/{path.name}", [])
            results[suffix]["loaded"] += 1
        except LoadError:
            results[suffix]["skipped"] += 1
        except Exception as exc:  # noqa: BLE001 - an escape is what we count
            results[suffix][f"escape:{type(exc).__name__}"] += 1
        path.unlink()
    return results


def kb_samples(kb: Path) -> dict[str, bytes]:
    """The first sample of each fuzzed type in the knowledge-base folder."""
    out: dict[str, bytes] = {}
    for suffix in (".docx", ".xlsx", ".pdf", ".csv"):
        found = sorted(kb.rglob(f"*{suffix}"))
        if found:
            out[suffix] = found[0].read_bytes()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Fuzz the loaders with mutated copies of the kb/ samples.")
    p.add_argument("--seconds", type=float, default=300.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--kb", type=Path, default=Path(__file__).resolve().parent.parent / "kb")
    args = p.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.CRITICAL)  # the loader logs every parser traceback; we count them
    samples = kb_samples(args.kb)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        results = fuzz(samples, args.seconds, args.seed, Path(tmp))
    elapsed = time.perf_counter() - started
    tried = sum(sum(c.values()) for c in results.values())
    escapes = sum(n for c in results.values() for k, n in c.items() if k.startswith("escape"))
    for suffix, counts in results.items():
        print(f"{suffix:6} tried {sum(counts.values()):6}  " + "  ".join(f"{k} {n}" for k, n in sorted(counts.items())))
    print(f"files tried {tried}, escapes {escapes}, {elapsed / max(tried, 1) * 1000:.1f} ms per file, seed {args.seed}")
    return 1 if escapes else 0


if __name__ == "__main__":
    sys.exit(main())
