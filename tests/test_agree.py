"""Agreement across documents (app/agree.py): of near-tied candidates, the asked value that other documents
state too leads; one document repeating itself, or a candidate the scorer ranks far lower, changes nothing."""

from __future__ import annotations

from app.agree import agreed_first, shared, value_keys
from app.asked import Asked
from app.candidates import Candidate, Span
from app.choose import compose_answer
from app.query import analyze
from app.schema import Chunk
from tests.conftest import QUESTION_DATE

QUESTION = "2025年平湖市光伏装机容量是多少？"
KEEP = ["平湖", "平湖市", "光伏", "装机", "容量"]
# the best-scored report compares with the year before and states that year's figure; two other reports state
# the asked one
LAST_YEAR = "据平湖市能源局介绍，2024年平湖市光伏装机容量为38.2万千瓦，比上年增长两成。"
REPORT_A = "2025年平湖市光伏装机容量达到45.6万千瓦，其中分布式光伏占七成。"
REPORT_B = "截至2025年底，平湖市光伏装机容量45.6万千瓦，居嘉兴各县市前列。"


def _candidate(source: str, text: str, score: float, ordinal: int = 0,
               covered: frozenset[int] = frozenset({0, 1, 2})) -> Candidate:
    chunk = Chunk(f"{source}-{ordinal}", source, source, "article", "", "", text, text, "2026-01-10", (), "2025", ordinal)
    return Candidate(chunk, text, text, score, 0.9, covered, ordinal + 1, 0.3, Span(text, "sentence", 0))


def _lead(cands: list[Candidate]) -> str:
    query = analyze(QUESTION, QUESTION_DATE)
    answer = compose_answer(query, cands, KEEP, Asked("numeric"), frozenset({0, 1}))
    return answer.text.split("[1]")[0]


def test_the_value_other_documents_state_leads_a_near_tie() -> None:
    cands = [_candidate("能源局访谈.txt", LAST_YEAR, 0.996), _candidate("晚报.txt", REPORT_A, 0.995),
             _candidate("统计公报.txt", REPORT_B, 0.990)]
    assert "45.6万千瓦" in _lead(cands)
    assert [c.chunk.source for c in agreed_first(cands, "numeric")] == ["晚报.txt", "能源局访谈.txt", "统计公报.txt"]


def test_one_document_repeating_itself_is_no_agreement() -> None:
    cands = [_candidate("能源局访谈.txt", LAST_YEAR, 0.996), _candidate("晚报.txt", REPORT_A, 0.995, 0),
             _candidate("晚报.txt", REPORT_B, 0.990, 1)]
    assert agreed_first(cands, "numeric") == cands
    # the lead still changes, but not by agreement: the best one answers for 2024, the question asks 2025
    # (lead.answers_another_year), so the next document's sentence leads, not the one its pair agrees on
    assert _lead(cands).startswith("2025年平湖市光伏装机容量达到45.6万千瓦")


def test_a_candidate_scored_far_lower_does_not_lead_for_agreement() -> None:
    cands = [_candidate("能源局访谈.txt", LAST_YEAR, 0.996), _candidate("晚报.txt", REPORT_A, 0.2),
             _candidate("统计公报.txt", REPORT_B, 0.1)]
    assert agreed_first(cands, "numeric") == cands


def test_a_date_agrees_with_the_same_day_written_with_its_year() -> None:
    assert shared(value_keys("date", "3月10日，该行被监管机构接管。"), value_keys("date", "2023年3月10日该行被接管"))
    assert not shared(value_keys("date", "3月10日"), value_keys("date", "3月12日"))
    # last year's date of the same day is another date (the year was dropped before)
    assert not shared(value_keys("date", "2022年3月10日开幕"), value_keys("date", "2023年3月10日开幕"))
    assert value_keys("entity", "3月10日") == frozenset()  # a question asking no value has none to agree on


WHO = "谁获得了2025年平湖市青年创业大赛一等奖？"
# the best-scored sentence names the award but only the judges; two other reports name the winner
JUDGES = "2025年平湖市青年创业大赛一等奖评审由张建华、李明远等专家组成的评委会完成。"
WINNER_A = "在2025年平湖市青年创业大赛中，王晓东凭借智能灌溉项目获得一等奖。"
WINNER_B = "王晓东的团队拿下了今年平湖市青年创业大赛的一等奖。"


def test_values_are_read_in_match_form_as_the_ranker_reads_them() -> None:
    """value_keys scans the candidate in match form (quotes and spaces dropped), the text the ranker scans:
    a date whose year stands in quotes is one whole date, and agrees with no other year's same day."""
    quoted = value_keys("date", "“2024年”5月8日起发布")
    assert quoted == value_keys("date", "2024年5月8日起发布")
    assert not shared(quoted, value_keys("date", "2023年5月8日起发布"))


def test_a_who_question_agrees_on_the_person_other_documents_name() -> None:
    cands = [_candidate("评审纪要.txt", JUDGES, 0.996), _candidate("日报.txt", WINNER_A, 0.995),
             _candidate("电视台.txt", WINNER_B, 0.990)]
    query = analyze(WHO, QUESTION_DATE)
    assert query.wants == "nr"
    answer = compose_answer(query, cands, ["平湖", "平湖市", "青年", "创业", "大赛", "一等奖"], None, frozenset({0, 1}))
    assert "王晓东" in answer.text.split("[1]")[0]
    assert agreed_first(cands, query.qtype) == cands  # no asked kind of name given: nothing to agree on


def test_name_keys_are_the_names_of_a_cut_of_the_whole_text() -> None:
    """name_keys reads the names of the asked kind block by block, from the dictionary pass and the HMM's runs
    (app/tags.py names_of, kept per block and run): the names a cut of the whole text finds."""
    from app.agree import name_keys
    from app.tags import pos_tokenizer

    texts = ["张伟在杭州市经济和信息化局主持召开了全市数字经济工作会议。李娜出席。",
             "2025年，青山市新增专精特新企业37家（累计215家），王芳表示：GDP增长5.2%，排名第3-5位。",
             "Mar 3, 2026 ... 云溪数字产业园 定位为\r\n全市算力服务中心；华为公司在深圳发布新品", "", "。；！"]
    for text in texts:
        cut = [(p.word, p.flag) for p in pos_tokenizer().cut(text)]  # type: ignore[attr-defined]
        for kind in ("nr", "ns", "nt"):
            whole = {("name", w) for w, f in cut if f == kind and len(w) >= 2 and not w.isascii()}
            assert name_keys(kind, "", text) == whole, (text, kind)


RACE = "谁获得了2025年平湖市运动会1500米长跑冠军？"
# the best-scored report names the asked race's winner; two other reports agree on another race's winner,
# whose distance is a part of the asked one's ('500米' in '1500米' as text, not as a number)
WINNER_1500 = "在2025年平湖市运动会1500米长跑项目上，王晓东以4分02秒夺得冠军。"
WINNER_500_A = "2025年平湖市运动会500米长跑冠军由李建国获得。"
WINNER_500_B = "李建国在平湖市运动会500米长跑项目上夺冠，这是他第三次获得冠军。"


def test_agreement_never_leads_with_a_candidate_that_drops_a_number_the_question_names() -> None:
    cands = [_candidate("体育局.txt", WINNER_1500, 0.996), _candidate("日报.txt", WINNER_500_A, 0.995),
             _candidate("电视台.txt", WINNER_500_B, 0.990)]
    query = analyze(RACE, QUESTION_DATE)
    answer = compose_answer(query, cands, ["平湖", "平湖市", "运动会", "男子", "比赛", "冠军"], None, frozenset({0, 1}))
    assert "王晓东" in answer.text.split("[1]")[0]


def test_the_agreed_value_is_not_swapped_back_for_naming_more_of_the_question() -> None:
    # the best-scored sentence names one more of the question's words (介绍); agreement moves the value two
    # other reports state to the front, and the best one then supports it instead of leading again
    cands = [_candidate("访谈.txt", "据平湖市能源局介绍，平湖市光伏装机容量为38.2万千瓦，比上年增长两成。", 0.996, 0,
                        frozenset({0, 1, 2, 3})),
             _candidate("晚报.txt", "平湖市光伏装机容量达到45.6万千瓦，其中分布式光伏占七成。", 0.995),
             _candidate("统计公报.txt", "截至年底，平湖市光伏装机容量45.6万千瓦，居嘉兴各县市前列。", 0.990)]
    query = analyze("平湖市光伏装机容量是多少？", QUESTION_DATE)
    answer = compose_answer(query, cands, KEEP, Asked("numeric"), frozenset({0, 1}))
    assert answer.text.startswith("平湖市光伏装机容量达到45.6万千瓦")

def test_a_pool_from_one_document_keeps_its_order_without_reading_values() -> None:
    """One document's candidates cannot agree with another's: the order is kept and no value is read (the
    values of a new candidate are scanned once each, a third of a figure question's first ask)."""
    from app.values import values

    cands = [_candidate("能源局访谈.txt", LAST_YEAR, 0.996), _candidate("能源局访谈.txt", REPORT_A, 0.995, 1),
             _candidate("能源局访谈.txt", REPORT_B, 0.990, 2)]
    values.cache_clear()
    assert agreed_first(cands, "numeric") == cands
    assert values.cache_info().misses == 0


def test_a_rate_question_agrees_on_rates_not_on_the_amount_beside_them() -> None:
    """Reports that give the same 产值 amount agree on the amount, not on the growth the question asks: the
    sentence with that amount and another rate once led the rate two documents state."""
    question = "2025年平湖市工业产值增速是多少？"
    cands = [
        _candidate("晚报.txt", "2025年平湖市工业产值同比增长6.5%，增速居嘉兴前列。", 0.996),
        _candidate("简报.txt", "平湖市规上工业产值2025年为1280亿元，按现价计算增长3.1%。", 0.995),
        _candidate("统计公报.txt", "全年全市规上工业产值1280亿元。", 0.990),
        _candidate("日报.txt", "平湖工业产值1280亿元，总体保持平稳。", 0.989),
        _candidate("电视台.txt", "平湖工业产值增长6.5%，好于预期。", 0.985),
    ]
    assert agreed_first(cands, "numeric", question=question)[0].chunk.source == "晚报.txt"
    # a question for an amount still agrees on it
    assert agreed_first(cands, "numeric", question="2025年平湖市工业产值是多少？")[0].chunk.source == "简报.txt"


def test_an_amount_agrees_with_itself_written_with_its_measure_word() -> None:
    """'参保人数86万' and '86万人' state one amount; 86万元 is another thing's amount, and 87万人 another value."""
    bare = value_keys("numeric", "今年全市参保人数86万，创历年新高。")
    assert shared(bare, value_keys("numeric", "参保总人数达到86万人。"))
    assert not shared(value_keys("numeric", "补贴资金86万元"), value_keys("numeric", "参保人数86万人"))
    assert not shared(bare, value_keys("numeric", "参保总人数达到87万人。"))
