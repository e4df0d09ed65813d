"""A question asking when a document was issued is answered by the date its signature or its 发布日期 line
states (app/issued.py), not by a date its text speaks of: real files, real jieba, real Chroma in tmp_path."""

from __future__ import annotations

from pathlib import Path

from app.answer import Assistant
from app.issued import cn_date
from app.settings import Settings
from ingest.index import run_ingest

RULE = """# 县农产品电商奖励办法（测试）

县商〔2026〕3号

第一条 为扶持农产品网上销售，制定本办法。

第二条 年网络销售额超过500万元的合作社，给予一次性奖励10万元。

第三条 本办法自2026年6月1日起施行，申报材料于每年9月30日前报送。

县商务局

2026年5月12日
"""


def test_the_issue_date_is_the_signature_date(tmp_path: Path, settings: Settings) -> None:
    kb = tmp_path / "kb"
    (kb / "policies").mkdir(parents=True)
    (kb / "policies" / "农产品电商奖励办法.md").write_text(RULE, encoding="utf-8")
    run_ingest([kb], settings)
    assistant = Assistant(settings)
    answer = assistant.ask("县农产品电商奖励办法是哪天印发的？")
    assert answer.answerable and "2026年5月12日" in answer.answer
    assert "6月1日" not in answer.answer and "2026年5月12日" in answer.citations[0].quote
    # a date the text speaks of is asked by other words and answered from the text
    assert "6月1日" in assistant.ask("县农产品电商奖励办法从哪天开始施行？").answer


NEWS = """# 县首台丘陵茶园采摘机亮相（测试）

发布日期：2026年4月3日

县农机合作社研制的丘陵茶园采摘机于2026年3月28日在春季农机展上发布，每小时可采鲜叶六十公斤。
"""


def test_a_launch_date_is_no_issue_date(tmp_path: Path, settings: Settings) -> None:
    # '发布时间' of a machine: the question names no document of the article's kind, so the text answers
    kb = tmp_path / "kb"
    (kb / "articles").mkdir(parents=True)
    (kb / "articles" / "采摘机亮相.md").write_text(NEWS, encoding="utf-8")
    run_ingest([kb], settings)
    answer = Assistant(settings).ask("丘陵茶园采摘机的发布时间是哪天？")
    assert not answer.answer.startswith("《") and "2026年4月3日" not in answer.answer


def test_cn_date() -> None:
    assert cn_date("2026-05-02") == "2026年5月2日"
    assert cn_date("") == "" and cn_date("2026-05") == ""
