"""Candidates with structure (app/candidates.py) and typed values in them (app/values.py), on our own texts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.answer import Assistant
from app.candidates import continuation, spans
from app.schema import Chunk
from app.sentences import units
from app.settings import Settings
from app.store import Store
from app.values import figures, fitness, literal_spans
from tests.conftest import index_rows


def chunk(text: str, heading_path: str = "") -> Chunk:
    return Chunk("c1", "kb/政策.md", "惠企政策", "policy", "第1段", heading_path, text, text, "2025-03-01", (), "2025", 0)


INLINE = ("市经信局就做好中小企业服务提出以下要求。 一、加快兑现扶持资金 对去年认定的专精特新企业，"
          "一次性奖励20万元。 二、优化审批流程 企业技改项目备案实行即时办结。")


def test_inline_heading_takes_what_follows_it() -> None:
    found = spans(chunk(INLINE))
    headed = [s for s in found if s.kind == "heading"]
    assert [s.lead for s in headed] == ["一、加快兑现扶持资金", "二、优化审批流程"]
    assert headed[0].body == "对去年认定的专精特新企业，一次性奖励20万元。"
    assert headed[1].body == "企业技改项目备案实行即时办结。"
    # a heading is never an answer by itself
    assert not any(s.quote in ("一、加快兑现扶持资金", "二、优化审批流程") for s in found)
    assert all(s.quote in INLINE for s in found)


def test_lead_in_takes_its_items() -> None:
    text = "申报企业须同时满足以下条件：\n1. 在本市注册满一年；\n2. 上年度营收不低于500万元；\n3. 无严重失信记录。\n申报截止时间为6月30日。"
    found = spans(chunk(text))
    listed = [s for s in found if s.kind == "list"]
    assert len(listed) == 1
    assert listed[0].lead == "申报企业须同时满足以下条件："
    for item in ("在本市注册满一年", "上年度营收不低于500万元", "无严重失信记录"):
        assert item in listed[0].body
    assert "申报截止时间" not in listed[0].body  # a marked list ends at its last item
    assert all(s.quote != "申报企业须同时满足以下条件：" for s in found)


def test_units_keep_offsets_in_the_chunk_text() -> None:
    c = chunk(INLINE)
    for u in units(c):
        assert c.text[u.start : u.end] == u.text


def test_typed_values_of_a_candidate() -> None:
    assert fitness("numeric", "一次性奖励20万元") == 0.3
    assert fitness("numeric", "共有3") == 0.1  # a bare number answers less
    assert fitness("date", "申报截止时间为2025年6月30日") == 0.3
    assert fitness("rank", "综合排名全省第二") == 0.3
    assert fitness("other", "一次性奖励20万元") == 0.0
    assert figures("奖励1.5亿元") == figures("奖励15000万元")
    text = "咨询电话：0573-85021202，工作日受理。"
    (a, b), = literal_spans(text)
    assert text[a:b] == "0573-85021202"


def test_a_marked_short_sentence_takes_its_section() -> None:
    text = ("为稳住园区企业用工，区人社局提出如下举措。二、落实企业用工补助。对春节期间连续生产的规上企业，"
            "按每人每天80元给予补助。三是开通返岗专车。由区交通局统一调度包车，免费接送外省员工返岗。")
    found = spans(chunk(text))
    headed = {s.lead: s.body for s in found if s.kind == "heading"}
    assert headed["二、落实企业用工补助。"] == "对春节期间连续生产的规上企业，按每人每天80元给予补助。"
    assert headed["三是开通返岗专车。"] == "由区交通局统一调度包车，免费接送外省员工返岗。"
    # the titled sentence is no candidate alone: it only repeats what a question asks
    assert "二、落实企业用工补助。" not in [s.quote for s in found]


def test_a_marked_question_takes_its_answer_and_titled_items_stay_a_list() -> None:
    text = "4、小微企业如何申请缓缴社保费？ 向参保地社保经办机构提交书面申请，缓缴期最长6个月。"
    (span, *_), = [[s for s in spans(chunk(text)) if s.kind == "heading"]]
    assert span.body == "向参保地社保经办机构提交书面申请，缓缴期最长6个月。"
    listed = spans(chunk("申报须具备下列条件：\n1. 在本区注册纳税。\n2. 无欠薪记录。"))
    assert [s.kind for s in listed].count("list") == 1
    assert "无欠薪记录" in next(s.body for s in listed if s.kind == "list")


def test_a_question_takes_its_answer_up_to_the_next_question() -> None:
    text = ("园区答问 问：外地货车进园区送原材料要办什么手续？答：凭园区开具的送货单登记后即可进入。司机须全程佩戴口罩。"
            "\n问：夜间能否卸货？答：夜间卸货需提前一天预约。")
    headed = [s for s in spans(chunk(text)) if s.kind == "heading"]
    assert [s.lead for s in headed] == ["园区答问 问：外地货车进园区送原材料要办什么手续？", "问：夜间能否卸货？"]
    assert headed[0].body == "答：凭园区开具的送货单登记后即可进入。司机须全程佩戴口罩。"
    assert headed[1].body == "答：夜间卸货需提前一天预约。"
    # questions asked in a row are answered together after the last one
    asked = spans(chunk("热线 重点解答：哪些企业可以申请？补贴标准是多少？上述问题均可拨打12345咨询。"))
    first = next(s for s in asked if s.kind == "heading")
    assert first.lead == "热线 重点解答：哪些企业可以申请？"
    assert first.body == "补贴标准是多少？上述问题均可拨打12345咨询。"
    # a question inside running text is a teaser: what follows it is no answer of its own
    teaser = spans(chunk("园区今年又有新动作。补贴到底有多少？区经信局日前发布通知，设备补助最高50万元。"))
    assert not any(s.kind == "heading" for s in teaser)


def test_a_title_glued_to_the_first_sentence_is_split_off_and_takes_nothing() -> None:
    c = Chunk("c1", "kb/新闻.md", "区财政追加800万元支持老旧小区改造", "article", "第1段", "",
              "区财政追加800万元支持老旧小区改造 本报讯 近日，区财政局追加资金800万元，用于12个老旧小区的管网更新。",
              "", "2025-03-01", (), "2025", 0)
    quotes = [s.quote for s in spans(c) if s.kind == "sentence"]
    assert "本报讯 近日，区财政局追加资金800万元，用于12个老旧小区的管网更新。" in quotes
    assert not any(s.lead.startswith("区财政追加") or s.quote.startswith("区财政追加") for s in spans(c))


def test_a_condition_clause_takes_its_ruling() -> None:
    text = ("企业逾期未报送统计数据，经催报仍不报送的，由区统计局责令改正；情节严重的，依法处以罚款。"
            "其他事项另行通知。")
    runs = [s.quote for s in spans(chunk(text)) if s.kind == "run"]
    assert "企业逾期未报送统计数据，经催报仍不报送的，由区统计局责令改正；情节严重的，依法处以罚款。" in runs


def test_a_sentence_runs_on_into_the_next_one_of_its_paragraph() -> None:
    text = "（二）园区申报材料须加盖单位公章。材料不全的，窗口一次性告知补正。\n附件：申报表"
    runs = [s.quote for s in spans(chunk(text)) if s.kind == "run"]
    assert "园区申报材料须加盖单位公章。材料不全的，窗口一次性告知补正。" in runs[0]
    assert not any("附件" in r for r in runs)  # a paragraph's end ends the run


def test_a_heading_at_a_chunks_end_takes_its_body_from_the_next_chunk() -> None:
    first = chunk("园区今年共办结企业诉求86件。 三、做好返岗用工保障 对春节后首批返岗员工，每人发放交通补贴300元。")
    after = replace(chunk("返岗满三个月的，再发放稳岗奖励500元。 四、优化审批流程 企业技改项目备案实行即时办结。"),
                    id="c2", ordinal=1)
    alone = next(s for s in spans(first) if s.kind == "heading")
    assert alone.body == "对春节后首批返岗员工，每人发放交通补贴300元。"  # what the chunk holds, before the next one is read
    headed = [s for s in spans(first, after) if s.kind == "heading"]
    assert [s.lead for s in headed] == ["三、做好返岗用工保障"]  # no candidate starts in the next chunk
    assert headed[0].body == "对春节后首批返岗员工，每人发放交通补贴300元。返岗满三个月的，再发放稳岗奖励500元。"
    assert "四、优化审批流程" not in headed[0].quote  # the next heading ends the body there too
    # a sentence at the chunk's end runs on into the next chunk too
    runs = [s.quote for s in spans(first, after) if s.kind == "run"]
    assert "对春节后首批返岗员工，每人发放交通补贴300元。返岗满三个月的，再发放稳岗奖励500元。" in runs
    assert not any("稳岗奖励" in s.quote for s in spans(first))


def test_the_continuation_is_the_next_chunk_of_the_same_document_and_section(tmp_path: Path, settings: Settings) -> None:
    """Through a real index: the second body sentence of a heading cut off by the chunk size is answered."""
    filler = "".join(f"第{n}批技改项目已完成验收，园区将继续跟踪企业投产情况并做好服务。" for n in range(1, 7))
    text = (f"{filler} 三、做好返岗用工保障 对春节后首批返岗员工，每人发放交通补贴300元。"
            "返岗满三个月的，再发放稳岗奖励500元。 四、优化审批流程 企业技改项目备案实行即时办结。")
    rows = [{"id": "n1", "title": "园区惠企通知", "text": text, "date": "2025-02-01"},
            {"id": "n2", "title": "其他通知", "text": "园区食堂自3月起延长供餐时间。", "date": "2025-02-01"}]
    index_rows(tmp_path / "kb" / "notices.jsonl", rows, settings)
    store = Store.open(settings)
    cut = next(c for c in store.chunks if "三、做好返岗用工保障" in c.text)
    assert "稳岗奖励" not in cut.text  # the chunker did cut the section's body (the case under test)
    nxt = continuation(store, cut)
    assert nxt is not None and "稳岗奖励" in nxt.text and nxt.source == cut.source
    last = max((c for c in store.chunks if c.source == cut.source), key=lambda c: c.ordinal)
    assert continuation(store, last) is None
    answer = Assistant(settings).ask("园区如何做好返岗用工保障？")
    assert "交通补贴300元" in answer.answer and "稳岗奖励500元" in answer.answer, answer.answer


def test_a_sentence_runs_on_over_the_next_sentences_of_its_paragraph() -> None:
    text = ("园区对新落户企业分两档扶持。年营收过亿元的，奖励50万元。年营收过五千万元的，奖励20万元。"
            "以上奖励次年兑现。逾期不再受理。\n附件：申报表")
    runs = [s.quote for s in spans(chunk(text)) if s.kind == "run"]
    assert "园区对新落户企业分两档扶持。年营收过亿元的，奖励50万元。年营收过五千万元的，奖励20万元。" in runs
    assert "园区对新落户企业分两档扶持。年营收过亿元的，奖励50万元。" in runs  # the two-sentence run stays
    assert "园区对新落户企业分两档扶持。年营收过亿元的，奖励50万元。年营收过五千万元的，奖励20万元。以上奖励次年兑现。" in runs
    assert not any(r.count("。") > 4 for r in runs)  # four sentences at most
    assert not any("附件" in r for r in runs)  # and never past the paragraph's end
    long = "甲" * 120 + "。" + "乙" * 60 + "。" + "丙" * 30 + "。"
    assert [s.quote for s in spans(chunk(long)) if s.kind == "run"] == ["甲" * 120 + "。" + "乙" * 60 + "。",
                                                                       "乙" * 60 + "。" + "丙" * 30 + "。"]  # RUN_CHARS


def test_no_sentence_ends_inside_brackets() -> None:
    text = ("青禾园（又称-{zh-cn:青禾产业园;zh-tw:青禾園区}-）位于城南。园区现有企业42家。"
            "未闭合的括号（说明文字；后文不再闭合。下一句照常切分。")
    quotes = [s.quote for s in spans(chunk(text)) if s.kind == "sentence"]
    assert "青禾园（又称-{zh-cn:青禾产业园;zh-tw:青禾園区}-）位于城南。" in quotes
    # a bracket never closed within reach splits as before
    assert "未闭合的括号（说明文字；" in quotes and "下一句照常切分。" in quotes
    c = chunk(text)
    for u in units(c):
        assert c.text[u.start : u.end] == u.text


def test_a_long_inline_heading_is_still_a_heading() -> None:
    text = ("园区上月办结诉求86件。 五、系统排查并稳妥化解因原材料价格上涨导致的中小企业订单履约风险 企业要梳理在手订单，"
            "提前与客户协商交期。 六、其他事项 另行通知。")
    headed = {s.lead: s.body for s in spans(chunk(text)) if s.kind == "heading"}
    assert headed["五、系统排查并稳妥化解因原材料价格上涨导致的中小企业订单履约风险"] == "企业要梳理在手订单，提前与客户协商交期。"


def test_a_subheading_run_into_the_text_takes_what_follows_it() -> None:
    """A news page's subheading that lost its line break ('两个“专班”盯紧重点项目 区发改局…') is a heading
    inside the text: the sentence after it is a candidate without it, and no run goes across it."""
    text = ("今年一季度，全区新开工项目23个，同比增加5个。 两个“专班”盯紧重点项目 区发改局牵头组建要素保障专班，"
            "对用地、用能指标实行周调度。每月底通报一次进度。")
    found = spans(chunk(text))
    headed = {s.lead: s.body for s in found if s.kind == "heading"}
    assert headed["两个“专班”盯紧重点项目"] == "区发改局牵头组建要素保障专班，对用地、用能指标实行周调度。每月底通报一次进度。"
    sentences = [s.quote for s in found if s.kind == "sentence"]
    assert "区发改局牵头组建要素保障专班，对用地、用能指标实行周调度。" in sentences
    assert not any("专班”盯紧" in s.quote for s in found if s.kind in ("sentence", "run"))
    assert any(s.quote.startswith("区发改局") and s.quote.endswith("每月底通报一次进度。") for s in found if s.kind == "run")


def test_a_chunks_opening_headline_and_a_row_of_table_cells_stay_in_their_sentence() -> None:
    """At a chunk's opening a headline may be the page's own (a search snippet's title), whose words the sentence
    after it needs; cells of a table row are no headline (no clause of text follows them)."""
    opening = "园区企业用工调查结果发布 本月园区企业平均到岗率为百分之九十二，较上月提高六个百分点。"
    assert [(s.kind, s.quote) for s in spans(chunk(opening))] == [("sentence", opening)]
    row = "人员名单如下。 序号 姓名 联系电话 1 王晓东 13900001111 2 李明 13900002222"
    assert not any(u.heading for u in units(chunk(row)))


def test_a_subheading_after_the_documents_title_is_a_heading_too() -> None:
    """The title run into the text is the page's headline; a title-shaped line right after it is a subheading."""
    c = Chunk("c1", "kb/新闻.md", "区经信局组织企业用工对接", "article", "第1段", "",
              "区经信局组织企业用工对接 三场线上招聘会帮企业补缺口 本月以来，区经信局联合人社部门举办线上招聘会三场，"
              "促成就业意向420人。", "", "2025-03-01", (), "2025", 0)
    headed = {s.lead: s.body for s in spans(c) if s.kind == "heading"}
    assert headed["三场线上招聘会帮企业补缺口"] == "本月以来，区经信局联合人社部门举办线上招聘会三场，促成就业意向420人。"
    assert "本月以来，区经信局联合人社部门举办线上招聘会三场，促成就业意向420人。" in [
        s.quote for s in spans(c) if s.kind == "sentence"]


def test_a_period_or_a_dateline_before_a_space_is_no_subheading() -> None:
    """'2025年1—11月 全区…' and '本报青山3月5日讯 区经信局…': a period or a dateline that lost what followed
    it to a space opens the sentence; taken as a subheading, the sentence lost the period its figures are for."""
    text = ("今年一季度，全区新开工项目23个，同比增加5个。 2025年1—11月 全区规上工业增加值同比增长5.1%，高于全市。"
            "本报青山3月5日讯 区经信局召开专精特新企业培育推进会，部署全年工作。")
    found = spans(chunk(text))
    assert not any(s.kind == "heading" for s in found)
    sentences = [s.quote for s in found if s.kind == "sentence"]
    assert "2025年1—11月 全区规上工业增加值同比增长5.1%，高于全市。" in sentences
    assert "本报青山3月5日讯 区经信局召开专精特新企业培育推进会，部署全年工作。" in sentences
    # a subheading naming a date inside it stays a subheading
    headed = ("园区上月办结诉求86件。 服务中心将于3月2日恢复线下办理 区政务服务中心已完成消杀，"
              "窗口全部开放。")
    assert {s.lead: s.body for s in spans(chunk(headed)) if s.kind == "heading"} == {
        "服务中心将于3月2日恢复线下办理": "区政务服务中心已完成消杀，窗口全部开放。"}
