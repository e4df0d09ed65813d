"""Which figure a question asks: a rate or an amount (question_words.json 'rate'), and a count's measure."""

from __future__ import annotations

from app.asked import measure_of
from app.values import asked_measure, asks_rate, values


def test_an_indicator_named_with_a_word_of_change_is_an_amount() -> None:
    """'增加值' and '成交额' are amounts although 增加 and 成 are words of change and share: read whole, as
    jieba cuts the question (matched as text, '规上工业增加值是多少' asked a rate and its amount rule was off)."""
    assert not asks_rate("2025年规上工业增加值是多少？")
    assert not asks_rate("技术合同成交额是多少")
    assert not asks_rate("全年完成工业投资多少亿元")
    assert asks_rate("规上工业增加值增长多少？") and asks_rate("项目完成率是多少") and asks_rate("产值占比多少")
    assert asks_rate("利润增加多少") and asks_rate("提高了几个百分点")


def test_a_count_with_an_approximate_figure_keeps_its_measure() -> None:
    """'100余家' is a count of 家: the unit's leading 余 / 多 is no measure (it failed a '多少家' question)."""
    assert asked_measure("新增企业多少家？") == "家" and asked_measure("新开工几项") == "项件"
    units = [v.unit for v in values("全市共有100余家企业，新开工30多项")]
    assert [measure_of(u)[0] for u in units] == ["家", "项"]
