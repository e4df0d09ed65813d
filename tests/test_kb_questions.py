"""Faults found by the kb dev questions written over our own documents (bench/kb_dev.jsonl h27-h68), each
on passages of our own: real jieba, real Chroma in tmp_path."""

from __future__ import annotations

from pathlib import Path

from app.answer import Assistant
from app.query import analyze
from app.rank import Extractor
from app.retrieve import retrieve
from app.scorer import NAMES
from app.settings import Settings
from app.store import Store
from ingest.index import run_ingest
from tests.conftest import index_rows

NOTICES = [
    {"id": "people", "title": "青山市科技局领导分工", "date": "2026-03-02",
     "text": "青山市科技局党组书记、局长为王明远。副局长李清负责成果转化工作。"},
    {"id": "park", "title": "青山市科创园简报", "date": "2026-03-05",
     "text": "2025年，青山市科创园新入驻企业42家。青山市科创园实行三级孵化体系，孵化面积达到3.6万平方米。"},
    {"id": "notice", "title": "关于青山市科技成果转化奖励的通知", "date": "2026-03-09",
     "text": "奖励资金由市科技局会同市财政局审核后拨付，每年集中受理一次。"},
    {"id": "auto", "title": "青山市汽车零部件产业运行简报", "date": "2026-01-28",
     "text": "2025年，青山市汽车零部件产业产值增速为8.2%。全年汽车零部件产业产值为96.5亿元。"},
    {"id": "contact", "title": "关于青山市科技成果转化奖励的通知", "date": "2026-03-09",
     "text": "三、联系方式\n市科技局成果转化科，联系电话：0571-87001234。"},
]


def _assistant(tmp_path: Path, settings: Settings) -> Assistant:
    index_rows(tmp_path / "notices.jsonl", NOTICES, settings)
    return Assistant(settings)


def _type_fits(store: Store, question: str, settings: Settings) -> dict[str, float]:
    """Each candidate's type_fit feature for a question, by the candidate's quote."""
    plan = analyze(question, settings.question_date(), store.idf)
    hits = retrieve(store, plan, 4)
    return {c.quote: x[NAMES.index("type_fit")] for c, x in Extractor(store, plan, (), hits).scored(hits)}


def test_a_question_word_piece_is_no_content_word() -> None:
    """'哪天' is cut 哪 + 天 and '哪一天' 一天 + 哪一天: those pieces ask, and as content words they weighed
    like a rare topic word the evidence lacked."""
    assert "天" not in analyze("这份通知是哪天印发的？").content
    assert not {"一天", "哪一天"} & set(analyze("新办法从哪一天开始施行？").content)
    assert "天然气" in analyze("天然气价格是多少？").content  # a word that only starts like one stays


def test_a_post_question_is_answered_by_the_sentence_that_names_the_post(tmp_path: Path, settings: Settings) -> None:
    """'是什么职务': 职务 names the kind of answer (like 称号, 名称); the index lacking the word is no
    missing topic (the right sentence was refused)."""
    answer = _assistant(tmp_path, settings).ask("王明远是什么职务？")
    assert answer.answerable, answer.answer
    assert "局长" in answer.answer.split("[1]")[0]



def test_a_count_question_is_not_shown_a_figure_of_another_measure(tmp_path: Path, settings: Settings) -> None:
    """'多少家' asks a count of 家: a sentence whose figures are '三级' and '3.6万平方米' shows no value of the
    asked kind (it scored as a whole figure, and a sentence with no count could answer the question)."""
    store = _assistant(tmp_path, settings).store
    fits = _type_fits(store, "青山市科创园新入驻企业多少家？", settings)
    assert fits["2025年，青山市科创园新入驻企业42家。"] == 1.0
    assert fits["青山市科创园实行三级孵化体系，孵化面积达到3.6万平方米。"] == 0.0


def test_a_document_number_question_is_answered_by_the_number(tmp_path: Path, settings: Settings) -> None:
    """'…补助办法的文号是多少': 文号 is the asked value (as 电话 is for a phone number), and 补助 names the
    document, not the sentence (the 文号 line lacks it and was no candidate; the answer was refused)."""
    kb = settings.kb_dir
    kb.mkdir(parents=True)
    path = kb / "园区物流补助办法.md"
    path.write_text(
        "# 青山市园区物流补助办法\n\n青经信〔2026〕7号\n\n第一条 为降低园区企业物流成本，制定本办法。\n\n"
        "第二条 对年度物流费用超过50万元的企业，按费用的5%给予补助。\n\n第三条 本办法自2026年6月1日起施行。\n",
        encoding="utf-8",
    )
    run_ingest([path], settings)
    answer = Assistant(settings).ask("园区物流补助办法的文号是多少？")
    assert answer.answerable, answer.answer
    assert "青经信〔2026〕7号" in answer.answer.split("[1]")[0]


def test_a_phone_question_finds_the_contact_line(tmp_path: Path, settings: Settings) -> None:
    """'咨询电话' and '联系电话' (and '服务热线') name one thing (app/data/synonyms.txt): without that, the
    line with the number carried too little of what the question is about and was no candidate."""
    answer = _assistant(tmp_path, settings).ask("成果转化奖励的咨询电话是多少？")
    assert "0571-87001234" in answer.answer.split("[1]")[0], answer.answer


def test_an_amount_question_is_not_shown_a_rate_alone(tmp_path: Path, settings: Settings) -> None:
    """'产值是多少' names no rate or change: '产值增速为8.2%' shows no amount (it fitted as a whole figure,
    and '…和…的产值分别是多少' listed each one's growth rate before its output)."""
    store = _assistant(tmp_path, settings).store
    fits = _type_fits(store, "青山市汽车零部件产业产值是多少？", settings)
    assert fits["2025年，青山市汽车零部件产业产值增速为8.2%。"] == 0.0
    assert fits["全年汽车零部件产业产值为96.5亿元。"] == 1.0
    fits = _type_fits(store, "青山市汽车零部件产业产值增速是多少？", settings)
    assert fits["2025年，青山市汽车零部件产业产值增速为8.2%。"] == 1.0


def test_an_abbreviation_and_a_near_synonym_find_the_article(tmp_path: Path, settings: Settings) -> None:
    """Staff write 技改 for 技术改造 and ask when a rule is 实施 where it says 施行 (app/data/synonyms.txt):
    without them the abbreviation was a topic word no document holds, and the figure question was refused
    as being about something else."""
    kb = settings.kb_dir
    kb.mkdir(parents=True)
    path = kb / "设备更新奖励办法.md"
    path.write_text(
        "# 青山市设备更新奖励办法\n\n第一条 为推动企业设备更新，制定本办法。\n\n"
        "第二条 对企业实施的技术改造项目，按设备投资额的12%给予奖励，单个项目最高80万元。\n\n"
        "第三条 本办法自2026年5月1日起施行。\n",
        encoding="utf-8",
    )
    run_ingest([path], settings)
    assistant = Assistant(settings)
    answer = assistant.ask("技改项目按设备投资额的多少比例奖励？")
    assert answer.answerable, answer.answer
    assert "12%" in answer.answer.split("[1]")[0], answer.answer
    answer = assistant.ask("设备更新奖励办法何时开始实施？")
    assert "2026年5月1日" in answer.answer.split("[1]")[0], answer.answer


def test_an_alias_question_finds_the_sentence_that_gives_the_alias(tmp_path: Path, settings: Settings) -> None:
    """An article gives a thing's other names with 又称 / 别称 / 俗称, and the question asks its 别名
    (app/data/synonyms.txt): without the line the question's one word of what is asked was in no sentence,
    and the sentence that named the thing most often led."""
    kb = settings.kb_dir
    kb.mkdir(parents=True)
    path = kb / "青岚木.md"
    path.write_text(
        "# 青岚木\n\n青岚木是一种常绿乔木，高约8米。\n\n"
        "青岚木的树皮灰白色，青岚木的叶片呈椭圆形，青岚木的花期为4至5月。\n\n"
        "因果实形似铃铛，青岚木又称铃果树、山铃木。\n\n青岚木主要分布在山地林缘。\n",
        encoding="utf-8",
    )
    run_ingest([path], settings)
    answer = Assistant(settings).ask("青岚木的别名是什么？")
    assert "铃果树" in answer.answer.split("[1]")[0], answer.answer
