"""python -m ingest [PATH ...] [--index-dir DIR] [--rebuild] [--json]"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.errors import KBQAError
from app.settings import from_env
from ingest.index import Summary, run_ingest


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ingest", description="把文件夹中的文档编入知识库索引（增量、可中断）。")
    p.add_argument("paths", nargs="*", type=Path, help="文件或文件夹（默认：kb/）")
    p.add_argument("--index-dir", type=Path, help="索引目录（默认：KBQA_INDEX_DIR 或 .kbqa/index）")
    p.add_argument("--rebuild", action="store_true", help="清空索引后重建")
    p.add_argument("--json", action="store_true", help="以一个 JSON 对象输出摘要")
    return p


def render(summary: Summary) -> str:
    lines = [
        f"读取文件 {summary.files_read} 个，跳过 {summary.files_skipped} 个；"
        f"新增片段 {summary.chunks_added}，删除 {summary.chunks_removed}，未变 {summary.chunks_unchanged}；"
        f"用时 {summary.seconds:.1f} 秒。"
    ]
    lines += [f"  跳过 {s['path']}：{s['reason']}" for s in summary.skipped]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = from_env(**({"index_dir": args.index_dir} if args.index_dir else {}))
    except KBQAError as exc:
        print(f"配置错误：{exc}", file=sys.stderr)
        return 2
    paths = args.paths or [settings.kb_dir]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"找不到路径：{'、'.join(missing)}。请检查拼写，或给出存在的文件/文件夹。", file=sys.stderr)
        return 2
    progress = None
    if sys.stderr.isatty() and not args.json:
        from tqdm import tqdm

        def progress(items):
            return tqdm(items, desc="读取文件", unit="个", file=sys.stderr)

    try:
        summary = run_ingest(paths, settings, rebuild=args.rebuild, progress=progress)
    except KBQAError as exc:
        print(f"索引失败：{exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary.to_json(), ensure_ascii=False) if args.json else render(summary))
    return 1 if summary.files_skipped else 0


if __name__ == "__main__":
    sys.exit(main())
