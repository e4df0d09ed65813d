"""Joining a two-part question's answers: every part's answer leads, citations in reading order."""

from __future__ import annotations

from app.choose import Extracted
from app.combine import cited_pieces, combine
from app.evaluate import lead
from app.schema import Citation


def cite(n: int, source: str, quote: str) -> Citation:
    return Citation(n=n, source=source, title=source, locator="第1段", quote=quote, chunk_id=f"{source}#{n}")


def part(text: str, *cites: Citation) -> Extracted:
    return Extracted(text, True, cites)


def test_every_part_leads_before_supporting_pieces() -> None:
    """Part 2's value came third, after part 1's supporting sentence; now the first two pieces hold both."""
    first = part("东湖园区去年新建厂房12万平方米[1]；园区厂房出租率保持在九成以上[2]。",
                 cite(1, "园区.md", "东湖园区去年新建厂房12万平方米。"), cite(2, "快报.md", "园区厂房出租率保持在九成以上。"))
    second = part("西湖园区去年引进项目37个[1]；其中外资项目占比约三成[2]。",
                  cite(1, "招商.md", "西湖园区去年引进项目37个。"), cite(2, "招商.md", "其中外资项目占比约三成。"))
    joined = combine([first, second], ["东湖园区新建厂房多少", "西湖园区引进项目几个"])
    head = lead(joined.text, 2)
    assert "12万平方米" in head and "37个" in head, joined.text
    assert joined.text == ("东湖园区去年新建厂房12万平方米[1]；西湖园区去年引进项目37个[2]；"
                           "园区厂房出租率保持在九成以上[3]；其中外资项目占比约三成[4]。")
    assert [(c.n, c.source, c.quote) for c in joined.citations] == [
        (1, "园区.md", "东湖园区去年新建厂房12万平方米。"), (2, "招商.md", "西湖园区去年引进项目37个。"),
        (3, "快报.md", "园区厂房出租率保持在九成以上。"), (4, "招商.md", "其中外资项目占比约三成。")]


def test_a_clause_is_said_once_and_the_answer_stays_in_budget() -> None:
    """A supporting piece repeating another part's answer is dropped with its citation; supporting pieces go
    (last first) before the answer passes 200 characters."""
    first = part("南湖片区今年计划开工项目二十个[1]；北湖片区今年计划竣工项目十五个[2]。",
                 cite(1, "计划.md", "南湖片区今年计划开工项目二十个。"), cite(2, "计划.md", "北湖片区今年计划竣工项目十五个。"))
    second = part("北湖片区今年计划竣工项目十五个[1]。", cite(1, "计划.md", "北湖片区今年计划竣工项目十五个。"))
    joined = combine([first, second], ["南湖片区开工几个", "北湖片区竣工几个"])
    assert joined.text == "南湖片区今年计划开工项目二十个[1]；北湖片区今年计划竣工项目十五个[2]。"
    assert [c.n for c in joined.citations] == [1, 2]
    long = "围绕主导产业延链补链强链持续推进重点项目建设并加快培育一批专精特新企业" * 2
    third = part(f"甲区新增企业五家[1]；{long}[2]。", cite(1, "甲.md", "甲区新增企业五家。"), cite(2, "甲.md", long))
    fourth = part(f"乙区新增企业八家[1]；{long[::-1]}[2]。", cite(1, "乙.md", "乙区新增企业八家。"), cite(2, "乙.md", long))
    joined = combine([third, fourth], ["甲区新增几家", "乙区新增几家"])
    assert len(joined.text) <= 200 and joined.text.startswith("甲区新增企业五家[1]；乙区新增企业八家[2]；")
    assert [c.n for c in joined.citations] == list(range(1, len(joined.citations) + 1))


def test_part_without_evidence_keeps_its_place() -> None:
    """The sentence saying which part has no evidence stands where that part was asked."""
    missing = Extracted("", False, ())
    second = part("乙区新增企业八家[1]；其中制造业企业六家[2]。", cite(1, "乙.md", "乙区新增企业八家。"), cite(2, "乙.md", "其中制造业企业六家。"))
    joined = combine([missing, second], ["甲区新增几家", "乙区新增几家"])
    assert joined.text == "“甲区新增几家”在知识库中未找到依据；乙区新增企业八家[1]；其中制造业企业六家[2]。"


def test_a_marker_the_user_typed_is_not_renumbered() -> None:
    """The sentence saying a part has no evidence quotes the question: a '[3]' typed in it was renumbered as if
    it were one of our citations ('附表[1]…八家[2]')."""
    missing = Extracted("", False, ())
    found = part("乙区新增企业八家[1]。", cite(1, "月报.md", "乙区新增企业八家。"))
    joined = combine([missing, found], ["附表[3]中甲区新增几家", "乙区新增几家"])
    assert joined.text == "“附表〔3〕中甲区新增几家”在知识库中未找到依据；乙区新增企业八家[1]。"
    assert [(c.n, c.source) for c in joined.citations] == [(1, "月报.md")]


def test_unmarked_text_after_the_last_marker_keeps_its_punctuation() -> None:
    """'…五家[1]，其中制造业三家。' was cut into '…五家[1]。，其中制造业三家': a stop before the comma."""
    assert cited_pieces("甲区新增企业五家[1]，其中制造业三家。") == ["甲区新增企业五家[1]，其中制造业三家"]
    assert cited_pieces("甲区新增企业五家[1]。（注：较早的口径）") == ["甲区新增企业五家[1]。（注：较早的口径）"]
    assert cited_pieces("甲区新增企业五家[1]；乙区八家[2]。") == ["甲区新增企业五家[1]", "乙区八家[2]"]
