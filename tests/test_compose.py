"""The answer text (app/compose.py, app/choose.py): clause runs end where the grammar lets them, values are
never cut, no clause twice, lists give their items; end to end over a tiny KB of our own passages."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.answer import Assistant
from app.asked import Asked
from app.candidates import Candidate, Span
from app.choose import compose_answer
from app.compose import render, trim, without_repeats
from app.query import analyze
from app.schema import Chunk
from app.settings import Settings
from ingest.index import run_ingest
from tests.conftest import QUESTION_DATE


def test_a_condition_keeps_its_ruling() -> None:
    sentence = ("为支持本地制造业数字化转型，企业通过公益性社会组织向受灾地区捐赠的现金和设备，"
                "准予在核算当年应税收入时全部予以扣除，具体办法由市税务部门另行公布。")
    piece = trim(sentence, ["捐赠", "现金", "设备"], 60)
    assert "捐赠的现金和设备" in piece and "全部予以扣除" in piece


def test_a_label_keeps_its_phone_number_whole() -> None:
    sentence = ("为方便企业了解今年的技术改造补助申报流程和材料要求，市经信局在政务大厅设立了专门的咨询服务窗口，"
                "工作人员会逐项解答企业提出的问题，咨询电话：0573-85021202")
    piece = trim(sentence, ["咨询", "电话"], 30, Asked("numeric"))
    assert "0573-85021202" in piece


def test_a_cut_keeps_the_clause_that_names_the_asked_measure_beside_its_figure() -> None:
    # the first clauses name the place and period and show another figure (the output value); the growth asked
    # for is the last clause, which a run from the start cannot reach within the limit
    sentence = ("今年前三季度，平湖市统筹推进产业升级和企业服务，加大技术改造扶持力度，落实各项助企纾困政策，"
                "工业生产稳中有进。全市实现规上工业总产值1234.5亿元(下同)，同比增长7.6%。")
    keep = ["前三季度", "平湖", "平湖市", "工业", "增长", "增速", "同比"]
    piece = trim(sentence, keep, len(sentence) - 6, Asked("numeric"))
    assert piece.endswith("同比增长7.6%。")


def test_a_long_clause_is_never_cut_inside_a_phone_number() -> None:
    clause = "各县市区企业服务中心统一受理本年度智能制造示范项目申报材料并负责初审的咨询联系方式为0573-85021202转人工服务"
    for limit in range(20, len(clause)):
        piece = trim(clause, ["联系方式"], limit)
        assert "0573-85021202" in piece or "0573" not in piece


def test_a_lead_in_renders_its_items_first_when_both_do_not_fit() -> None:
    span = Span("申报企业须同时满足以下条件：在本市注册满一年；上年度营收不低于500万元；无严重失信记录。", "list", 0,
                "申报企业须同时满足以下条件：", "在本市注册满一年；上年度营收不低于500万元；无严重失信记录。")
    assert render(span, span.quote, ["申报", "条件"], 200, None).startswith("申报企业须同时满足以下条件：在本市注册满一年")
    short = render(span, span.quote, ["申报", "条件"], 40, None)
    assert short.startswith("在本市注册满一年") and "500万元" in short


def test_a_clause_already_said_is_dropped() -> None:
    said = {"平湖市2025年新增国家级专精特新小巨人企业3家"}
    assert without_repeats("平湖市2025年新增国家级专精特新小巨人企业3家，", said) == ""
    assert without_repeats("平湖市2025年新增国家级专精特新小巨人企业3家，居嘉兴各县市第一", said) == "居嘉兴各县市第一"


POLICY = """# 平湖市企业服务若干措施

发布日期：2025年4月1日

市经信局就做好今年中小企业服务工作提出以下要求。 一、加快兑现扶持资金 对2024年新认定的省级专精特新中小企业，给予一次性奖励20万元。 二、简化申报材料 企业申报技改补助只需提交项目备案表和发票清单。

企业申报智能化改造补助须同时满足以下条件：
1. 在平湖市注册纳税满一年；
2. 设备投入不低于300万元；
3. 近三年无重大安全事故。

企业向市慈善总会捐赠用于困难职工帮扶的现金和物品，可以在计算企业应纳税所得额时按规定扣除。

政策咨询请联系市企业服务中心，咨询电话：0573-85021202。
"""


@pytest.fixture
def policy(tmp_path: Path, settings: Settings) -> Assistant:
    kb = settings.kb_dir
    kb.mkdir(parents=True)
    (kb / "措施.md").write_text(POLICY, encoding="utf-8")
    run_ingest([kb], settings)
    return Assistant(settings)


def test_end_to_end_structure(policy: Assistant) -> None:
    items = policy.ask("企业申报智能化改造补助须满足哪些条件？")
    assert items.answerable
    for text in ("注册纳税满一年", "设备投入不低于300万元", "近三年无重大安全事故"):
        assert text in items.answer.split("[1]")[0]
    ruling = policy.ask("企业向市慈善总会捐赠的现金和物品怎么扣除？")
    assert "可以在计算企业应纳税所得额时按规定扣除" in ruling.answer.split("[1]")[0]
    phone = policy.ask("市企业服务中心的咨询电话是多少？")
    assert "0573-85021202" in phone.answer.split("[1]")[0]
    heading = policy.ask("加快兑现扶持资金有什么规定？")
    assert "一次性奖励20万元" in heading.answer.split("[1]")[0]
    for answer in (items, ruling, phone, heading):
        assert len(answer.answer) <= 200
        pieces = [p for p in answer.answer.replace("。", "；").split("；") if len(p) > 6]
        assert len(pieces) == len(set(pieces))  # never the same clause twice


def _candidate(source: str, title: str, text: str, score: float, covered: set[int], ordinal: int,
               fit: float = 0.0) -> Candidate:
    chunk = Chunk(f"{source}-{ordinal}", source, title, "article", "", "", text, text, "2025-05-01", (), "2025", ordinal)
    return Candidate(chunk, text, text, score, 0.7, frozenset(covered), ordinal + 1, fit, Span(text, "sentence", 0))


# the question's concepts: 银杏湖, 湿地公园 (the topic: the document's title names both), 出资, 改建 (what is asked)
PARK_CONCEPTS = [(("银杏湖",), 5.0), (("湿地公园",), 4.0), (("出资",), 4.0), (("改建",), 4.0)]
PARK_INTRO = "银杏湖湿地公园位于平湖市东部新城，是一处以湖泊和芦苇滩为主的城市公园。"
PARK_TOLD = "2019年由市水务集团出资，将原来的养殖塘改建为湿地公园。"


def test_the_sentence_that_tells_leads_over_the_one_that_names_the_topic() -> None:
    query = analyze("银杏湖湿地公园是由谁出资改建的？", QUESTION_DATE)
    intro = _candidate("公园.md", "银杏湖湿地公园", PARK_INTRO, 1.0, {0, 1}, 0)
    told = _candidate("公园.md", "银杏湖湿地公园", PARK_TOLD, 0.8, {1, 2, 3}, 1)
    answer = compose_answer(query, [intro, told], ["银杏湖", "湿地公园", "出资", "改建"], None, frozenset({0, 2, 3}),
                            concepts=PARK_CONCEPTS)
    assert answer.text.startswith("2019年由市水务集团出资，将原来的养殖塘改建为湿地公园[1]")
    assert answer.citations[0].quote == PARK_TOLD


def test_a_sentence_of_another_document_never_takes_the_lead() -> None:
    query = analyze("银杏湖湿地公园是由谁出资改建的？", QUESTION_DATE)
    intro = _candidate("公园.md", "银杏湖湿地公园", PARK_INTRO, 1.0, {0, 1}, 0)
    other = _candidate("水务.md", "银杏湖湿地公园", PARK_TOLD, 0.8, {1, 2, 3}, 1)
    answer = compose_answer(query, [intro, other], ["银杏湖", "湿地公园", "出资", "改建"], None, frozenset({0, 2, 3}),
                            concepts=PARK_CONCEPTS)
    assert answer.text.startswith(PARK_INTRO.rstrip("。") + "[1]")


def test_a_sentence_that_names_all_the_best_one_names_and_more_leads() -> None:
    query = analyze("2024年嘉兴市新增省级专精特新企业多少家？", QUESTION_DATE)
    concepts = [(("2024",), 2.0), (("嘉兴市",), 4.0), (("专精特新",), 5.0), (("新增",), 2.0)]
    keep = ["2024", "嘉兴市", "专精特新", "新增"]
    other_city = _candidate("湖州.md", "湖州工业简报", "2024年全省新增省级专精特新企业2000家，湖州新增156家。", 1.0, {0, 2, 3}, 0,
                            0.3)
    ours = _candidate("嘉兴.md", "嘉兴工业简报", "2024年嘉兴市新增省级专精特新企业268家。", 0.8, {0, 1, 2, 3}, 1, 0.3)
    answer = compose_answer(query, [other_city, ours], keep, Asked("numeric"), frozenset({1, 2}), concepts=concepts)
    assert answer.text.startswith("2024年嘉兴市新增省级专精特新企业268家[1]")
    no_figure = _candidate("嘉兴.md", "嘉兴工业简报", "2024年嘉兴市新增省级专精特新企业的名单已经公布。", 0.8, {0, 1, 2, 3}, 1)
    answer = compose_answer(query, [other_city, no_figure], keep, Asked("numeric"), frozenset({1, 2}), concepts=concepts)
    assert answer.text.startswith("2024年全省新增省级专精特新企业2000家")  # the asked figure keeps the lead


def test_a_sentence_without_the_year_the_question_names_never_takes_the_lead() -> None:
    query = analyze("2021年5月，周明远担任什么职务？", QUESTION_DATE)
    concepts = [(("周明远",), 5.0), (("担任",), 3.0), (("职务",), 4.0)]
    keep = ["周明远", "担任", "职务"]
    dated = _candidate("周明远.md", "周明远", "2021年5月，经市人大常委会表决，周明远出任平湖市副市长。", 1.0, set(), 0)
    undated = _candidate("周明远.md", "周明远", "早年他曾在乍浦镇挂职担任镇党委副书记，分管招商引资工作。", 0.8, {1}, 1)
    answer = compose_answer(query, [dated, undated], keep, None, frozenset({0, 1, 2}), concepts=concepts)
    assert answer.text.startswith("2021年5月，经市人大常委会表决，周明远出任平湖市副市长[1]")


def test_a_cut_keeps_the_items_that_follow_the_asked_words() -> None:
    sentence = ("银杏（学名：Ginkgo biloba），别名白果、公孙树、鸭脚树，是银杏科银杏属的落叶乔木。银杏主要分布于东亚一带，"
                "有中国的浙江、江苏、安徽、湖北等省，日本和朝鲜也有栽培，多见于海拔三百到一千二百米的酸性黄壤山地。")
    piece = trim(sentence, ["银杏", "分布", "地区"], 90)
    assert "主要分布于东亚一带，有中国的浙江、江苏、安徽、湖北等省" in piece and len(piece) <= 90


def test_a_heading_that_is_a_sentence_runs_on_into_its_body() -> None:
    span = Span("（三）申报材料须真实完整。提供虚假材料的，三年内不得申报市级专项资金。", "heading", 0,
                "（三）申报材料须真实完整。", "提供虚假材料的，三年内不得申报市级专项资金。")
    piece = render(span, span.quote, ["申报", "材料"], 200, None)
    assert piece == "（三）申报材料须真实完整。提供虚假材料的，三年内不得申报市级专项资金。"
    titled = Span("一、补助标准 按设备投入的10%给予补助。", "heading", 0, "一、补助标准", "按设备投入的10%给予补助。")
    assert render(titled, titled.quote, ["补助", "标准"], 200, None) == "一、补助标准：按设备投入的10%给予补助。"


def test_a_heading_cut_for_a_date_keeps_the_clause_with_the_date() -> None:
    body = ("各县市区经信部门要按照市里的统一部署，认真做好本地区技改补助资金的审核和拨付工作，做到应拨尽拨、及时到位，"
            "由县级经信部门会同财政部门逐项复核，汇总后的补助数据须于每季度首月15日前报送市经信局。")
    span = Span(f"三、做好补助资金拨付工作 {body}", "heading", 0, "三、做好补助资金拨付工作", body)
    piece = render(span, span.quote, ["补助", "数据", "报送"], 80, Asked("date"))
    assert piece.startswith("三、做好补助资金拨付工作：") and "每季度首月15日前报送" in piece and len(piece) <= 80


def test_a_sentence_that_answers_for_another_year_gives_the_lead_to_one_that_answers_for_the_asked_year() -> None:
    # the best-scored sentence names the asked year only in its comparison; the figure it states is 2025's
    query = analyze("2024年嘉兴市规上工业增加值", QUESTION_DATE)
    keep = ["嘉兴", "嘉兴市", "规上", "工业", "增加值"]
    concepts = [(("嘉兴市",), 4.0), (("规上",), 3.0), (("工业",), 2.0), (("增加值",), 4.0)]
    newer = _candidate("快报.md", "工业快报", "嘉兴市2025年规上工业增加值为2450亿元，较2024年同期增长6.1%。", 1.0, {0, 1, 2, 3}, 0)
    asked = _candidate("公报.md", "统计公报", "经初步核算，嘉兴市2024年规上工业增加值为2310亿元。", 0.9, {0, 1, 2, 3}, 1)
    answer = compose_answer(query, [newer, asked], keep, None, frozenset({0, 3}), concepts=concepts)
    assert answer.text.startswith("经初步核算，嘉兴市2024年规上工业增加值为2310亿元[1]")
    # a sentence whose answering clause names the asked year keeps the lead
    answer = compose_answer(query, [asked, newer], keep, None, frozenset({0, 3}), concepts=concepts)
    assert answer.text.startswith("经初步核算，嘉兴市2024年规上工业增加值为2310亿元[1]")


def test_a_best_sentence_that_tells_something_keeps_the_lead_over_a_dateline() -> None:
    # both sentences of one report say more than its title; the dateline names more of the question's words
    # (近日, 发布), the best one says what the question asks (清单制保障)
    query = analyze("平湖市经信局近日发布通知，对重点企业用电实施怎样的保障？", QUESTION_DATE)
    concepts = [(("平湖市",), 4.0), (("经信局",), 4.0), (("近日",), 4.0), (("发布",), 2.0), (("通知",), 1.0),
                (("重点企业",), 3.0), (("用电",), 2.0), (("保障",), 2.0)]
    keep = [t for group, _ in concepts for t in group]
    told = _candidate("通知.md", "平湖市经信局", "通知明确，对重点企业用电实施清单制保障。", 1.0, {4, 5, 6, 7}, 0)
    dateline = _candidate("通知.md", "平湖市经信局", "本报讯 平湖市经信局近日发布通知，要求各供电所做好重点企业服务。", 0.9,
                          {0, 1, 2, 3, 4, 5}, 1)
    answer = compose_answer(query, [told, dateline], keep, None, frozenset({0, 1, 2}), concepts=concepts)
    assert answer.text.startswith("通知明确，对重点企业用电实施清单制保障[1]")


def test_a_sentence_naming_the_asked_year_without_the_asked_figure_does_not_take_the_lead() -> None:
    # the best sentence states the figure of another year; the other one names the asked year but no figure
    query = analyze("2024年嘉兴市规上工业增加值是多少？", QUESTION_DATE)
    keep = ["嘉兴", "嘉兴市", "规上", "工业", "增加值"]
    concepts = [(("嘉兴市",), 4.0), (("规上",), 3.0), (("工业",), 2.0), (("增加值",), 4.0)]
    newer = _candidate("快报.md", "工业快报", "嘉兴市2025年规上工业增加值为2450亿元，较2024年同期增长6.1%。", 1.0, {0, 1, 2}, 0,
                       0.3)
    # picked as evidence for the weighty concept the best one lacks (增加值), it states no figure
    no_figure = _candidate("口径.md", "统计说明", "嘉兴市2024年规上工业增加值的统计口径有所调整。", 0.9, {0, 1, 2, 3}, 1, 0.0)
    answer = compose_answer(query, [newer, no_figure], keep, Asked("numeric"), frozenset({3}), concepts=concepts)
    assert answer.text.startswith("嘉兴市2025年规上工业增加值为2450亿元")


def test_a_number_that_holds_the_asked_year_is_no_year() -> None:
    # '20215' holds the digits of 2021 but names no year: the sentence without the asked year does not lead
    query = analyze("2021年5月，周明远担任什么职务？", QUESTION_DATE)
    concepts = [(("周明远",), 5.0), (("担任",), 3.0), (("职务",), 4.0)]
    keep = ["周明远", "担任", "职务"]
    dated = _candidate("周明远.md", "周明远", "2021年5月，经市人大常委会表决，周明远出任平湖市副市长。", 1.0, set(), 0)
    undated = _candidate("周明远.md", "周明远", "他担任镇党委副书记期间，全镇新增就业岗位20215个。", 0.8, {1}, 1)
    answer = compose_answer(query, [dated, undated], keep, None, frozenset({0, 1, 2}), concepts=concepts)
    assert answer.text.startswith("2021年5月，经市人大常委会表决，周明远出任平湖市副市长[1]")
