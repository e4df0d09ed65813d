"""`python -m app` commands: output contracts and exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.__main__ import main
from app.errors import KBQAError
from app.prompts import PROMPTS_DIR, placeholders, render
from app.settings import Settings
from ingest.index import run_ingest
from tests.conftest import ROOT


@pytest.fixture
def index(tiny_kb: Path, settings: Settings) -> str:
    run_ingest([tiny_kb], settings)
    return str(settings.index_dir)


def test_ask_json(index: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "2025年人工智能产业规上营收是多少", "--index-dir", index, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "143.79亿元" in data["answer"] and data["citations"][0]["quote"]


def test_ask_plain_says_extractive_mode(index: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "2025年人工智能产业规上营收是多少", "--index-dir", index]) == 0
    out = capsys.readouterr()
    assert "来源：" in out.out and "抽取式" in out.err


def test_ask_jsonl_keeps_order_and_ids(index: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "a", "question": "经信局局长是谁？"}\n{"id": "b", "question": "2025年平湖市GDP是多少？"}\n',
                         encoding="utf-8")
    assert main(["ask", "--jsonl", str(questions), "--index-dir", index]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"] and rows[0]["answerable"] and not rows[1]["answerable"]


def test_ask_jsonl_from_stdin(index: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"question": "经信局局长是谁？"}\n'))
    assert main(["ask", "--jsonl", "-", "--index-dir", index]) == 0
    assert "李明远" in json.loads(capsys.readouterr().out)["answer"]


def test_ask_with_history_file(index: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = tmp_path / "h.json"
    history.write_text(json.dumps([{"role": "user", "content": "2025年人工智能产业规上营收是多少"},
                                   {"role": "assistant", "content": "143.79亿元"}], ensure_ascii=False), encoding="utf-8")
    assert main(["ask", "同比增长多少？", "--history", str(history), "--index-dir", index, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "45.30%" in data["answer"] and data["rewritten"] == "2025年人工智能产业同比增长多少？"


def test_search_json_and_jsonl(index: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "人工智能 规上营收", "--top-k", "3", "--index-dir", index, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["hits"]) == 3 and set(data["hits"][0]) == {"rank", "source", "title", "locator", "chunk_id", "text", "score", "status"}
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "x", "question": "局长"}\n', encoding="utf-8")
    assert main(["search", "--jsonl", str(questions), "--index-dir", index]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "x"


def test_search_filters_by_kind_and_year(index: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "人工智能 营收", "--kind", "indicator", "--index-dir", index, "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert hits and all(h["source"].endswith(".xlsx") for h in hits)
    assert main(["search", "人工智能 规上营收 工作", "--year", "2026", "--top-k", "10", "--index-dir", index, "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert any(h["source"].endswith("2026年计划.md") for h in hits)
    assert not any("143.79" in h["text"] for h in hits)  # that chunk speaks of 2025 only


def test_eval_both_formats(index: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        '{"id": "1", "question": "2025年人工智能产业规上营收是多少", "must": ["143.79亿元"], "type": "numeric"}\n'
        '{"id": "2", "question": "2025年平湖市GDP是多少？", "must": [], "type": "unanswerable"}\n'
        '{"id": "3", "question": "经信局局长是谁", "answer_parts": [["李明远"]], "doc_groups": [["nope"]], "type": "entity"}\n',
        encoding="utf-8",
    )
    assert main(["eval", str(gold), "--index-dir", index, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["overall"]["answer_accuracy"] == 1.0 and report["by_type"]["entity"]["recall@5"] == 0.0
    # the gold list names no real document, yet the answer is in the passages found: answer recall says so
    assert report["by_type"]["entity"]["answer_recall@5"] == 1.0 and report["by_type"]["numeric"]["answer_recall@5"] == 1.0
    assert report["by_type"]["unanswerable"]["answer_recall@5"] is None
    assert report["latency_ms"]["p95"] is not None


def test_exit_codes(index: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--index-dir", index]) == 2
    assert main(["ask", "x", "--index-dir", str(tmp_path / "missing")]) == 2
    assert "索引不存在" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    assert main(["ask", "--jsonl", str(bad), "--index-dir", index]) == 2
    assert "不是有效的 JSON" in capsys.readouterr().err
    assert main(["ask", "x", "--history", str(bad), "--index-dir", index]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2


def test_every_prompt_template_renders() -> None:
    for path in PROMPTS_DIR.glob("*.md"):
        values = {name: f"<{name}>" for name in placeholders(path.stem)}
        text = render(path.stem, **values)
        assert all(v in text for v in values.values())
    with pytest.raises(Exception, match="占位符不匹配"):
        render("condense", history="h")


# ---------------------------------------------------------------- every input bounded and decoded safely

GBK = "局长是谁".encode("gbk")  # b'\xbe\xd6\xb3\xa4...': not UTF-8


def no_traceback(err: str) -> None:
    assert "Traceback" not in err and ("\n错误：" in err or err.startswith("错误：")), err


def test_a_question_in_gbk_bytes_or_with_a_lone_surrogate_gets_a_message(index: str, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    argv_gbk = GBK.decode("utf-8", "surrogateescape")  # what Python makes of GBK bytes in argv
    for command in ("ask", "search"):
        assert main([command, argv_gbk, "--index-dir", index]) == 2
        err = capsys.readouterr().err
        no_traceback(err)
        assert "UTF-8" in err
    lone = tmp_path / "lone.jsonl"
    lone.write_text('{"id": "1", "question": "\\ud800局长是谁"}\n', encoding="utf-8")  # valid JSON, lone surrogate
    assert main(["ask", "--jsonl", str(lone), "--index-dir", index]) == 2
    assert "第1行" in capsys.readouterr().err


def test_gbk_files_and_stdin_get_a_message(index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_bytes('{"question": "局长是谁"}\n'.encode("gbk"))
    assert main(["ask", "--jsonl", str(questions), "--index-dir", index]) == 2
    assert "不是 UTF-8 编码" in capsys.readouterr().err
    history = tmp_path / "h.json"
    history.write_bytes('[{"role": "user", "content": "局长是谁"}]'.encode("gbk"))
    assert main(["ask", "那副局长呢？", "--history", str(history), "--index-dir", index]) == 2
    assert "不是 UTF-8 编码" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO('{"question": "局长是谁"}\n'.encode("gbk"))))
    assert main(["ask", "--jsonl", "-", "--index-dir", index]) == 2
    assert "标准输入 第1行不是 UTF-8 编码" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("密码密码密码密码\n".encode("gbk"))))
    assert main(["hash-password"]) == 2
    assert "不是 UTF-8 编码" in capsys.readouterr().err


def test_json_lines_that_are_not_objects_or_questions_get_a_message(index: str, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    cases = {'[1, 2]\n': "应为 JSON 对象", '"局长是谁"\n': "应为 JSON 对象", '{"question": 3}\n': "应为文字",
             '{"question": ["局长"]}\n': "应为文字", '{"id": "1"}\n': "缺少 question"}
    for line, message in cases.items():
        rows = tmp_path / "rows.jsonl"
        rows.write_text(line, encoding="utf-8")
        for command in (["ask", "--jsonl"], ["search", "--jsonl"]):
            assert main([*command, str(rows), "--index-dir", index]) == 2, line
            err = capsys.readouterr().err
            assert message in err and "Traceback" not in err, (line, err)
    rows.write_text('{"question": "局长是谁", "must": ["李明远"]}\n[1, 2]\n', encoding="utf-8")
    assert main(["eval", str(rows), "--index-dir", index]) == 2  # before: AttributeError on the list
    assert "第2行" in capsys.readouterr().err


def test_history_content_must_be_bounded_text(index: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = [
        ([{"role": "user", "content": 123}], "content 应为文字"),
        ([{"role": "user", "content": ["局长"]}], "content 应为文字"),
        ([{"role": "user", "content": "问" * 501}], "太长"),
        ([{"role": "assistant", "content": "答" * 5001}], "太长"),
        ([{"role": "system", "content": "局长"}], "user"),
        ({"role": "user", "content": "局长"}, "应为列表"),
    ]
    for data, message in cases:
        history = tmp_path / "h.json"
        history.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        assert main(["ask", "那副局长呢？", "--history", str(history), "--index-dir", index]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (data, err)


def test_long_questions_are_refused_at_every_entry(index: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: 200k characters took 119 s in the CLI (the work grows faster than the length)."""
    long = "人工智能产业规上营收" * 20_000
    assert main(["ask", long, "--index-dir", index]) == 2
    assert "问题太长（200000 字）" in capsys.readouterr().err
    assert main(["search", long, "--index-dir", index]) == 2
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"question": "问" * 600}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["ask", "--jsonl", str(rows), "--index-dir", index]) == 2
    assert "第1行：问题太长（600 字）" in capsys.readouterr().err


def test_the_assistant_bounds_history_and_the_rewritten_follow_up(index: str, settings: Settings) -> None:
    """The API the UI calls: the question, every history entry and the rewritten follow-up are bounded."""
    from app.answer import MAX_QUESTION_CHARS, Assistant
    from app.followup import rewrite

    assistant = Assistant(settings)
    assert not assistant.ask("局长是谁", [{"role": "user", "content": "问" * 501}]).answerable
    refused = assistant.ask(GBK.decode("utf-8", "surrogateescape"))
    assert not refused.answerable and "UTF-8" in refused.answer and json.dumps(refused.to_json(), ensure_ascii=False).encode()
    previous = "2025年" + "人工智能与数控机床产业" * 44 + "产值"
    follow_up = "那么它的营业收入同比增长率和利润总额同比增长率分别是多少？"
    history = [{"role": "user", "content": previous}]
    answer = assistant.ask(follow_up, history)
    assert len(answer.rewritten) <= MAX_QUESTION_CHARS  # never answered from a longer question
    if len(rewrite(follow_up, history, settings.question_date())) > MAX_QUESTION_CHARS:
        assert not answer.answerable and "追问与上文合起来" in answer.answer
    with pytest.raises(KBQAError, match="问题太长"):
        assistant.search("问" * 501)


def test_bytes_in_argv_end_without_a_traceback(index: str) -> None:
    """The real process: GBK bytes on the command line, as a shell passes them."""
    done = subprocess.run([sys.executable, "-m", "app", "ask", GBK, "--index-dir", index.encode()],
                          capture_output=True, cwd=ROOT, timeout=120)
    err = done.stderr.decode("utf-8")
    assert done.returncode == 2 and "Traceback" not in err and "UTF-8" in err
