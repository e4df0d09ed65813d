"""Agreement across documents (app/agree.py): of near-tied candidates, the asked value that other documents
state too leads; one document repeating itself, or a candidate the scorer ranks far lower, changes nothing."""

from __future__ import annotations

from app.agree import agreed_first, value_keys
from app.candidates import Candidate, Span
from app.choose import compose_answer
from app.extract import Asked
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


def _candidate(source: str, text: str, score: float, ordinal: int = 0) -> Candidate:
    chunk = Chunk(f"{source}-{ordinal}", source, source, "article", "", "", text, text, "2026-01-10", (), "2025", ordinal)
    return Candidate(chunk, text, text, score, 0.9, frozenset({0, 1, 2}), ordinal + 1, 0.3, Span(text, "sentence", 0))


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
    assert "38.2万千瓦" in _lead(cands)


def test_a_candidate_scored_far_lower_does_not_lead_for_agreement() -> None:
    cands = [_candidate("能源局访谈.txt", LAST_YEAR, 0.996), _candidate("晚报.txt", REPORT_A, 0.2),
             _candidate("统计公报.txt", REPORT_B, 0.1)]
    assert agreed_first(cands, "numeric") == cands


def test_a_date_agrees_with_the_same_day_written_with_its_year() -> None:
    assert value_keys("date", "3月10日，该行被监管机构接管。") == value_keys("date", "2023年3月10日该行被接管")
    assert value_keys("date", "3月10日") != value_keys("date", "3月12日")
    assert value_keys("entity", "3月10日") == frozenset()  # a question asking no value has none to agree on
