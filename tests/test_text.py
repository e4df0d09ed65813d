"""Our search-mode segmenter gives exactly jieba's tokens (it only folds jieba's two passes into one)."""

from __future__ import annotations

import functools
import marshal
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import jieba
import pytest

from app.segmenter import _PUNCT
from app.text import DATA_DIR, STOPWORDS, normalize, split_sentences
from app.tokens import tokenize, tokenizer
from ingest.load import decode

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def plain_jieba() -> jieba.Tokenizer:
    """jieba's own Tokenizer with our dictionary: the reference (app.tokens.tokenizer() walks the segmenter's route)."""
    tk = jieba.Tokenizer()
    tk.load_userdict(str(DATA_DIR / "userdict.txt"))
    tk.initialize()
    return tk


def jieba_tokens(text: str) -> list[str]:
    """The reference: jieba's own cut_for_search without HMM, filtered as tokenize() filters, and a word of
    letters and digits followed by its letter and digit runs."""
    out = []
    for tok in plain_jieba().cut_for_search(normalize(text).lower(), HMM=False):
        tok = tok.strip()
        if tok and tok not in STOPWORDS and not _PUNCT.match(tok):
            out.append(tok)
            if re.search("[a-z]", tok) and re.search("[0-9]", tok) and re.fullmatch("[a-z0-9]+", tok):
                out.extend(run for run in re.findall("[a-z]+|[0-9]+", tok) if not run.isalpha() or len(run) > 1)
    return out


def test_letters_and_digits_meet_however_written() -> None:
    """'GPT4' in a question finds 'GPT-4' in a passage; 'iPhone 14' finds 'iPhone14'."""
    assert {"gpt", "4"} <= set(tokenize("GPT4的发布时间")) and {"gpt", "4"} <= set(tokenize("OpenAI发布GPT-4。"))
    assert {"iphone", "14"} <= set(tokenize("iPhone14销量")) and {"iphone", "14"} <= set(tokenize("iPhone 14 销量"))
    assert tokenize("U14组") == ["u14", "14", "组"]  # a lone letter is no useful word


SAMPLES = [
    "2025年人工智能产业规上营收达到143.79亿元，同比增长45.30%。",
    "去年全年我市规模以上工业增加值增长8.5%，专精特新“小巨人”企业新增3家。",
    "推进“3+3+3”产业体系建设，AI大模型、5G基站和算力中心协同发展。",
    "Tesla Model Y 2022年交付量 1,313,851 辆；GPT-4 于 2023-03-14 发布。",
    "东京オリンピック 서울 café naïve — emoji 🚀 与全角ＡＢＣ１２３，\r\n换行\t制表。",
    "中华人民共和国国务院办公厅关于印发《关于促进中小企业“专精特新”发展的指导意见》的通知",
    "",
    "   ",
    "。。！？",
    "a b c 1 2 3 abc123 x.y_z %&#+-",
    "研究生命起源，结婚的和尚未结婚的，南京市长江大桥。",
]


def test_segmenter_matches_jieba_on_samples() -> None:
    for text in SAMPLES:
        assert tokenize(text) == jieba_tokens(text), text


def test_segmenter_matches_jieba_on_the_sample_kb() -> None:
    texts = [decode(p.read_bytes(), p.name) for p in sorted((ROOT / "kb").rglob("*")) if p.suffix in {".md", ".txt", ".csv"}]
    assert texts
    for text in texts:
        for line in text.splitlines():
            assert tokenize(line) == jieba_tokens(line), line


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh XDG cache home and temp folder; the process-wide segmenter is rebuilt before and after."""
    import tempfile

    from app.segmenter import segmenter

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    segmenter.cache_clear()
    yield tmp_path / "cache" / "kbqa"
    segmenter.cache_clear()


def test_segmenter_cache_round_trip_in_a_private_folder(cache_home: Path) -> None:
    from app.segmenter import Segmenter, segmenter

    reference = Segmenter.from_jieba(tokenizer())
    built = segmenter()  # no cache file yet: built from jieba, then written
    assert len(list(cache_home.glob("segmenter-*.marshal"))) == 1
    assert stat.S_IMODE(cache_home.stat().st_mode) == 0o700
    segmenter.cache_clear()
    loaded = segmenter()
    assert loaded is not built and loaded.logp == reference.logp and loaded.unknown == reference.unknown


@pytest.mark.parametrize("planted", [
    b"26 bytes of something else",
    marshal.dumps(({"人工": -1.0, "智能": -1.0}, -30.0)),  # well-formed, but not built from jieba's dictionary
])
def test_a_planted_cache_file_is_rebuilt_not_trusted(cache_home: Path, planted: bytes) -> None:
    """Before, any dict/float marshal at the predictable name in the shared temp folder was loaded as is:
    the second file turned '人工智能' into two words for every later question."""
    from app.segmenter import segmenter

    segmenter()
    (cache,) = cache_home.glob("segmenter-*.marshal")
    cache.write_bytes(planted)
    segmenter.cache_clear()
    assert tokenize(SAMPLES[0]) == jieba_tokens(SAMPLES[0]) and "人工智能" in tokenize(SAMPLES[0])
    assert cache.read_bytes() != planted  # rebuilt and rewritten


def test_a_cache_folder_others_can_write_is_tightened_and_a_link_is_refused(cache_home: Path, tmp_path: Path) -> None:
    from app.segmenter import private_cache_dir

    cache_home.mkdir(parents=True)
    cache_home.chmod(0o777)
    assert private_cache_dir() == cache_home and stat.S_IMODE(cache_home.stat().st_mode) == 0o700
    cache_home.rmdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cache_home.symlink_to(elsewhere, target_is_directory=True)
    assert private_cache_dir() == tmp_path / "tmp" / f"kbqa-{os.getuid()}"  # the link is passed over


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a folder to another user")
def test_a_cache_folder_owned_by_another_user_is_not_used(cache_home: Path, tmp_path: Path) -> None:
    from app.segmenter import private_cache_dir

    cache_home.mkdir(parents=True, mode=0o700)
    os.chown(cache_home, 12345, 12345)
    fallback = tmp_path / "tmp" / f"kbqa-{os.getuid()}"
    fallback.mkdir(mode=0o700)
    os.chown(fallback, 12345, 12345)
    assert private_cache_dir() is None
    assert tokenize(SAMPLES[0]) == jieba_tokens(SAMPLES[0])  # no cache: built in memory, still right


def test_a_closing_quote_stays_with_its_sentence() -> None:
    """'…是一张答卷。”今年3月…': the ” ends the first sentence; it does not open the answer to the next."""
    assert split_sentences("“服务企业是一张答卷。”今年3月，区经信部门走进园区。他说：“好！”增长7.2%。") == [
        "“服务企业是一张答卷。”",
        "今年3月，区经信部门走进园区。",
        "他说：“好！”",
        "增长7.2%。",
    ]


def test_tags_are_kept_per_text_and_cannot_be_changed_by_a_caller() -> None:
    """The answerer tags its best candidate sentences for every question (1-5 ms each); a sentence tagged
    once is not tagged again, and what is kept is immutable so no caller can alter another's tags."""
    from app.tags import _dictionary_pass, is_noun, name_tags, pos_tag

    sentence = "张伟在杭州市经济和信息化局主持召开了全市数字经济工作会议。"
    first = name_tags(sentence)
    misses = _dictionary_pass.cache_info().misses
    assert name_tags(sentence) == first and _dictionary_pass.cache_info().misses == misses
    assert isinstance(first, frozenset) and "ns" in first
    assert pos_tag("产业") == pos_tag("产业") and pos_tag.cache_info().hits >= 1
    assert is_noun("产业") and is_noun.cache_info().hits + is_noun.cache_info().misses >= 1


def test_sentences_and_resolved_dates_are_kept_per_text_and_handed_out_fresh() -> None:
    """The answerer splits and date-resolves the sentences of every retrieved chunk for each question; a
    text seen before is not worked again, a caller's change to the list it got reaches no other caller,
    and a long text (ingest's whole documents) is never kept."""
    from app.dates import _resolved, resolve_dates
    from app.text import KEPT_TEXT_CHARS, _sentences

    text = "去年全市新增智能工厂12家。1—11月完成技改投资45亿元；全年目标60亿元。"
    first = split_sentences(text)
    first.append("改动")
    hits = _sentences.cache_info().hits
    assert split_sentences(text) == ["去年全市新增智能工厂12家。", "1—11月完成技改投资45亿元；", "全年目标60亿元。"]
    assert _sentences.cache_info().hits == hits + 1
    resolved = resolve_dates(text, 2026, 2025)
    assert resolved.startswith("2025年全市") and "2025年1—11月" in resolved and "2025年全年" in resolved
    hits = _resolved.cache_info().hits
    assert resolve_dates(text, 2026, 2025) == resolved and _resolved.cache_info().hits == hits + 1
    long_text = text * (KEPT_TEXT_CHARS // len(text) + 1)
    size = _resolved.cache_info().currsize
    assert resolve_dates(long_text, 2026, 2025).startswith("2025年全市") and _resolved.cache_info().currsize == size


def test_candidate_features_kept_per_text_are_dropped_with_the_tags() -> None:
    """match_form and the character pairs are computed for every candidate of every question over the same
    retrieved chunks: kept per text, and registered so bench/ask_bench's 'untagged' figures drop them too."""
    from app.compose import match_form
    from app.scorer import pairs
    from app.text import per_text_caches

    kept = per_text_caches()
    assert match_form in kept and pairs in kept
    assert match_form("“两化”改造 A") == match_form("“两化”改造 A") == "两化改造a"
    assert match_form.cache_info().hits >= 1
    size = match_form.cache_info().currsize
    assert match_form("长" * 700) == "长" * 700 and match_form.cache_info().currsize == size  # a long text is not kept
    assert pairs("园区，亩均") == frozenset({"园区", "亩均"})


def test_names_read_block_by_block_are_the_names_of_the_whole_text() -> None:
    """name_tags tags each block of Chinese letters and digits on its own (kept per block): jieba tags the
    blocks of a text independently, so the names are the ones a tagging of the whole text finds."""
    from app.tags import name_tags, pos_tokenizer

    def whole(text: str) -> frozenset[str]:
        return frozenset({p.flag for p in pos_tokenizer().cut(text)  # type: ignore[attr-defined]
                          if p.flag in ("nr", "ns", "nt") and len(p.word) >= 2})

    texts = ["张伟在杭州市经济和信息化局主持召开了全市数字经济工作会议。李娜出席。",
             "2025年，青山市新增专精特新企业37家（累计215家），王芳表示：GDP增长5.2%。",
             "Mar 3, 2026 ... 云溪数字产业园 定位为\n全市算力服务中心；华为公司在深圳发布新品", "", "。；！"]
    for text in texts:
        assert name_tags(text) == whole(text)


def test_the_tokenizer_cuts_as_jieba_with_and_without_hmm() -> None:
    """tokenizer() walks the segmenter's route in place of jieba's DAG: the same words, and the same HMM cut
    of runs of characters the dictionary does not know (names)."""
    texts = [*SAMPLES, "据悉，嘉禾县经信局局长邬兆麟到澄浦镇调研，会见了瑞岚精工的负责人司徒映雪。", "iPhone14与GPT-4、a1b2"]
    for text in texts:
        for hmm in (True, False):
            assert list(tokenizer().cut(text, HMM=hmm)) == list(plain_jieba().cut(text, HMM=hmm)), (text, hmm)


def test_dates_resolve_with_or_without_each_trigger_character() -> None:
    """resolve_dates skips a rewrite when its character (年, 月, 全年) is absent: each rewrite still runs
    where it is present, alone or with the others."""
    from app.dates import resolve_dates

    assert resolve_dates("去年产值增长较快", 2026) == "2025年产值增长较快"
    assert resolve_dates("1-11月产值增长", 2026, 2025) == "2025年1-11月产值增长"
    assert resolve_dates("全年产值增长", 2026, 2025) == "2025年全年产值增长"
    assert resolve_dates("今年1—3月与全年", 2026, 2024) == "2026年1—3月与2026年全年"
    assert resolve_dates("产值增长一成，企业新增三家", 2026, 2025) == "产值增长一成，企业新增三家"
