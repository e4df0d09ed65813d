"""The fitted candidate scorer (app/scorer.py, app/data/scorer.json): its data file, and how it ranks our
own passages through the real extractor (real jieba, real Chroma in tmp_path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.answer import Assistant
from app.errors import KBQAError
from app.query import analyze
from app.rank import Extractor
from app.retrieve import retrieve
from app.scorer import MODEL, NAMES, SCORER_FILE, Scorer, from_json, novelty, pairs, shipped
from app.settings import Settings
from tests.conftest import index_rows

NOTICES = [
    {"id": "teaser", "title": "青山市经信局微信推送", "date": "2026-02-10",
     "text": "青山市去年新增了多少家专精特新企业？哪些企业入选？点击下文一起来看看。"},
    {"id": "preview", "title": "青山市经信局周报", "date": "2026-02-12",
     "text": "关于青山市2025年新增专精特新企业的数量和入选名单，本期周报将在后面为大家详细介绍。"},
    {"id": "report", "title": "青山市2025年专精特新企业培育情况", "date": "2026-01-20",
     "text": "2025年，青山市新增专精特新企业37家，累计达到215家。入选企业主要集中在装备制造和新材料领域。"},
    {"id": "other", "title": "青山市技改投资简报", "date": "2026-01-12",
     "text": "2025年，青山市工业技改投资同比增长8.4%，新开工技改项目63个。"},
]


def test_the_weights_file_loads_and_names_its_fit_data() -> None:
    data = json.loads(SCORER_FILE.read_text(encoding="utf-8"))
    model = shipped()
    assert model is not None and len(model.weights) == len(NAMES)
    assert list(data["features"]) == list(NAMES)
    fitted = " ".join(data["fitted_on"])
    assert "questions_fit.jsonl" in fitted and "kb_dev.jsonl" in fitted and "questions_dev.jsonl" in fitted
    assert "questions_check" not in fitted and "kb_frozen" not in fitted  # check files are never fitted on


def test_a_file_for_other_features_is_refused_with_how_to_refit() -> None:
    data = json.loads(SCORER_FILE.read_text(encoding="utf-8"))
    data["features"] = dict(list(data["features"].items())[:-1])
    with pytest.raises(KBQAError, match=r"bench\.fit_scorer"):
        from_json(json.dumps(data, ensure_ascii=False))


def test_the_value_and_subject_rank_above_a_teaser_that_repeats_the_question(tmp_path: Path, settings: Settings) -> None:
    index_rows(tmp_path / "notices.jsonl", NOTICES, settings)
    store = Assistant(settings).store
    plan = analyze("青山市2025年新增了多少家专精特新企业？", settings.question_date(), store.idf)
    hits = retrieve(store, plan, 4)
    ex = Extractor(store, plan, (), hits)
    assert ex.model is not None  # the shipped weights rank the candidates
    ranked = [c.quote for c in ex.candidates(hits)]
    assert any("本期周报" in q for q in ranked)  # the teaser that repeats the question's words is a candidate, and loses
    assert not any("多少家" in q for q in ranked)  # a sentence that asks is none
    assert "37家" in ranked[0]
    assert Assistant(settings).ask("青山市2025年新增了多少家专精特新企业？").answer.startswith("2025年，青山市新增专精特新企业37家")


def test_novelty_tells_a_restated_question_from_an_answer() -> None:
    """A titled sentence that restates the question adds almost nothing; the sentence that answers adds."""
    question = pairs("东湖区如何降低小微企业用电成本")
    assert novelty(question, "三是降低小微企业用电成本。") < 0.3
    assert novelty(question, "对月用电量低于1万千瓦时的小微企业，电费按九五折结算。") > 0.8
    assert {"novelty", "in_title", "doc_start"} <= set(NAMES)


def test_the_weightless_nouns_are_data_not_code() -> None:
    """The extractor's nouns without weight are read from app/data (a list to review, not code to edit)."""
    from app.rank import GENERIC_NOUNS, PLAN_NOUNS

    data = json.loads((SCORER_FILE.parent / "answer_nouns.json").read_text(encoding="utf-8"))
    assert frozenset(data["plan"]) == PLAN_NOUNS and frozenset(data["generic"]) == GENERIC_NOUNS


def test_the_fit_scripts_cache_gives_back_the_collected_candidates(tmp_path: Path, settings: Settings) -> None:
    """bench/fit_scorer --cache: experiments read the candidates' features back instead of extracting again
    (the index may be gone); the data file says why the model is what it is."""
    import shutil

    import numpy as np

    from bench.fit_scorer import cached

    index_rows(tmp_path / "notices.jsonl", NOTICES, settings)
    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps({"question": "青山市2025年新增了多少家专精特新企业？", "must": ["37家"],
                                     "type": "numeric"}, ensure_ascii=False) + "\n", encoding="utf-8")
    sets = [["mine", str(settings.index_dir), str(questions)]]
    cache = tmp_path / "features.npz"
    collected, _ = cached(cache, sets, [])
    assert cache.exists() and len(collected) == 1 and collected[0].y.any()
    shutil.rmtree(settings.index_dir)
    again, checks = cached(cache, sets, [])
    assert checks == [] and len(again) == 1 and again[0].set_name == "mine"
    assert np.array_equal(again[0].x, collected[0].x) and np.array_equal(again[0].y, collected[0].y)
    assert json.loads(SCORER_FILE.read_text(encoding="utf-8"))["model"] == MODEL


def test_a_fitted_scorer_writes_a_data_file_that_reads_back() -> None:
    """bench.fit_scorer --write calls Scorer.to_json: the file it writes is read back to the same model."""
    n = len(NAMES)
    model = Scorer(tuple(i / 4 for i in range(n)), -2.0, tuple(0.5 for _ in range(n)), tuple(1.0 + i for i in range(n)),
                   ("mine: questions_fit.jsonl",))
    back = from_json(model.to_json({"l2": 1.0}))
    assert back == model
    assert json.loads(model.to_json())["model"] == MODEL


def test_opening_tells_a_sentence_about_the_terms_from_one_naming_them_late() -> None:
    """A sentence that opens on the question's term is about it; one that reaches it late names it in passing."""
    from app.scorer import opening

    terms = ["云溪数字产业园", "定位"]
    assert opening("云溪数字产业园定位为全市算力服务中心。", terms) == 1.0
    late = opening("去年青山市新签约的二十个项目中，有三个落户云溪数字产业园。", terms)
    assert 0.0 < late < 0.25
    assert opening("园区去年新增企业四十家。", terms) == 0.0
    assert "opening" in NAMES



PARK = [
    {"id": "park", "title": "青山市数字经济发展综述", "date": "2026-03-02",
     "text": "云溪数字产业园是青山市首个以算力服务为主题的专业园区，位于云溪区滨江路88号。"
             "园区一期于2024年开园，当年以云溪数字产业园的名义获评省级示范园区。"
             "二期工程计划明年建成，届时可容纳六十家企业。"},
]


def test_a_run_that_opens_on_the_asked_thing_ranks_above_one_naming_it_in_passing(tmp_path: Path, settings: Settings) -> None:
    """Two runs of one paragraph hold the same question terms; the one that opens on them is about them
    (and holds the address), the other names them in passing: the opening feature tells them apart."""
    index_rows(tmp_path / "park.jsonl", PARK, settings)
    store = Assistant(settings).store
    plan = analyze("云溪数字产业园位于哪里？", settings.question_date(), store.idf)
    hits = retrieve(store, plan, 4)
    rows = Extractor(store, plan, (), hits).scored(hits)
    runs = {c.quote[:6]: (c.score, x[NAMES.index("opening")]) for c, x in rows if c.span is not None and c.span.kind == "run"}
    assert runs["云溪数字产业"][1] == 1.0 and 0.0 < runs["园区一期于2"][1] < 0.3
    assert runs["云溪数字产业"][0] > runs["园区一期于2"][0]


def test_opening_reads_past_a_pages_dateline() -> None:
    """A web page's date before its first sentence is no content: the sentence still opens on the term."""
    from app.compose import match_form
    from app.scorer import opening

    assert opening(match_form("Mar 3, 2026 ... 云溪数字产业园定位为算力服务中心"), ["云溪数字产业园"]) == 1.0
    assert opening("2026年3月3日 云溪数字产业园定位为算力服务中心", ["云溪数字产业园"]) == 1.0
    assert opening("今年三月以来，云溪数字产业园新增企业十家", ["云溪数字产业园"]) < 0.5


def test_scoring_all_candidates_at_once_gives_the_per_row_formulas_scores_to_the_bit() -> None:
    """Scorer.scores (numpy, all rows) sums term by term in feature order as the per-row formula does: a
    sum in another order moves a score's last bit, and near-tied candidates are ranked by it."""
    import random

    from app.scorer import sigmoid

    rng = random.Random(7)
    n = len(NAMES)
    model = Scorer(tuple(rng.uniform(-3, 3) for _ in range(n)), -0.7, tuple(rng.uniform(0, 1) for _ in range(n)),
                   tuple(rng.uniform(0.1, 2) for _ in range(n)))
    rows = [[rng.choice([0.0, 1.0, rng.random(), rng.random() * 7]) for _ in range(n)] for _ in range(300)]
    by_row = [sigmoid(model.bias + sum(w * (v - m) / s for w, v, m, s in zip(model.weights, x, model.mean, model.scale,
                                                                            strict=True))) for x in rows]
    assert model.scores(rows) == by_row
    assert [model(x) for x in rows[:5]] == by_row[:5]
    assert model.scores([]) == []


def test_pairs_share_counts_the_pairs_a_substring_search_finds() -> None:
    """A question pair is two letters of one run, so a set intersection finds exactly the pairs that occur in
    the text, across punctuation, spaces and Latin letters."""
    from app.scorer import pairs, pairs_share

    wanted = pairs("云溪数字产业园 2025年gdp增速、算力_中心")
    for text in ["云溪数字产业园定位为全市算力服务中心。", "gdp增速为5.2%，2025年", "算力_中心 云溪", "", "算中心"]:
        assert pairs_share(wanted, text) == sum(p in text for p in wanted) / len(wanted)
    assert pairs_share(frozenset(), "云溪") == 0.0


def test_nearness_is_the_gap_to_the_nearest_term() -> None:
    """nearness is 1/(1 + gap/10), the gap the fewest characters between an asked value and a matched term
    (0 when they touch or overlap); the loop that stops at a touching pair gives the formula's value."""
    from app.scan import scan
    from app.scorer import nearness

    text = "全市新增企业12家，其中园区7家，培育对象共30家"
    found = tuple(scan(text))
    for terms in (["新增"], ["园区"], ["培育"], ["全市", "对象"], ["没有的词"], []):
        where = [(i, i + len(t)) for t in terms for i in range(len(text)) if text.startswith(t, i)]
        expected = 1.0 / (1.0 + min(max(0, v.start - e, s - v.end) for v in found for s, e in where) / 10) if where else 0.0
        assert nearness(found, text, terms) == expected, terms
    assert nearness((), text, ["新增"]) == 0.0
