"""Our part-of-speech tagger gives exactly jieba's tags (it only skips transitions the model does not have)."""

from __future__ import annotations

import jieba.posseg as posseg

from app.postag import POSTokenizer, viterbi
from app.tags import pos_tokenizer
from app.tokens import tokenizer

# Our own sentences, full of names, places and organisations jieba's dictionary does not hold, so that its
# HMM (the Viterbi replaced) decides how they are cut and tagged.
SENTENCES = [
    "据悉，嘉禾县经信局局长邬兆麟于三月十二日到澄浦镇调研，随后会见了瑞岚精工的负责人司徒映雪。",
    "溪桥街道2025年规上工业产值增长百分之九点三，其中芮氏光电贡献最大。",
    "苍梧智造研究院与闵北新区管委会签署协议，首期投入一点二亿元建设中试基地。",
    "获奖名单：钟离沐辰（澜沧科技）、佘思远（枫泾新材料）、卞凝霜（栖霞生物医药）。",
    "咨询电话：0573-85012345，联系人：蔺晓峰；地址：云岫路88号。",
    "Zhejiang Lanxi公司第三季度出口额为4.5亿美元，同比增长12%。",
    "璟宸、沅沣、骞翊三家企业入选省级专精特新“小巨人”。",
    "鄞江镇和鹤沙镇分别新增工业用地三百亩与二百一十亩。",
]


def _tags(tagger: object, text: str) -> list[tuple[str, str]]:
    return [(p.word, p.flag) for p in tagger.cut(text)]  # type: ignore[attr-defined]


def test_same_tags_as_jieba() -> None:
    ours = pos_tokenizer()
    _tags(ours, "预热")  # our tagger has taken the user dictionary's tags
    reference = posseg.POSTokenizer(tokenizer())
    reference.word_tag_tab = dict(ours.word_tag_tab)  # type: ignore[attr-defined]
    assert isinstance(ours, POSTokenizer)
    for text in SENTENCES:
        assert _tags(ours, text) == _tags(reference, text), text


def test_viterbi_path_and_score_are_jiebas() -> None:
    """Bit for bit on every run of Han characters, including single characters and unknown ones."""
    from jieba.posseg.viterbi import viterbi as jieba_viterbi

    model = (posseg.char_state_tab_P, posseg.start_P, posseg.trans_P, posseg.emit_P)
    runs = [run for text in SENTENCES for run in posseg.re_han_detail.findall(text)] + ["邬", "㐀㐁", "司徒映雪"]
    for run in runs:
        assert viterbi(run, *model) == jieba_viterbi(run, *model), run



def test_viterbi_is_jiebas_on_runs_of_any_characters() -> None:
    """Runs drawn at random from the model's characters and a few it does not list (every state then in
    play, and steps where no state of the character is expected: jieba's fallback to the expected ones)."""
    import random

    from jieba.posseg.viterbi import viterbi as jieba_viterbi

    model = (posseg.char_state_tab_P, posseg.start_P, posseg.trans_P, posseg.emit_P)
    rng = random.Random(20261201)
    chars = sorted(posseg.char_state_tab_P)
    runs = ["".join(rng.choice(chars) for _ in range(rng.randint(1, 7))) for _ in range(400)]
    runs += ["㐀" + run for run in runs[:40]] + [run + "㐁㐂" for run in runs[40:80]]
    for run in runs:
        ours = viterbi(run, *model)
        assert ours == jieba_viterbi(run, *model), run
        assert type(ours[0]) is float


def test_route_is_jiebas_dag_route() -> None:
    """The tagger walks the segmenter's route (app.segmenter.Segmenter.ends): the words jieba's DAG and calc choose."""
    from app.segmenter import segmenter

    tk = tokenizer()
    for text in SENTENCES:
        for block in posseg.re_han_internal.findall(text):
            route: dict[int, tuple[float, int]] = {}
            tk.calc(block, tk.get_DAG(block), route)
            assert segmenter().ends(block) == [route[i][1] for i in range(len(block))], block


def test_the_tagger_takes_the_route_given() -> None:
    """Without a route the tagger walks jieba's DAG; with one it walks it: the same tags either way."""
    from app.segmenter import segmenter

    ours = pos_tokenizer()
    plain = POSTokenizer(tokenizer())
    plain.word_tag_tab = dict(ours.word_tag_tab)  # type: ignore[attr-defined]
    routed = POSTokenizer(tokenizer(), segmenter().ends)
    routed.word_tag_tab = plain.word_tag_tab  # type: ignore[attr-defined]
    for text in SENTENCES:
        assert _tags(routed, text) == _tags(plain, text), text


def test_names_from_the_dictionary_pass_are_the_full_cuts() -> None:
    """has_name and names_of read the dictionary's words first and the HMM's runs only where needed: the
    same names of each kind, in the same order, as the tagger's full cut of the text."""
    from app.tags import has_name, name_tags, names_of

    for text in [*SENTENCES, "", "。；！", "GDP增长5.2%，排名第3-5位。"]:
        full = [(p.word, p.flag) for p in pos_tokenizer().cut(text)]  # type: ignore[attr-defined]
        for kind in ("nr", "ns", "nt"):
            wanted = [w for w, f in full if f == kind and len(w) >= 2]
            assert names_of(text, kind) == wanted, (text, kind)
            assert has_name(text, kind) == bool(wanted), (text, kind)
        assert name_tags(text) == frozenset(f for w, f in full if f in ("nr", "ns", "nt") and len(w) >= 2)


def test_a_name_the_dictionary_settles_runs_no_hmm() -> None:
    """A who/where/which question's best candidates are asked whether they name a thing of the asked kind: a
    place the dictionary tags answers it without tagging the block's unknown runs (the HMM, the slow part)."""
    from app.tags import _run_names, has_name

    text = "杭州市的霂翀璠琰公司今年投产。"  # 杭州市 is in the dictionary (ns); the company's name is not
    pieces = pos_tokenizer().dictionary_pass("杭州市的霂翀璠琰公司今年投产")  # type: ignore[attr-defined]
    assert ("杭州市", "ns") in pieces and any(flag is None for _, flag in pieces)
    misses = _run_names.cache_info().misses
    assert has_name(text, "ns")
    assert _run_names.cache_info().misses == misses
    has_name(text, "nr")  # no person in the dictionary's words: the run goes to the HMM
    assert _run_names.cache_info().misses == misses + 1
