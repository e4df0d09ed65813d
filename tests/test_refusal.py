"""Calibrated refusal (app/refusal.py): the constraint gate and the fitted threshold, on real indexes
built from our own passages (real jieba, real Chroma in tmp_path)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from app.answer import Assistant
from app.choose import Extracted
from app.compose import citation
from app.gate import gated_orgs, gated_places, missing
from app.query import analyze
from app.refusal import NAMES, THRESHOLD_FILE, coverage, judge, threshold
from app.schema import Chunk, Hit
from app.settings import Settings
from bench.fit import Row, at, choose
from tests.conftest import index_rows

DAY = dt.date(2026, 3, 1)


def chunk(text: str, title: str = "", heading: str = "", periods: tuple[str, ...] = (), cid: str = "c1") -> Chunk:
    return Chunk(cid, "a.md", title, "article", "", heading, text, text, "2026-01-10", periods, "", 0)


REPORTS = [
    {"id": "qingshan", "title": "青山市经信局通报", "date": "2026-02-21",
     "text": "截至2月20日，青山市已有512家规上工业企业恢复生产，复工率达到87%。"},
    {"id": "baisha", "title": "白沙省保供会议", "date": "2026-02-18",
     "text": "白沙省农产品保供工作会议在省会召开，会议部署了蔬菜和猪肉的储备投放。"},
    {"id": "city", "title": "青山市2025年工业经济运行情况", "date": "2026-01-15",
     "text": "2025年，青山市规上工业产值1234.5亿元，同比增长6.1%。"},
    {"id": "town", "title": "东湖街道工作简报", "date": "2025-01-20",
     "text": "2024年，东湖街道规上工业产值88.2亿元，同比增长4.5%。"},
    {"id": "quarter", "title": "青山市投资简报", "date": "2026-04-20",
     "text": "2026年1季度，青山市工业投资同比增长9.2%，技改投资增长11.4%。"},
]


def test_another_places_figure_is_refused(tmp_path: Path, settings: Settings) -> None:
    """'白沙省…恢复生产' must not be answered with 青山市's 512家 (the knowledge base knows 白沙省, so
    only the gate can see that the figure belongs to another place); 青山市's own question is answered."""
    index_rows(tmp_path / "reports.jsonl", REPORTS, settings)
    assistant = Assistant(settings)
    other = assistant.ask("白沙省有多少家规上工业企业恢复生产？")
    assert not other.answerable and "512" not in other.answer and other.answer.startswith("知识库中未找到")
    own = assistant.ask("青山市有多少家规上工业企业恢复生产？")
    assert own.answerable and "512家" in own.answer


def test_a_towns_question_is_not_answered_with_the_city_total(tmp_path: Path, settings: Settings) -> None:
    index_rows(tmp_path / "reports.jsonl", REPORTS, settings)
    answer = Assistant(settings).ask("东湖街道2025年规上工业产值是多少？")
    assert not answer.answerable and "1234.5" not in answer.answer


def test_a_quarter_is_named_in_either_form(tmp_path: Path, settings: Settings) -> None:
    index_rows(tmp_path / "reports.jsonl", REPORTS, settings)
    answer = Assistant(settings).ask("青山市2026年一季度工业投资增长多少？")
    assert answer.answerable and "9.2%" in answer.answer


def test_missing_reads_text_headings_and_title() -> None:
    plan = analyze("上海市金山区山阳镇2025年设计了什么表格", DAY)
    assert [p[:2] for p in gated_places(plan)] == ["山阳"]  # of a chain of places only the most specific is gated
    assert missing(plan, chunk("山阳镇设计了复工情况汇总表。", title="2025年山阳镇工作简报")) == ()
    assert [p[:2] for p in missing(plan, chunk("枫泾镇设计了复工情况汇总表。", title="2025年工作简报"))] == ["山阳"]
    assert missing(plan, chunk("山阳镇设计了复工情况汇总表。", title="2024年简报")) == ("2025年",)
    assert missing(plan, chunk("山阳镇设计了汇总表。", heading="2025年 > 复工", title="简报")) == ()


def test_relative_years_and_metric_words_are_not_gated() -> None:
    """上年 beside a written year is relative to that year (not gated); a metric word never gates."""
    plan = analyze("各镇按上年奖励标准的多少预拨2024年度技改奖励资金", DAY)
    assert missing(plan, chunk("各镇按2024年奖励标准的80%预拨2024年度技改奖励资金。")) == ()
    plan = analyze("青山市2025年营业收入是多少", DAY)
    assert missing(plan, chunk("2025年青山市规上工业营收1234.5亿元。")) == ()


def test_organisations_are_named_by_their_place() -> None:
    plan = analyze("浙江省人民政府为扶持小微企业作了哪些部署", DAY)
    assert gated_orgs(plan) == ("浙江省",)
    assert missing(plan, chunk("省政府部署扶持小微企业。", title="浙江省关于扶持小微企业的通知")) == ()
    plan = analyze("青山市人民政府为扶持小微企业作了哪些部署", DAY)
    assert gated_orgs(plan) == () and gated_places(plan) == ("青山市",)  # the generic body follows its place


def test_a_place_by_itself_takes_no_word_before_it() -> None:
    """'海淀区' and '杭州市' are places by themselves: the word before them ('商超', a stray '国') is no part
    of the place, or the gate would demand '商超海淀区' of every passage; a team's place is its org's place."""
    assert analyze("支持重点商超海淀区发放了多少补贴？", DAY).places == ("海淀区",)
    assert analyze("本次调研国杭州市有哪些企业参加？", DAY).places == ("杭州市",)
    assert analyze("东湖街道2025年规上工业产值是多少？", DAY).places == ("东湖街道",)  # a bare suffix still takes its name
    plan = analyze("湖南队运动员的奖金标准是多少？", DAY)
    assert gated_orgs(plan) == ("湖南",)
    assert missing(plan, chunk("运动员奖金按每人5000元的标准发放。", title="湖南省体育局关于奖金的通知")) == ()


def test_coverage_weighs_sentence_over_context() -> None:
    plan = analyze("青山市工业投资增长多少", DAY, idf=lambda w: 1.0)
    full = coverage(plan, "青山市工业投资增长9.2%。", chunk("青山市工业投资增长9.2%。"))
    context = coverage(plan, "增长9.2%。", chunk("青山市工业投资：增长9.2%。"))
    assert full == 1.0 and 0.0 < context < full


def test_threshold_file_says_what_it_was_fitted_on() -> None:
    data = json.loads(THRESHOLD_FILE.read_text(encoding="utf-8"))
    assert 0.0 <= threshold() <= 1.0 and data["fitted_on"] and "criterion" in data
    assert list(data["weights"]) == list(NAMES) and data["cross_validated"]["folds"] >= 2


def test_the_verdict_weighs_the_scorers_probability() -> None:
    """Two answers from the same evidence, one whose lead the candidate scorer is sure of and one it
    doubts: the refusal score is the fitted model's, over the scorer's probability among its features
    (it was the evidence's term coverage alone, the same for both)."""
    plan = analyze("青山市工业投资增长多少", DAY, idf=lambda w: 1.0)
    c = chunk("青山市工业投资增长9.2%，技改投资增长11.4%。")
    hits = [Hit(c, 1.0, 1)]
    cites = (citation(1, c, "青山市工业投资增长9.2%"),)
    sure = judge(plan, Extracted("青山市工业投资增长9.2%[1]。", True, cites, score=0.95), hits)
    doubt = judge(plan, Extracted("青山市工业投资增长9.2%[1]。", True, cites, score=0.05), hits)
    assert sure is not None and doubt is not None and not sure.missing
    assert sure.features[1] == doubt.features[1]  # the same coverage
    assert sure.score > doubt.score


def test_a_gate_miss_looks_again_among_passages_that_name_the_place(tmp_path: Path, settings: Settings) -> None:
    """The best-ranked passage is about 青山市; the one about 白沙市 ranks below the top k. The answer comes
    from the passage that names the asked place, not a refusal and never 青山市's figure."""
    from dataclasses import replace

    settings = replace(settings, top_k=1)
    rows = [
        {"id": "qs", "title": "规上工业企业恢复生产情况", "date": "2026-02-21",
         "text": "截至2月20日，青山市已有512家规上工业企业恢复生产，规上工业企业恢复生产比例达到87%。"},
        {"id": "bs", "title": "白沙市复工简报", "date": "2026-02-21",
         "text": "白沙市经信局消息，全市复工企业累计230家。"},
    ]
    index_rows(tmp_path / "reports.jsonl", rows, settings)
    assistant = Assistant(settings)
    assert [h.chunk.source.split("#")[-1] for h in assistant.search("白沙市有多少家规上工业企业恢复生产？")] == ["qs"]
    answer = assistant.ask("白沙市有多少家规上工业企业恢复生产？")
    assert "512" not in answer.answer
    assert answer.answerable and "230家" in answer.answer


def test_an_unknown_word_is_a_feature_not_a_refusal(tmp_path: Path, settings: Settings) -> None:
    """A question word the index never mentions ('外形') no longer refuses in the extractor: the best
    candidate is composed and the idf-weighted share of such words reaches the refusal model as a feature
    (as a refusal of its own it refused answerable questions whose passage says 'looks' in other words)."""
    from app.extract import extract
    from app.retrieve import retrieve

    index_rows(tmp_path / "reports.jsonl", REPORTS, settings)
    assistant = Assistant(settings)
    plan = analyze("青山市恢复生产的规上工业企业外形如何？", DAY, assistant.store.idf)
    hits = retrieve(assistant.store, plan, settings.top_k)
    result = extract(assistant.store, plan, hits)
    assert result.answerable and "512家" in result.text and 0.0 < result.unknown < 1.0
    verdict = judge(plan, result, hits)
    assert verdict is not None and len(verdict.features) == len(NAMES)
    assert verdict.features[NAMES.index("unknown")] == result.unknown


def test_a_place_ending_in_an_area_noun_is_named_by_its_name() -> None:
    """'北欧地区' is named where a text writes 北欧 (the gate demanded '北欧地区' or '北欧地', refusing the
    passage that answers); another region's passage is still refused, and a city's figure still does not
    answer its district's question."""
    plan = analyze("在北欧地区，蓝莓被用来做什么？", DAY)
    assert missing(plan, chunk("在北欧，蓝莓常被用来酿酒和做果酱。")) == ()
    assert missing(plan, chunk("在南美，蓝莓常被用来酿酒和做果酱。")) != ()
    plan = analyze("华北地区的工业投资增长多少？", DAY)
    assert missing(plan, chunk("华北工业投资增长5.2%。")) == ()
    plan = analyze("北京市丰台区的工业投资增长多少？", DAY)
    assert missing(plan, chunk("丰台工业投资增长3.1%。")) == () and missing(plan, chunk("北京市工业投资增长3.1%。")) != ()


def test_the_threshold_keeps_answerable_refusals_within_their_bound() -> None:
    """When no threshold meets both bounds, the one chosen refuses at most 5% of the answerable questions
    and, within that, answers the fewest unanswerable ones (the least relative excess over both bounds
    chose 0.51 here, refusing 6% of the answerable questions to answer no unanswerable one)."""
    rows = [Row("s", str(i), "", False, True, True, ((),), False) for i in range(100)]
    rows += [Row("s", f"u{i}", "", True, True, False, ((),), False) for i in range(10)]
    scores = [0.9] * 94 + [0.5] * 6 + [0.3] * 5 + [0.7] * 5
    t = choose(rows, scores, 0.10, 0.05)
    unanswered, refused, _ = at(rows, scores, t)
    assert refused <= 0.05 and unanswered == 0.5 and t == 0.31


def test_a_district_or_body_ending_in_a_noun_is_not_named_by_its_citys_name() -> None:
    """Only area nouns (地区, 区域 …) are stripped: '港区' or '银行' ending a name are part of it, so the
    city's total does not answer a question about its port district, nor the city a question about a bank
    named after it (the rule stripped any noun ending before)."""
    plan = analyze("临川港区2025年规上工业产值是多少？", DAY)
    assert missing(plan, chunk("2025年临川市规上工业产值为1200亿元。")) != ()
    assert missing(plan, chunk("2025年临川港区规上工业产值为96亿元。")) == ()
    plan = analyze("北欧地区的工业投资增长多少？", DAY)
    assert missing(plan, chunk("北欧工业投资增长2.2%。")) == ()


def test_a_common_noun_jieba_tags_as_a_place_is_not_gated() -> None:
    """'上路', '城市', '上市', '新区' are tagged ns by jieba's dictionary but name no place: a passage that
    answers '叉车上路…' need not say '上路' for the gate; named places ('青山市', '武汉') still gate."""
    plan = analyze("园区如何保障未年检的叉车上路作业安全？", DAY)
    assert gated_places(plan) == ()
    assert missing(plan, chunk("园区对未年检叉车开展安全检查，检查合格后方可作业。")) == ()
    for question in ("城市的夜间照明由哪个部门负责？", "新区有哪些企业？", "上市公司有哪些税收优惠？"):
        assert gated_places(analyze(question, DAY)) == (), question
    assert gated_places(analyze("武汉有多少家规上工业企业？", DAY)) == ("武汉",)
    assert gated_places(analyze("青山市有多少家规上工业企业？", DAY)) == ("青山市",)
    assert missing(analyze("武汉有多少家规上工业企业？", DAY), chunk("青山市有512家规上工业企业。")) == ("武汉",)


def test_a_passage_that_says_our_city_is_named_by_its_document() -> None:
    """A city's notice names the city once and then says '我市': its passage is about that city. The gate
    reads the rest of the document only for a self-reference of the place's own level, and only the place
    that document names ('白沙市's notice saying 我市 still does not name 青山市; '我省' names no city)."""
    from dataclasses import replace

    plan = analyze("青山市企业员工返岗后出现发热症状如何处理？", DAY)
    lead = chunk("员工返岗后如有发热症状，应暂停到岗，并到我市指定医疗点检测。", title="致全市企业的一封信")
    head = replace(lead, id="c0", text="青山市经信局致全市企业的一封信。")
    assert missing(plan, lead) == ("青山市",)
    assert missing(plan, lead, [head, lead]) == ()
    assert missing(plan, lead, [replace(head, text="白沙市经信局致全市企业的一封信。"), lead]) == ("青山市",)
    province = replace(lead, text="员工返岗后如有发热症状，应到我省指定医疗点检测。")
    body = replace(head, text="各企业：青山市经信局提醒各单位做好返岗登记。")  # named below the headline
    assert missing(plan, lead, [body, lead]) == ()
    assert missing(plan, province, [body, province]) == ("青山市",)


def test_a_notice_is_named_by_the_place_its_issuer_signs_with() -> None:
    """A notice names its place once, in the signature under its last sentence: every passage above is
    about that place. Only a short dated tail after the last sentence is a signature: a news story's last
    sentence that mentions the place, or another place's signature, names nothing."""
    from dataclasses import replace

    plan = analyze("青山市对滞留旅客提供哪些帮助？", DAY)
    lead = chunk("对滞留旅客，各区县安排临时住所并免费提供盒饭。", title="关于做好滞留旅客服务保障工作的通告")
    end = replace(lead, id="c9", text="请广大市民相互转告。特此通告。青山市交通运输局 2026年2月9日")
    assert missing(plan, lead) == ("青山市",)
    assert missing(plan, lead, [lead, end]) == ()
    assert missing(plan, lead, [lead, replace(end, text="特此通告。白沙市交通运输局 2026年2月9日")]) == ("青山市",)
    story = replace(end, text="青山市交通运输局有关负责人参加了2026年2月9日的调研。")
    assert missing(plan, lead, [lead, story]) == ("青山市",)


def test_a_page_is_named_by_the_place_its_headline_names() -> None:
    """A page stored without a title opens with its headline ('青政发…-青山市人民政府关于…的通知'): the
    place there is the place of every passage below. The headline ends at the first comma or colon, so the
    addressees after it ('各区县人民政府，白沙新区管委会：') name no place of the document."""
    from dataclasses import replace

    plan = analyze("青山市对经营困难的小微企业减免多少房租？", DAY)
    lead = chunk("对承租国有房产的小微企业，免收2个月房租。")
    head = replace(lead, id="c0", text="青政发〔2026〕3号-青山市人民政府关于支持小微企业共渡难关的通知 各区县人民政府，白沙新区管委会：")
    assert missing(plan, lead) == ("青山市",)
    assert missing(plan, lead, [head, lead]) == ()
    other = analyze("白沙新区对经营困难的小微企业减免多少房租？", DAY)
    assert missing(other, lead, [head, lead]) == ("白沙新区",)


def test_the_wider_pool_keeps_a_passage_its_document_names(tmp_path: Path, settings: Settings) -> None:
    """A gate miss looks again in a wider pool; a passage there that says 我市 of the place its document
    names (in its first lines) passes the gate as a lead, so it must not be dropped from that pool for
    lacking the name itself (the pool was filtered without the document and the question was refused)."""
    from dataclasses import replace

    settings = replace(settings, top_k=1, chunk_chars=60)
    rows = [
        {"id": "qs", "title": "规上工业企业恢复生产情况", "date": "2026-02-21",
         "text": "截至2月20日，青山市已有512家规上工业企业恢复生产，规上工业企业恢复生产比例达到87%。"},
        {"id": "bs", "title": "复工情况通报", "date": "2026-02-21",
         "text": "白沙市经信局发布本周复工情况通报。\n\n各区县经信部门逐日汇总辖区企业的开工、用工和用电情况，"
                 "并按周报送市经信局。\n\n截至2月20日，我市已有230家规上工业企业恢复生产。"},
    ]
    index_rows(tmp_path / "reports.jsonl", rows, settings)
    assistant = Assistant(settings)
    chunks = [h.chunk.text for h in assistant.search("白沙市恢复生产的规上工业企业有多少家？", top_k=10)]
    assert chunks[0].startswith("截至2月20日，青山市") and any("我市已有230家" in c and "白沙" not in c for c in chunks)
    answer = assistant.ask("白沙市恢复生产的规上工业企业有多少家？")
    assert answer.answerable and "230家" in answer.answer and "512" not in answer.answer


def test_a_place_is_named_by_a_self_reference_of_its_own_level() -> None:
    """A 街道's passage names itself by its whole level (本街道); a 开发区's also by the level its suffix
    ends in (我区); a passage that says 我市 speaks of its city, not of
    the 街道 its document also names (the level was cut to its last character, '道', and any level passed)."""
    plan = analyze("东湖街道对返岗人员提供哪些服务？", DAY)
    head = chunk("各社区：东湖街道办事处提醒做好返岗登记。", title="返岗服务通知", cid="c0")  # named below the headline
    own = chunk("本街道为返岗人员提供免费核酸检测和临时住宿。", title="返岗服务通知")
    city = chunk("我市为返岗人员提供免费核酸检测和临时住宿。", title="返岗服务通知")
    assert missing(plan, own, [head, own]) == ()
    assert missing(plan, city, [head, city]) == ("东湖街道",)
    plan = analyze("临川开发区对返岗人员提供哪些服务？", DAY)
    zone = chunk("各企业：临川开发区管委会提醒做好返岗登记。", title="返岗服务通知", cid="c0")
    ours = chunk("我区为返岗人员提供免费核酸检测。", title="返岗服务通知")
    assert missing(plan, ours, [zone, ours]) == ()


def test_a_page_is_named_by_its_issuer_label() -> None:
    """A page copied from a government site opens with label lines ('索引号：… 发布机构：青山市经信局 …'):
    the issuer there is the place of every passage below, as a signature is; the headline ends at the first
    colon and never read it. Addressees ('各企业：') are no label, and another place's issuer names nothing."""
    plan = analyze("青山市对返岗员工发放多少交通补贴？", DAY)
    head = chunk("关于做好返岗服务的通知 索引号：QS-2026-0012 发布机构：青山市经信局 发文日期：2026-02-10 "
                 "各企业：为做好返岗服务，请按以下要求办理。", cid="c0")
    lead = chunk("对返岗员工每人发放交通补贴300元。")
    assert missing(plan, lead) == ("青山市",)
    assert missing(plan, lead, [head, lead]) == ()
    other = chunk("关于做好返岗服务的通知 发布机构：白沙市经信局 各企业：青山市企业参照执行。", cid="c0")
    assert missing(plan, lead, [other, lead]) == ("青山市",)


def test_an_organisation_is_named_by_its_full_name() -> None:
    """A question writes the short name ('人社部'), the passage the full one (人力资源社会保障部): the
    characters of the short name in order, with a few between them, name it; another body does not."""
    plan = analyze("人社部对返岗农民工有哪些补贴？", DAY)
    assert gated_orgs(plan) == ("人社部",)
    assert missing(plan, chunk("人力资源社会保障部明确，返岗农民工可领取一次性交通补贴。")) == ()
    assert missing(plan, chunk("财政部明确，返岗农民工可领取一次性交通补贴。")) == ("人社部",)
    assert missing(plan, chunk("人民银行和社保经办机构协同办理补贴发放。")) == ("人社部",)  # 人…社 but no 部


def test_a_figure_question_is_not_answered_by_a_sentence_without_a_value() -> None:
    """'多少家' answered by a sentence that states no number at all is no answer, however sure the scorer is
    of it; the same sentence with its figure is."""
    plan = analyze("青山市有多少家企业获评绿色工厂？", DAY, idf=lambda w: 1.0)
    bare = chunk("青山市积极推进绿色工厂创建，企业生产线智能化水平持续提升。")
    told = chunk("青山市已有36家企业获评绿色工厂，企业生产线智能化水平持续提升。")
    verdicts = []
    for c in (bare, told):
        quote = c.text.split("，")[0]
        result = Extracted(quote + "[1]。", True, (citation(1, c, quote),), score=0.95)
        verdicts.append(judge(plan, result, [Hit(c, 1.0, 1)]))
    assert verdicts[0] is not None and verdicts[0].refuses(threshold())
    assert verdicts[1] is not None and not verdicts[1].refuses(threshold())
