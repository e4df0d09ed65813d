"""Per-claim verification: each clause with [n] markers is checked against the sources it cites, figure
by figure, after normalisation (numbers with any unit, Chinese numerals, percent, 个百分点, dates to the
day, month spans, ranks, document numbers). Passages are written for these tests."""

from __future__ import annotations

from decimal import Decimal

from app.scan import scan
from app.schema import Chunk
from app.verify import figures, verify


def source(text: str, index_text: str = "", title: str = "示例材料", doc_date: str = "2026-01-10") -> Chunk:
    return Chunk("c" + str(abs(hash(text)) % 10**8), "kb/示例.md", title, "article", "第1段", "", text,
                 index_text or text, doc_date, (), "", 0)


INDUSTRY = source("2025年，全县规上工业企业达到838家，规上工业产值增长7.2%，增速居全省第一；"
                  "先进制造业集群营收进入全省前十位。")
MEETING = source("推进会于2025年3月5日召开，1—11月共签约项目21个，计划总投资35亿元。")
TRADE = source("全年出口额15亿港元，同比提高3个百分点，占比45.30%。")
REVENUE = source("人工智能产业规上营收达到143.79亿元，同比增长45.30%。")
OUTPUT = source("规上工业产值1923.3亿元，比上年增长7.2%。")


def unsupported(answer: str, sources: list[Chunk]) -> tuple[str, ...]:
    return verify(answer, sources).unsupported


# --- one wrong figure of each kind: every one of these was verified before per-claim checking ---

def test_wrong_rank_is_unverified() -> None:
    assert unsupported("增速居全省第三[1]。", [INDUSTRY]) == ("居全省第三",)
    assert verify("增速居全省第一[1]。", [INDUSTRY]).verified


def test_rank_scope_must_match_the_source() -> None:
    assert not verify("增速居全国第一[1]。", [INDUSTRY]).verified
    assert unsupported("集群营收进入全省前五位[1]。", [INDUSTRY]) == ("进入全省前五",)
    assert verify("集群营收进入全省前十位[1]。", [INDUSTRY]).verified


def test_rank_verb_inside_a_word_gives_no_scope() -> None:
    listed = source("该企业入选省级第一批智能工厂名单。")
    assert verify("该企业被列入省级第一批智能工厂名单[1]。", [listed]).verified  # 列入 is a word, not 列 + scope
    assert not verify("该企业被列入省级第二批智能工厂名单[1]。", [listed]).verified


def test_first_place_equals_rank_one() -> None:
    top = source("全县工业增加值增速居全市首位。")
    assert verify("工业增加值增速居全市第一[1]。", [top]).verified
    assert not verify("工业增加值增速居全市第二[1]。", [top]).verified


def test_wrong_day_is_unverified() -> None:
    assert unsupported("推进会于2025年3月6日召开[1]。", [MEETING]) == ("2025年3月6日",)
    assert unsupported("推进会于3月6日召开[1]。", [MEETING]) == ("3月6日",)
    assert verify("推进会于2025年3月5日召开[1]。", [MEETING]).verified
    assert verify("推进会于3月5日召开[1]。", [MEETING]).verified


def test_iso_date_equals_chinese_date() -> None:
    assert verify("推进会于2025-03-05召开[1]。", [MEETING]).verified
    assert not verify("推进会于2025-03-15召开[1]。", [MEETING]).verified


def test_wrong_bare_number_is_unverified() -> None:
    assert unsupported("全县规上工业企业数量为938[1]。", [INDUSTRY]) == ("938",)
    assert verify("全县规上工业企业数量为838[1]。", [INDUSTRY]).verified  # 838 = 838家


def test_figure_held_only_by_another_cited_source_is_unverified() -> None:
    answer = "人工智能产业营收1923.3亿元[1]，规上工业产值143.79亿元[2]。"
    verdict = verify(answer, [REVENUE, OUTPUT])
    assert not verdict.verified and verdict.unsupported == ("1923.3亿元", "143.79亿元")
    assert verify("人工智能产业营收143.79亿元[1]，规上工业产值1923.3亿元[2]。", [REVENUE, OUTPUT]).verified
    assert verify("营收143.79亿元，产值1923.3亿元[1][2]。", [REVENUE, OUTPUT]).verified


def test_figures_after_the_last_marker_have_no_citation() -> None:
    answer = "人工智能产业规上营收143.79亿元[1]。另有838家规上工业企业。"
    verdict = verify(answer, [REVENUE, INDUSTRY])
    assert verdict.unsupported == ("838家",)
    assert verdict.claims[-1].cited == () and not verdict.claims[-1].verified
    # the rest of the sentence the marker stands in belongs to that claim
    assert verify("人工智能产业规上营收143.79亿元[1]，同比增长45.30%。", [REVENUE]).verified


def test_wrong_month_span_is_unverified() -> None:
    assert unsupported("1—10月共签约项目21个[1]。", [MEETING]) == ("1—10月",)
    assert verify("1-11月共签约项目21个[1]。", [MEETING]).verified


def test_quarter_equals_its_months() -> None:
    quarter = source("2025年一季度，全县技改投资增长12.4%。")
    assert verify("2025年1-3月技改投资增长12.4%[1]。", [quarter]).verified
    assert not verify("2025年1-6月技改投资增长12.4%[1]。", [quarter]).verified


def test_chinese_numerals_and_mixed_forms() -> None:
    assert verify("计划总投资三十五亿元[1]。", [MEETING]).verified
    assert unsupported("计划总投资三十六亿元[1]。", [MEETING]) == ("三十六亿元",)
    big = source("全县工业总产值突破12000亿元。")
    assert verify("工业总产值突破1.2万亿元[1]。", [big]).verified
    assert not verify("工业总产值突破1.3万亿元[1]。", [big]).verified


def test_scale_and_decimal_forms_are_equal() -> None:
    assert verify("人工智能产业规上营收达到1437900万元，增长45.3%[1]。", [REVENUE]).verified
    assert verify("人工智能产业规上营收达到1,437,900万元[1]。", [REVENUE]).verified


def test_percent_in_words() -> None:
    ten = source("研发投入占比达到10%。")
    assert verify("研发投入占比达到百分之十[1]。", [ten]).verified
    assert unsupported("研发投入占比达到百分之十二[1]。", [ten]) == ("百分之十二",)


def test_percentage_points_are_not_percent() -> None:
    assert verify("出口占比提高三个百分点[1]。", [TRADE]).verified
    assert unsupported("出口占比提高四个百分点[1]。", [TRADE]) == ("四个百分点",)
    assert not verify("出口占比提高3%[1]。", [TRADE]).verified


def test_currency_or_measure_word_must_match() -> None:
    assert unsupported("全年出口额15亿美元[1]。", [TRADE]) == ("15亿美元",)
    assert verify("全年出口额15亿港元[1]。", [TRADE]).verified
    land = source("新建标准厂房5000平方米。")
    assert not verify("新建标准厂房5000平方公里[1]。", [land]).verified
    assert verify("新建标准厂房5000平方米[1]。", [land]).verified


def test_english_amounts() -> None:
    assert verify("Exports reached HK$1.5 billion[1].", [TRADE]).verified
    assert not verify("Exports reached HK$1.6 billion[1].", [TRADE]).verified
    assert not verify("Exports reached US$1.5 billion[1].", [TRADE]).verified


def test_two_digit_years() -> None:
    assert verify("推进会于25年3月5日召开[1]。", [MEETING]).verified
    assert not verify("推进会于24年3月5日召开[1]。", [MEETING]).verified
    assert not verify("推进会于'24召开[1]。", [MEETING]).verified
    decades = source("该企业成立25年来专注于电机制造。")
    assert verify("该企业成立25年来专注于电机制造[1]。", [decades]).verified  # a duration, not a year


def test_year_from_resolved_relative_date() -> None:
    last_year = source("去年全县新增专精特新企业3家。", index_text="2025年全县新增专精特新企业3家。")
    assert verify("2025年全县新增专精特新企业3家[1]。", [last_year]).verified
    assert unsupported("2024年全县新增专精特新企业3家[1]。", [last_year]) == ("2024年",)


def test_document_number_must_match() -> None:
    notice = source("根据《关于组织申报技改项目的通知》（示经信〔2025〕12号），申报截止日期为2025年4月30日。")
    assert verify("申报依据示经信〔2025〕12号文件，截止日期为2025年4月30日[1]。", [notice]).verified
    assert not verify("申报依据示经信〔2025〕13号文件[1]。", [notice]).verified


def test_unparseable_figure_is_unverified() -> None:
    assert not verify("计划总投资两三十亿元[1]。", [MEETING]).verified
    assert unsupported("计划总投资两三十亿元[1]。", [MEETING]) == ("两三十亿元",)


def test_claim_without_figures_and_ordinary_words_pass() -> None:
    assert verify("推进会提出一是加强服务，二是进一步优化营商环境[1]。", [MEETING]).verified
    assert verify("1. 规上工业产值1923.3亿元[1]；\n2. 比上年增长7.2%[1]。", [OUTPUT]).verified


def test_answer_without_any_marker() -> None:
    verdict = verify("规上工业产值1923.3亿元。", [OUTPUT])
    assert verdict.unsupported == ("1923.3亿元", "（回答没有标注任何来源）") and verdict.cited == ()


def test_out_of_range_marker_cites_nothing() -> None:
    verdict = verify("规上工业产值1923.3亿元[7]。", [OUTPUT])
    assert verdict.unsupported == ("1923.3亿元", "（回答没有标注任何来源）") and verdict.cited == ()


# --- the scanner (app.scan) on its own ---

def test_values_are_typed_and_normalised() -> None:
    found = {(v.kind, v.key) for v in scan("三十五亿元、1.2万亿、百分之十、3个百分点、2025年1—11月、第二")}
    assert ("number", (Decimal("3.5E+9"),)) in found and ("number", (Decimal("1.2E+12"),)) in found
    assert ("percent", (Decimal(10),)) in found and ("points", (Decimal(3),)) in found
    assert ("months", (2025, 1, 11)) in found and ("rank", (2,)) in found


def test_contact_and_document_matchers() -> None:
    text = "联系电话0573-85012345，邮箱 jxj@example.gov.cn，网址 https://example.gov.cn/a?b=1 ，文号示经信〔2025〕12号。"
    kinds = {v.kind: v.key for v in scan(text)}
    assert kinds["phone"] == ("057385012345",) and kinds["email"] == ("jxj@example.gov.cn",)
    assert kinds["url"] == ("https://example.gov.cn/a?b=1",) and kinds["docno"] == (2025, 12)
    assert "number" not in kinds and "year" not in kinds


def test_figures_keeps_its_shape_for_quotes() -> None:
    assert figures("营收143.79亿元，增长45.30%，提高3个百分点。") == [
        ("143.79亿元", Decimal("1.4379E+10"), "元"), ("45.30%", Decimal("45.3"), "%"),
        ("3个百分点", Decimal(3), "个百分点")]
