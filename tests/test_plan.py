"""The question plan (app/query.py): computed once, from question words, parts of speech and structure;
lexicons are data files (real jieba, no index needed)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from app.constraints import place_stem, places_in
from app.errors import ConfigError
from app.query import METRICS, analyze
from app.tags import pos_tokenizer
from app.terms import TermWeights, term_weights
from app.text import DATA_DIR

DAY = dt.date(2026, 3, 1)


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("青禾科技去年营收是多少", "number"),
        ("园区占地多大", "number"),
        ("展会什么时候开幕", "date"),
        ("蓝湾智能何时投产", "date"),
        ("市经信局局长是谁", "person"),
        ("算力中心建在哪里", "place"),
        ("领航企业有哪些", "list"),
        ("产业集群营收增速排名第几", "rank"),
        ("如何申请技术改造补助", "conditions"),
        ("为什么推迟开工", "reason"),
        ("谈谈两化改造", "description"),
    ],
)
def test_asked_type_from_question_words(question: str, asked: str) -> None:
    assert analyze(question, DAY).asked == asked


def test_each_ones_figure_asks_for_figures() -> None:
    """'各园区亩均税收分别是多少' asks for a figure per park: the value word decides the type and 分别 only
    says there are several (before, 分别是 made it a list, and no figure counted as fitting the question)."""
    assert analyze("各园区亩均税收分别是多少", DAY).qtype == "numeric"
    assert analyze("各园区亩均税收分别是多少", DAY).asked == "number"
    assert analyze("两家领航企业分别是", DAY).qtype == "list"


def test_asked_type_needs_no_topic_noun() -> None:
    """A noun of the topic never decides the type: '…的主办方' with no question word asks for a description,
    and '…的主办方是谁' for a person because of 谁 (before, role nouns in a Python list decided it)."""
    assert analyze("秋季农博会的主演", DAY).wants == ""
    assert analyze("秋季农博会的主办方是谁", DAY).wants == "nr"


def test_constraints_by_part_of_speech_and_structure() -> None:
    plan = analyze("去年东湖街道一季度规上工业产值是多少", DAY)
    assert plan.years == ("2025",)
    assert plan.places == ("东湖街道",)  # jieba cuts 东湖 / 街道: the suffix takes the name before it
    assert plan.periods == ("一季度",)
    plan = analyze("平川市新桥港镇1-11月工业投资", DAY)
    assert plan.places == ("平川市", "新桥港镇") and plan.months == "1-11月"
    assert analyze("全省规上工业增加值增长多少", DAY).places == ()  # 全省 names no place
    assert "税务局" in analyze("青山市税务局出台了哪些减免政策", DAY).orgs


def test_places_in_takes_tagged_words() -> None:
    tagged = [(p.word, p.flag) for p in pos_tokenizer().cut("辽宁省有多少家企业恢复开工")]  # type: ignore[attr-defined]
    assert places_in(tagged) == ("辽宁省",)
    assert place_stem("辽宁省") == "辽宁" and place_stem("东湖街道") == "东湖" and place_stem("沙县") == "沙县"


def test_term_weights_are_idf_times_part_of_speech() -> None:
    plan = analyze("青山市有哪些企业", DAY, idf=lambda w: 2.0)
    weight = {t.text: t.weight for t in plan.terms}
    factors = term_weights()
    assert weight["青山"] == pytest.approx(2.0 * factors.factor("ns"))  # place name
    assert weight["企业"] == pytest.approx(2.0 * factors.factor("n"))  # noun
    no_index = {t.text: t.weight for t in analyze("青山市有哪些企业", DAY).terms}
    assert no_index["企业"] == pytest.approx(factors.factor("n"))  # no index: factor alone


def test_facets_are_split_once_in_the_plan() -> None:
    plan = analyze("2025年人工智能和集成电路产业营收分别是多少", DAY)
    assert [f.text for f in plan.facets] == ["2025年人工智能产业营收是多少", "2025年集成电路产业营收是多少"]
    assert all(f.facets == () and f.years == ("2025",) for f in plan.facets)
    assert analyze("机器人与数控机床产业集群营收增速是多少", DAY).facets == ()  # one cluster's name, not two subjects


def test_lexicons_are_data_files_not_python() -> None:
    """Metric words come from app/data/metrics.txt; no dev-set noun or one-question repair is left in
    the plan's modules (app/query.py and the stages split from it, app/terms.py and app/constraints.py)."""
    assert METRICS["营收"] == ("营收", "营业收入", "收入")
    assert (DATA_DIR / "question_words.json").is_file() and (DATA_DIR / "term_weights.json").is_file()
    app_dir = Path(__file__).resolve().parent.parent / "app"
    source = "\n".join((app_dir / name).read_text(encoding="utf-8") for name in ("query.py", "terms.py", "constraints.py"))
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))
    for word in ("票房", "交付量", "导演", "主演", "得主", "举办地", "男女", "男子", "EMNLP"):
        assert not re.search(word, code), word


def test_bm25_keys_mark_pieces_and_synonyms() -> None:
    """Search mode yields '杭州' '州市' besides '杭州市': the pieces are marked so a place counts once at its
    fitted factor, not three times; a synonym's tokens are marked as brought in."""
    keys = {k.token: k for k in analyze("杭州市规上工业营收是多少", DAY).keys}
    assert not keys["杭州市"].part and keys["杭州"].part and keys["州市"].part
    assert keys["规模以上工业"].synonym and not keys["规模以上工业"].part and not keys["营收"].synonym


def test_term_weights_file_is_validated() -> None:
    """The factors come from a data file written by bench/fit_terms.py; a broken one is refused with the fix."""
    raw = json.loads((DATA_DIR / "term_weights.json").read_text(encoding="utf-8"))
    weights = TermWeights.from_json(raw)
    assert weights.factor("ns") == raw["classes"]["place_org"]["factor"] and weights.factor("无此词性") == raw["default"]
    assert TermWeights.from_json(json.loads(json.dumps(weights.to_json()))) == weights
    with pytest.raises(ConfigError, match="fit_terms"):
        TermWeights.from_json({**raw, "fusion": {"bm25": 0, "vector": 0, "rrf_k": 60}})
    with pytest.raises(ConfigError, match="fit_terms"):
        TermWeights.from_json({**raw, "synonym": -1})


def test_facets_only_for_parts_asked_each() -> None:
    """A question for a list, a way or a reason about 'A和B', or an enumeration with 、, is one plan; a figure
    for each of two places is two."""
    assert analyze("青山市对规上企业和小微企业有哪些扶持政策", DAY).facets == ()
    assert analyze("白水县对迟到、早退的职工如何处理", DAY).facets == ()
    assert len(analyze("2025年青山区和白水县规上工业增加值是多少", DAY).facets) == 2


def test_a_questions_benian_pins_no_year_and_jinnian_pins_the_asking_day() -> None:
    """本年 (like 本届) points at the text asked of ('本年联赛' of a 2019 report is 2019's), not at today;
    今年 is the asking day's year."""
    assert analyze("谁获得本年联赛的最佳射手奖？", DAY).years == ()
    assert analyze("今年联赛的最佳射手是谁？", DAY).years == ("2026",)
