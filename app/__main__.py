"""python -m app ask|search|eval — the command line over the same Assistant the UI uses."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from app.answer import Assistant, check_history, check_question
from app.errors import KBQAError
from app.present import to_markdown
from app.settings import from_env
from app.status import IN_FORCE, of_store, only_in_force, status_label


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
    search.add_argument("--in-force", action="store_true", help="只保留现行有效的文件（去掉已废止、已过有效期的政策文件）")
    ev = sub.add_parser("eval", help="评测：must 格式或 RGB 格式的问题集")
    ev.add_argument("questions", type=Path)
    ev.add_argument("--top-k", type=int, default=5, help="recall@k 的 k")
    sub.add_parser("hash-password", help="为登录配置生成 bcrypt 密码哈希（从标准输入读取密码）")
    serve = sub.add_parser("serve", help="启动 OpenAI 兼容的 HTTP 接口（/v1/chat/completions、/v1/search）")
    serve.add_argument("--host", default="127.0.0.1", help="监听地址（默认只限本机；其他地址须设置 KBQA_API_KEY）")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--index-dir", type=Path)
    for sp in (ask, search, ev):
        sp.add_argument("--index-dir", type=Path)
        sp.add_argument("--json", action="store_true", help="输出 JSON")
    return p


MAX_LINE_BYTES = 64 * 1024  # a question line holds one bounded question and its id; more is not a question
MAX_HISTORY_BYTES = 2 * 1024 * 1024


def _decode(raw: bytes | str, where: str) -> str:
    """Text of one input, strictly UTF-8 (a BOM is dropped): bytes in another encoding get a message, never
    a traceback or characters that cannot be printed back."""
    if isinstance(raw, str):  # a text stream handed in by a caller (tests pass io.StringIO)
        raw = raw.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise KBQAError(f"{where}不是 UTF-8 编码（可能是 GBK）：请先转换为 UTF-8，例如 iconv -f GBK -t UTF-8。") from None


def _read_jsonl(name: str) -> Iterator[dict[str, Any]]:
    """Rows of a question file, each checked like a typed question; the first bad line stops the run."""
    try:
        stream: BinaryIO | TextIO = getattr(sys.stdin, "buffer", sys.stdin) if name == "-" else open(name, "rb")  # noqa: SIM115
    except OSError as exc:
        raise KBQAError(f"无法读取问题文件 {name}：{exc.strerror}。") from None
    name = "标准输入" if name == "-" else name
    with stream:
        lines: Iterator[bytes | str] = iter(stream)
        for number, raw in enumerate(lines, start=1):
            if len(raw) > MAX_LINE_BYTES:
                raise KBQAError(f"{name} 第{number}行超过 {MAX_LINE_BYTES // 1024} KB，不像一个问题：每行应为一个 {{\"question\", \"id\"}}。")
            line = _decode(raw, f"{name} 第{number}行")
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except (json.JSONDecodeError, RecursionError):
                raise KBQAError(f"{name} 第{number}行不是有效的 JSON。") from None
            if not isinstance(row, dict):
                raise KBQAError(f"{name} 第{number}行应为 JSON 对象 {{\"question\": \"…\", \"id\": \"…\"}}，收到的是 {type(row).__name__}。")
            if "question" not in row:
                raise KBQAError(f"{name} 第{number}行缺少 question 字段。")
            if problem := check_question(row["question"]):
                raise KBQAError(f"{name} 第{number}行：{problem}")
            yield row


def _history(path: Path | None) -> list[dict[str, str]]:
    if path is None:
        return []
    try:
        if path.stat().st_size > MAX_HISTORY_BYTES:
            raise KBQAError(f"对话历史 {path} 超过 {MAX_HISTORY_BYTES // 1024 // 1024} MB：只需保留最近几轮对话。")
        data = json.loads(_decode(path.read_bytes(), f"对话历史 {path} "))
    except (OSError, json.JSONDecodeError, RecursionError) as exc:
        raise KBQAError(f"无法读取对话历史 {path}：{exc}。应为 JSON 列表 [{{\"role\", \"content\"}}]。") from None
    if problem := check_history(data):
        raise KBQAError(f"对话历史 {path} 格式不对：{problem}")
    return list(data)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "hash-password":
        import getpass

        from app.auth import hash_password

        try:
            if sys.stdin.isatty():
                password = getpass.getpass("密码：")
            else:
                password = _decode(getattr(sys.stdin, "buffer", sys.stdin).readline(), "密码").rstrip("\r\n")
        except KBQAError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 2
        if len(password) < 8:
            print("密码至少 8 个字符。", file=sys.stderr)
            return 2
        print(hash_password(password))
        return 0
    try:
        settings = from_env(**({"index_dir": args.index_dir} if args.index_dir else {}))
        if args.command == "serve":
            from app.api import serve

            return serve(settings, args.host, args.port)
        assistant = Assistant(settings)
        if args.command == "eval":
            from app.evaluate import evaluate, render_report

            report = evaluate(assistant, args.questions, args.top_k)
            print(json.dumps(report, ensure_ascii=False, indent=1) if args.json else render_report(report))
            return 0
        if (args.question is None) == (args.jsonl is None):
            print("请给出一个问题，或用 --jsonl 给出问题文件（二者选一）。", file=sys.stderr)
            return 2
        if args.question is not None and (problem := check_question(args.question)):
            print(f"错误：{problem}", file=sys.stderr)
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
            k = args.top_k or settings.top_k
            hits = assistant.search(str(row["question"]), k * 4 if args.in_force else k, set(args.kind or ()), args.year or "")
            known = of_store(assistant.store, settings.question_date())
            if args.in_force:
                hits = only_in_force(hits, known)[:k]
            out = {
                "id": str(row.get("id", "")),
                "question": row["question"],
                "hits": [
                    {"rank": h.rank, "source": h.chunk.source, "title": h.chunk.title, "locator": h.chunk.locator,
                     "chunk_id": h.chunk.id, "text": h.chunk.text, "score": round(h.score, 5),
                     "status": status_label(known, h.chunk.source)}
                    for h in hits
                ],
            }
            if args.json or args.jsonl is not None:
                print(json.dumps(out, ensure_ascii=False, indent=None if args.jsonl else 1))
            else:
                for h in out["hits"]:
                    mark = f"【{h['status']}】" if h["status"] and h["status"] != IN_FORCE else ""
                    print(f"{h['rank']}. [{h['score']:.4f}] {mark}{h['title'] or h['source']}（{h['locator']}）{h['text'][:80]}")
        return 0
    except KBQAError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
