"""Question splitting and hit order: a question about two things asks for each; copies of one story
wait behind distinct hits (real jieba, real Chroma in a tmp dir)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from app.answer import Assistant
from app.asked import Asked
from app.extract import trim
from app.facets import sub_questions
from app.query import analyze
from app.retrieve import fuse, top_scores, weighted_bm25
from app.settings import Settings
from app.terms import term_weights
from ingest.index import run_ingest
from tests.conftest import index_rows


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("2025年人工智能和集成电路产业营收分别是多少", ["2025年人工智能产业营收是多少", "2025年集成电路产业营收是多少"]),
        ("2024年和2025年规上工业增加值是多少", ["2024年规上工业增加值是多少", "2025年规上工业增加值是多少"]),
        ("2024和2025年全市工业投资", ["2024年全市工业投资", "2025年全市工业投资"]),
        ("规上工业增加值和利润分别增长多少", ["规上工业增加值增长多少", "规上工业利润增长多少"]),
        ("平湖农博会和嘉兴车展开幕时间", ["平湖农博会开幕时间", "嘉兴车展开幕时间"]),
        ("嘉兴市运会和残运会的开幕日期", ["嘉兴市运会的开幕日期", "嘉兴残运会的开幕日期"]),
        ("有多少家企业和机构参加了平湖农博会和嘉兴车展", ["有多少家企业和机构参加了平湖农博会", "有多少家企业和机构参加了嘉兴车展"]),
        ("女子单人皮划艇和男子单人皮划艇冠军是谁", ["女子单人皮划艇冠军是谁", "男子单人皮划艇冠军是谁"]),
        ("PHDX2024和2025的举办地", ["PHDX2024的举办地", "PHDX2025的举办地"]),
        ("陆春林和闫博文到访时间", ["陆春林到访时间", "闫博文到访时间"]),  # jieba cuts 陆 / 春 / 林 and 闫 / 博文: still two names
        ("2025年人工智能和数字经济核心产业营收", ["2025年人工智能核心产业营收", "2025年数字经济核心产业营收"]),
        ("男女比例是多少", []),
        ("2025年人工智能产业规上营收是多少", []),
        ("各产业规上营收分别是多少", []),
    ],
)
def test_sub_questions(question: str, parts: list[str]) -> None:
    assert sub_questions(question) == parts


def test_copies_of_one_story_wait_behind_distinct_hits(tmp_path: Path, settings: Settings) -> None:
    story = "新华社嘉兴1月5日电 平湖市紫藤湾智能装备产业园去年完成规上营收88.8亿元，同比增长21.5%，园区新增专精特新企业6家。"
    rows = [
        {"id": "copy1", "title": "", "text": story},
        {"id": "copy2", "title": "", "text": "Jan 5, 2026 ... " + story},
        {"id": "copy3", "title": "", "text": story + " 责任编辑：王敏"},
        {"id": "other", "title": "", "text": "紫藤湾智能装备产业园管委会介绍，园区规上营收主要来自数控机床和工业机器人整机制造。"},
        {"id": "noise", "title": "", "text": "钟埭街道纺织服装产业规上营收增长3.2%。"},
    ]
    index_rows(tmp_path / "news.jsonl", rows, settings)
    hits = Assistant(settings).search("紫藤湾智能装备产业园规上营收", 3)
    ids = [h.chunk.source.split("#")[-1] for h in hits]
    assert "other" in ids[:2] and sum(i.startswith("copy") for i in ids[:2]) == 1  # one copy, then the distinct hit
    assert ids[2] == "noise"  # a weaker but distinct hit still comes before the other two copies
    assert [h.rank for h in hits] == [1, 2, 3]


def test_answer_never_exceeds_200_characters(tmp_path: Path, settings: Settings) -> None:
    """Two long comma-less sentences that both carry the asked figure are cut to fill the budget to the
    last character: the [n] markers, the joiner and the closing 。 must fit in the 200 too."""
    filler = "园区围绕数控机床与工业机器人与智能传感器与工业软件四条赛道持续招引链主企业并配套建设中试基地与人才公寓" * 3
    rows = [
        {"id": "a", "title": "", "text": f"紫藤湾智能装备产业园2025年规上营收88.8亿元{filler}。"},
        {"id": "b", "title": "", "text": f"据园区管委会统计紫藤湾智能装备产业园2025年规上营收88.8亿元{filler}。"},
        {"id": "c", "title": "", "text": f"钟埭街道2025年规上营收66.6亿元{filler}。"},
    ]
    index_rows(tmp_path / "park.jsonl", rows, settings)
    assistant = Assistant(settings)
    for question, figures in (
        ("紫藤湾智能装备产业园2025年规上营收是多少", ["88.8亿元"]),
        ("紫藤湾智能装备产业园和钟埭街道2025年规上营收分别是多少", ["88.8亿元", "66.6亿元"]),
    ):
        answer = assistant.ask(question)
        assert answer.answerable and all(f in answer.answer for f in figures), answer.answer
        assert len(answer.answer) <= 200, (len(answer.answer), answer.answer)
        assert "。；" not in answer.answer and answer.answer.endswith("。"), answer.answer  # one sentence, parts joined by ；


def test_each_part_of_a_two_part_answer_speaks_of_its_own_subject(tmp_path: Path, settings: Settings) -> None:
    """'平湖和海盐工业分别增长了多少': a sentence about 海盐 that has the year, the metric and a figure must
    not answer the 平湖 part (before, it did, and the 平湖 figure never appeared)."""
    rows = [
        {"id": "hy", "title": "", "text": "数据显示，2025年海盐工业增长6.3%，为近五年来最快。"},
        {"id": "hy2", "title": "", "text": "2026年一季度海盐工业增长4.2%，较2025年6.3%的增速有所放缓，周边县市同样承压。"},
        {"id": "ph", "title": "", "text": "市统计局公布，平湖工业2025年稳中有进，全年增长7.5%，规上工业产值突破1900亿元。"},
    ]
    index_rows(tmp_path / "growth.jsonl", rows, settings)
    answer = Assistant(settings).ask("2025年平湖和海盐工业分别增长了多少？")
    first, second = answer.answer.split("；", 1)
    assert "7.5%" in first and "6.3%" in second, answer.answer
    assert answer.citations[0].source.endswith("#ph"), answer.citations


def test_trim_keeps_the_clause_with_the_asked_figure() -> None:
    """A long sentence whose asked words come first and whose figure comes three clauses later: the cut
    keeps the figure (before, it kept the opening clause with the asked words and lost the figure)."""
    sentence = "日前，平湖市发布2025年一季度工业运行数据，地区生产总值超过460亿元，工业增长率为6.9%，延续稳中向好态势，比上季度加快0.6个百分点。"
    piece = trim(sentence, ["2025", "一季度", "平湖", "工业", "增长率"], 40, Asked("numeric"))
    assert "6.9%" in piece and len(piece) <= 40, piece


def test_a_sentence_that_asks_is_no_answer(tmp_path: Path, settings: Settings) -> None:
    """A teaser that repeats every word of the question ('很多人想知道…用了什么芯片') loses to the sentence
    that names the thing, though that one says 'Hengye' instead of 恒业."""
    rows = [
        {"id": "teaser", "title": "", "text": "恒业HY7是恒业电子今年主推的工控主机，很多客户想要知道恒业HY7用了什么芯片，下面就给大家介绍一下。"},
        {"id": "spec", "title": "", "text": "Hengye HY 7采用国产飞腾D3000八核芯片，配备15.6英寸触控屏。"},
        {"id": "pad", "title": "", "text": "恒业电子同场发布了恒业巡检平板P5，售价3999元起。"},
        {"id": "box", "title": "", "text": "恒业工控机全年出货量继续位居省内第一。"},
    ]
    index_rows(tmp_path / "device.jsonl", rows, settings)
    answer = Assistant(settings).ask("恒业HY7的芯片是什么")
    assert answer.answer.startswith("Hengye HY 7采用国产飞腾D3000"), answer.answer


def test_a_figure_of_another_subject_is_refused(tmp_path: Path, settings: Settings) -> None:
    """Every word of '数字经济核心产业' is somewhere in the KB, but no figure is about it: the 人工智能
    figure, which has the year and the metric, must not answer (before, it did)."""
    rows = [
        {"id": "ai", "title": "", "text": "2025年人工智能产业规上营收为143.79亿元，同比增长45.30%。"},
        {"id": "dx", "title": "", "text": "2025年数字化改造项目完成投资12亿元，全市经济运行总体平稳。"},
        {"id": "hx", "title": "", "text": "独山港核心区基础设施建设加快推进。"},
    ]
    index_rows(tmp_path / "kb.jsonl", rows, settings)
    answer = Assistant(settings).ask("2025年数字经济核心产业规上营收是多少")
    assert not answer.answerable and "143.79" not in answer.answer, answer.answer
    assert Assistant(settings).ask("2025年人工智能产业规上营收是多少").answer.startswith("2025年人工智能产业规上营收为143.79亿元")


def test_each_cluster_figure_for_the_asked_months(tmp_path: Path, settings: Settings) -> None:
    """'各产业集群1-11月营收增速': both cluster records of the sheet (they share its title, yet neither is a
    copy of the other), and never the full-year figure of another row (before: 45.30% was listed)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "产业集群"
    sheet.append(["2025年重点产业与集群主要指标（示例表，数据取自公开报道）"])
    sheet.append(["单位：亿元，%"])
    sheet.append(["产业或集群", "规上营收（亿元）", "营收增速", "1—11月营收增速"])
    sheet.append(["人工智能产业", 143.79, 45.3, None])
    sheet.append(["机器人与数控机床产业集群", None, None, 28.1])
    sheet.append(["绿色石化产业集群", None, None, 18.1])
    kb = tmp_path / "kb"
    kb.mkdir()
    book.save(kb / "指标.xlsx")
    (kb / "回顾.md").write_text("# 回顾\n\n全市产业集群建设加快，集群企业持续壮大。\n", encoding="utf-8")
    run_ingest([kb], settings)
    answer = Assistant(settings).ask("各产业集群1-11月营收增速是多少")
    assert "28.1%" in answer.answer and "18.1%" in answer.answer and "45.3" not in answer.answer, answer.answer
    assert sorted(r.cell for r in answer.records) == ["产业集群!D5", "产业集群!D6"]


def test_bm25_shares_weighed_by_part_of_speech(tmp_path: Path, settings: Settings) -> None:
    """Each question token's BM25 share is multiplied by its part-of-speech factor: with every factor 1 the
    scores are bm25s's own, and a token whose class weighs 0 adds nothing (the chunk it alone matches
    scores 0)."""
    index_rows(tmp_path / "kb.jsonl", [
        {"id": "a", "title": "", "text": "青山市东湖街道今年新建了三座智能仓库，已经全部投入使用。"},
        {"id": "b", "title": "", "text": "他们已经出发了，明天上午到达会场。"},
        {"id": "c", "title": "", "text": "西岭县的果园今年扩种了两千亩猕猴桃。"},
    ], settings)
    store = Assistant(settings).store
    plan = analyze("东湖街道的智能仓库已经投入使用了吗", settings.question_date())
    flat = replace(term_weights(), classes={c: 1.0 for c in term_weights().classes}, default=1.0, synonym=1.0, part=1.0)
    assert store.bm25 is not None
    ids = [store.bm25.vocab_dict[k.token] for k in plan.keys if k.token in store.bm25.vocab_dict]
    assert weighted_bm25(store, plan.keys, flat) == pytest.approx(store.bm25.get_scores_from_ids(ids), rel=1e-5)
    adverb = next(k for k in plan.keys if k.token == "已经")
    no_adverb = replace(flat, classes={c: 0.0 if adverb.tag in flat.class_tags[c] else 1.0 for c in flat.classes})
    scores = weighted_bm25(store, plan.keys, no_adverb)
    b = next(i for i, c in enumerate(store.chunks) if "出发" in c.text)
    assert scores[b] == 0.0 and scores.max() > 0
    assert store.chunks[top_scores(scores, 1)[0][0]].text.startswith("青山市东湖街道")


def test_fusion_weights_come_from_the_data_file(tmp_path: Path, settings: Settings) -> None:
    """Reciprocal-rank fusion takes its weights and k from term_weights.json: with the vector weight 0 the
    fused order is the keyword order."""
    keyword = [(3, 9.0), (1, 5.0), (2, 1.0)]
    semantic = [(2, 0.1), (1, 0.2), (3, 0.9)]
    only_bm25 = replace(term_weights(), bm25=1.0, vector=0.0)
    assert [p for p, _ in fuse(keyword, semantic, only_bm25)] == [3, 1, 2]
    assert [p for p, _ in fuse(keyword, semantic, replace(only_bm25, bm25=0.0, vector=1.0))] == [2, 1, 3]
