"""Which policy is in force: fields detected at ingest, repeal links, status by the question's date,
ranking, the answer's note, `search --in-force` and the knowledge-base page."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from app.__main__ import main
from app.answer import Assistant
from app.library import documents
from app.settings import Settings
from app.status import EXPIRED, IN_FORCE, NOT_YET, REPEALED, statuses
from ingest.index import run_ingest
from ingest.policy import detect
from tests.conftest import QUESTION_DATE, ROOT

OLD = """# 平湖市小微企业数字化改造奖励办法（2022年，测试）

平经信〔2022〕7号

第一条 为推动小微企业上云用数，制定本办法。

第二条 小微企业完成数字化改造并通过验收的，按改造投入的10%给予奖励，每家最高30万元。

第三条 本办法自2022年5月1日起施行，有效期五年。

平湖市经济和信息化局

2022年4月18日
"""

NEW = """# 平湖市小微企业数字化改造奖励办法（2026年修订，测试）

平经信〔2025〕31号

第一条 为推动小微企业上云用数，修订本办法。

第二条 小微企业完成数字化改造并通过验收的，按改造投入的20%给予奖励，每家最高30万元。

第三条 本办法自2026年1月1日起施行，有效期至2028年12月31日。原《平湖市小微企业数字化改造奖励办法》（平经信〔2022〕7号）同时废止。

平湖市经济和信息化局

2025年12月8日
"""

ARTICLE = "# 2025年企业服务回顾\n\n发布日期：2026-01-20\n\n全年走访企业1200家次，帮助解决问题300余个。\n"
OLD_SOURCE = "kb/policies/旧办法.md"
NEW_SOURCE = "kb/policies/新办法.md"


@pytest.fixture
def pair_kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    (root / "policies").mkdir(parents=True)
    (root / "articles").mkdir()
    (root / "policies" / "旧办法.md").write_text(OLD, encoding="utf-8")
    (root / "policies" / "新办法.md").write_text(NEW, encoding="utf-8")
    (root / "articles" / "回顾.md").write_text(ARTICLE, encoding="utf-8")
    return root


@pytest.fixture
def assistant(pair_kb: Path, settings: Settings) -> Assistant:
    run_ingest([pair_kb], settings)
    return Assistant(settings)


def test_detect_reads_docno_issuer_dates_validity_and_repeals() -> None:
    new = detect(NEW, "平湖市小微企业数字化改造奖励办法（2026年修订，测试）")
    assert new == {
        "docno": "平经信〔2025〕31号",
        "issuer": "平湖市经济和信息化局",
        "issued": "2025-12-08",
        "effective_from": "2026-01-01",
        "valid_until": "2028-12-31",
        "repeals": [{"title": "平湖市小微企业数字化改造奖励办法", "docno": "平经信〔2022〕7号", "on": "2026-01-01"}],
    }
    old = detect(OLD)
    assert (old["docno"], old["effective_from"], old["valid_until"]) == ("平经信〔2022〕7号", "2022-05-01", "2027-04-30")
    assert "repeals" not in old
    other = detect(
        "嘉经信发〔2024〕3号\n本细则自印发之日起施行，有效期为两年。《某某暂行规定》自2024年6月1日起废止。\n"
        "嘉兴市经济和信息化局\n二〇二四年五月二十日"
    )
    assert other["issued"] == other["effective_from"] == "2024-05-20" and other["valid_until"] == "2026-05-19"
    assert other["repeals"] == [{"title": "某某暂行规定", "docno": "", "on": "2024-06-01"}]
    assert detect("2025年全市工业经济运行平稳，规上工业增加值增长7.5%。") == {}


def test_status_follows_the_question_date(assistant: Assistant) -> None:
    files = assistant.store.manifest["files"]
    assert files[NEW_SOURCE]["policy"]["repeals"][0]["docno"] == "平经信〔2022〕7号"
    now = statuses(files, QUESTION_DATE)
    assert (now[OLD_SOURCE].label, now[OLD_SOURCE].since, now[OLD_SOURCE].successor) == (REPEALED, "2026-01-01", NEW_SOURCE)
    assert now[NEW_SOURCE].label == IN_FORCE and "kb/articles/回顾.md" not in now
    before = statuses(files, dt.date(2025, 12, 20))  # the new one is issued, not yet in force
    assert (before[OLD_SOURCE].label, before[NEW_SOURCE].label) == (IN_FORCE, NOT_YET)
    later = statuses(files, dt.date(2029, 1, 1))
    assert (later[OLD_SOURCE].label, later[NEW_SOURCE].label) == (REPEALED, EXPIRED)
    alone = statuses({OLD_SOURCE: files[OLD_SOURCE]}, QUESTION_DATE)  # successor deleted: the old one stands
    assert alone[OLD_SOURCE].label == IN_FORCE


def test_rule_is_answered_from_the_document_in_force(assistant: Assistant) -> None:
    answer = assistant.ask("小微企业完成数字化改造后按改造投入的多少比例给予奖励？")
    assert answer.answerable and "20%" in answer.answer and "10%" not in answer.answer
    assert answer.citations[0].source == NEW_SOURCE
    assert not answer.notice
    hits = assistant.search("小微企业数字化改造奖励比例", top_k=10)
    sources = [h.chunk.source for h in hits]
    assert sources.index(NEW_SOURCE) < sources.index(OLD_SOURCE)  # the repealed one ranks below its successor


@pytest.mark.parametrize("question", ["平经信〔2022〕7号规定的奖励比例是多少？", "2022年的小微企业数字化改造奖励办法规定按多少比例奖励？"])
def test_question_naming_the_old_document_carries_the_repeal_note(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert answer.notice == (
        "注意：《平湖市小微企业数字化改造奖励办法（2022年，测试）》已于2026年1月1日废止，"
        "现行为《平湖市小微企业数字化改造奖励办法（2026年修订，测试）》。"
    )
    assert answer.to_json()["notice"] == answer.notice


def test_old_document_named_by_its_year_and_the_tail_of_its_name(assistant: Assistant) -> None:
    # '小微企业' left out of the name: the year it was issued and the rest of the name still name the old one
    answer = assistant.ask("2022年版数字化改造奖励办法规定按多少比例奖励？")
    assert answer.answerable and "10%" in answer.answer and answer.citations[0].source == OLD_SOURCE
    assert answer.notice.startswith("注意：《平湖市小微企业数字化改造奖励办法（2022年，测试）》已于")


def test_search_shows_status_and_in_force_hides_the_old_one(
    assistant: Assistant, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KBQA_REFERENCE_DATE", QUESTION_DATE.isoformat())
    index = str(settings.index_dir)
    assert main(["search", "小微企业数字化改造奖励办法", "--index-dir", index, "--json", "--top-k", "10"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    status = {h["source"]: h["status"] for h in hits}
    assert status[OLD_SOURCE] == REPEALED and status[NEW_SOURCE] == IN_FORCE
    assert main(["search", "小微企业数字化改造奖励办法", "--index-dir", index, "--json", "--top-k", "10", "--in-force"]) == 0
    kept = json.loads(capsys.readouterr().out)["hits"]
    assert kept and OLD_SOURCE not in {h["source"] for h in kept}
    assert [h["rank"] for h in kept] == list(range(1, len(kept) + 1))


def test_knowledge_base_page_shows_the_status(
    assistant: Assistant, pair_kb: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = {r["文件"]: r for r in documents(assistant.store)}
    assert (rows[OLD_SOURCE]["状态"], rows[NEW_SOURCE]["状态"], rows["kb/articles/回顾.md"]["状态"]) == (REPEALED, IN_FORCE, "")
    assert rows[OLD_SOURCE]["施行/有效期"] == "自2022年5月1日起施行；有效期至2027年4月30日"  # 有效期五年, counted
    from streamlit.testing.v1 import AppTest

    for key in ("KBQA_LLM_MODEL", "OPENAI_API_KEY", "KBQA_AUTH_CONFIG", "KBQA_CHAT_REQUIRES_LOGIN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("KBQA_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("KBQA_KB_DIR", str(pair_kb))
    monkeypatch.setenv("KBQA_REFERENCE_DATE", QUESTION_DATE.isoformat())
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60).run()
    at.sidebar.radio[0].set_value("知识库管理").run()
    assert not at.exception
    table = at.dataframe[0].value
    shown = dict(zip(table["文件"], table["状态"], strict=True))
    assert shown[OLD_SOURCE] == REPEALED and shown[NEW_SOURCE] == IN_FORCE


@pytest.mark.network
def test_llm_answers_carry_the_note_too(assistant: Assistant, settings: Settings) -> None:
    from dataclasses import replace

    from app.schema import Answer
    from tests.fake_openai import Behaviour, FakeOpenAI

    fake = FakeOpenAI().start()
    try:
        fake.behaviour = Behaviour(reply="按改造投入的10%给予奖励[1]。")
        llm = Assistant(replace(settings, llm_model="fake-model", llm_api_key="sk-test", llm_base_url=fake.base_url,
                                llm_timeout_s=5.0, llm_max_retries=1))
        question = "平经信〔2022〕7号规定的奖励比例是多少？"
        asked = llm.ask(question)
        streamed = [p for p in llm.stream(question) if isinstance(p, Answer)][-1]
    finally:
        fake.stop()
    for answer in (asked, streamed):
        assert "已于2026年1月1日废止" in answer.notice and "现行为《平湖市小微企业数字化改造奖励办法（2026年修订，测试）》" in answer.notice
