"""python -m ingest [PATH ...] [--index-dir DIR] [--rebuild] [--json]

Exit codes: 0 every file read, 1 some files skipped, 2 usage error (bad path, setting or index folder),
3 another ingest holds the index, 4 crashed (a bug: the message says so, the log has the traceback).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from app.errors import KBQAError
from app.index_files import IndexBusyError
from app.settings import from_env
from ingest.index import Summary, kb_roots, outside_roots, run_ingest

OK, SKIPPED, USAGE, BUSY, CRASHED = 0, 1, 2, 3, 4
logger = logging.getLogger("ingest")


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
        return USAGE
    paths = args.paths or [settings.kb_dir]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"找不到路径：{'、'.join(missing)}。请检查拼写，或给出存在的文件/文件夹。", file=sys.stderr)
        return USAGE
    outside = outside_roots(paths, settings)
    if outside:
        print(
            f"{'、'.join(map(str, outside))} 不在知识库文件夹（{'、'.join(map(str, kb_roots(settings)))}）之内，拒绝编入："
            "同一文档只能有一个名称（相对知识库文件夹的路径）。请把文件放进知识库文件夹后再编入，"
            "或用环境变量 KBQA_KB_DIR 指定知识库文件夹。",
            file=sys.stderr,
        )
        return USAGE
    progress = on_page = None
    if sys.stderr.isatty() and not args.json:
        from tqdm import tqdm

        def progress(items):
            return tqdm(items, desc="读取文件", unit="个", file=sys.stderr)

        def on_page(message: str) -> None:
            tqdm.write(message, file=sys.stderr)  # a scanned page takes seconds: say which one

    try:
        summary = run_ingest(paths, settings, rebuild=args.rebuild, progress=progress, on_page=on_page)
    except IndexBusyError as exc:
        print(f"索引正忙：{exc}", file=sys.stderr)
        return BUSY
    except KBQAError as exc:
        print(f"索引失败：{exc}", file=sys.stderr)
        return USAGE
    except Exception as exc:  # the run-level last resort: a Chinese message and exit 4, not a traceback
        logger.exception("python -m ingest 异常中止")
        print(
            f"建索引异常中止（{type(exc).__name__}：{exc}）。旧索引仍然可用；请重新运行 python -m ingest，"
            "若仍出错，请把上方日志中的错误信息交给维护人员。",
            file=sys.stderr,
        )
        return CRASHED
    print(json.dumps(summary.to_json(), ensure_ascii=False) if args.json else render(summary))
    return SKIPPED if summary.files_skipped else OK


if __name__ == "__main__":
    sys.exit(main())
