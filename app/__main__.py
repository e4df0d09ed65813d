"""python -m app ask|search|eval — the command line over the same Assistant the UI uses."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from app.answer import Assistant
from app.errors import KBQAError
from app.present import to_markdown
from app.settings import from_env


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m app", description="经信知识助手命令行")
    sub = p.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="提问")
    ask.add_argument("question", nargs="?", help="问题")
    ask.add_argument("--jsonl", help="每行一个 {\"question\", \"id\"} 的文件，- 表示标准输入")
    ask.add_argument("--history", type=Path, help="对话历史 JSON 文件：[{\"role\", \"content\"}, ...]")
    search = sub.add_parser("search", help="只检索，不回答")
    search.add_argument("question", nargs="?")
    search.add_argument("--jsonl")
    search.add_argument("--top-k", type=int, default=None)
    search.add_argument("--kind", choices=["article", "policy", "indicator", "corpus"], action="append",
                        help="只检索这类文档（可重复）")
    search.add_argument("--year", help="只检索提到该年份的片段，例如 2025")
    ev = sub.add_parser("eval", help="评测：must 格式或 RGB 格式的问题集")
    ev.add_argument("questions", type=Path)
    ev.add_argument("--top-k", type=int, default=5, help="recall@k 的 k")
    sub.add_parser("hash-password", help="为登录配置生成 bcrypt 密码哈希（从标准输入读取密码）")
    for sp in (ask, search, ev):
        sp.add_argument("--index-dir", type=Path)
        sp.add_argument("--json", action="store_true", help="输出 JSON")
    return p


def _read_jsonl(name: str) -> Iterator[dict[str, Any]]:
    stream: TextIO = sys.stdin if name == "-" else open(name, encoding="utf-8")  # noqa: SIM115
    with stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                raise KBQAError(f"{name} 第{number}行不是有效的 JSON。") from None
            if not isinstance(row, dict) or not str(row.get("question", "")).strip():
                raise KBQAError(f"{name} 第{number}行缺少 question 字段。")
            yield row


def _history(path: Path | None) -> list[dict[str, str]]:
    if path is None:
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise KBQAError(f"无法读取对话历史 {path}：{exc}。应为 JSON 列表 [{{\"role\", \"content\"}}]。") from None
    if not isinstance(data, list) or not all(isinstance(m, dict) and "role" in m and "content" in m for m in data):
        raise KBQAError(f"对话历史 {path} 格式不对：应为 [{{\"role\": \"user\", \"content\": \"…\"}}, …]。")
    return data


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "hash-password":
        import getpass

        from app.auth import hash_password

        password = getpass.getpass("密码：") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
        if len(password) < 8:
            print("密码至少 8 个字符。", file=sys.stderr)
            return 2
        print(hash_password(password))
        return 0
    try:
        settings = from_env(**({"index_dir": args.index_dir} if args.index_dir else {}))
        assistant = Assistant(settings)
        if args.command == "eval":
            from app.evaluate import evaluate, render_report

            report = evaluate(assistant, args.questions, args.top_k)
            print(json.dumps(report, ensure_ascii=False, indent=1) if args.json else render_report(report))
            return 0
        if (args.question is None) == (args.jsonl is None):
            print("请给出一个问题，或用 --jsonl 给出问题文件（二者选一）。", file=sys.stderr)
            return 2
        if args.command == "ask":
            if not settings.llm_enabled and not args.json and args.jsonl is None:
                print("（当前为抽取式模式：未配置大模型，答案直接摘自知识库原文。）", file=sys.stderr)
            history = _history(args.history)
            if args.jsonl is not None:
                for row in _read_jsonl(args.jsonl):
                    answer = assistant.ask(str(row["question"]), history, str(row.get("id", "")))
                    print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
                return 0
            answer = assistant.ask(args.question, history)
            print(json.dumps(answer.to_json(), ensure_ascii=False, indent=1) if args.json else to_markdown(answer))
            return 0
        rows = _read_jsonl(args.jsonl) if args.jsonl is not None else iter([{"question": args.question, "id": ""}])
        for row in rows:
            hits = assistant.search(str(row["question"]), args.top_k, set(args.kind or ()), args.year or "")
            out = {
                "id": str(row.get("id", "")),
                "question": row["question"],
                "hits": [
                    {"rank": h.rank, "source": h.chunk.source, "title": h.chunk.title, "locator": h.chunk.locator,
                     "chunk_id": h.chunk.id, "text": h.chunk.text, "score": round(h.score, 5)}
                    for h in hits
                ],
            }
            if args.json or args.jsonl is not None:
                print(json.dumps(out, ensure_ascii=False, indent=None if args.jsonl else 1))
            else:
                for h in out["hits"]:
                    print(f"{h['rank']}. [{h['score']:.4f}] {h['title'] or h['source']}（{h['locator']}）{h['text'][:80]}")
        return 0
    except KBQAError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
