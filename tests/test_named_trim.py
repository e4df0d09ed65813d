"""A long sentence answering 'who' is cut around the clause that names a person (app/choose.py Named):
real files, real jieba, real Chroma in tmp_path."""

from __future__ import annotations

from pathlib import Path

from app.answer import Assistant
from app.settings import Settings
from ingest.index import run_ingest

GIRLS = ("2027年县青少年围棋公开赛女子组比赛在县文体中心举行，来自全省各地的一百余名小棋手参加了为期三天的角逐，"
         "组委会为本届赛事设置了多个奖项并邀请专业裁判执裁，经过七轮激烈对弈，来自湖州的选手林若溪最终获得女子组冠军。")
BOYS = ("2027年县青少年围棋公开赛男子组比赛同期在县文体中心举行，参赛选手人数创下历届新高，比赛采用积分循环制并全程"
        "网络直播，赛事还吸引了不少家长和围棋爱好者到场观战，经过七轮较量，来自绍兴的选手周子航获得男子组冠军。")


def test_each_part_of_a_who_question_keeps_the_named_winner(tmp_path: Path, settings: Settings) -> None:
    kb = tmp_path / "kb"
    (kb / "articles").mkdir(parents=True)
    (kb / "articles" / "女子组.txt").write_text(f"女子组赛况\n\n{GIRLS}\n", encoding="utf-8")
    (kb / "articles" / "男子组.txt").write_text(f"男子组赛况\n\n{BOYS}\n", encoding="utf-8")
    run_ingest([kb], settings)
    answer = Assistant(settings).ask("2027年县青少年围棋公开赛女子组和男子组冠军分别是谁？")
    assert answer.answerable and len(answer.answer) <= 200
    first, second = answer.answer.split("[1]", 1)
    assert "林若溪" in first and "周子航" in second.split("[2]", 1)[0]
