"""Saved conversations, feedback and the question log, in one SQLite file beside the index.

Why a file beside the index and not in it: a rebuild wipes the index folder, and must not wipe what people
asked (the same reason app/auth.py keeps its sessions there). Why stdlib sqlite3: a few small tables, many
readers (every Streamlit session) and one writer at a time; SQLite's own locking is enough.

Every read and write names the owner ('user:<login name>' or 'browser:<random id>'), so one browser can
never open, rename or delete another's conversation by guessing its id. What is kept:

    conversations  one row per conversation, titled by its first question (renamable)
    turns          each question with its full Answer (JSON), so a reopened conversation renders as it was
    feedback       👍/👎 with an optional comment, the question, the answer, its citations and the mode
    asked          one row per answer: whether it was answerable and verified (the gap report reads it)

Questions are stored only when Settings.store_questions allows it; rows older than
Settings.retention_days are deleted whenever the file is opened.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app.errors import KBQAError
from app.present import defang, to_markdown
from app.schema import Answer, Citation, Record
from app.settings import Settings

MAX_TITLE_CHARS = 60
_DAY_S = 86_400.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, title TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS conversations_owner ON conversations (owner, updated);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE, position INTEGER NOT NULL,
    question TEXT NOT NULL, answer TEXT NOT NULL, created REAL NOT NULL, PRIMARY KEY (conversation_id, position));
CREATE TABLE IF NOT EXISTS feedback (
    answer_id TEXT NOT NULL, owner TEXT NOT NULL, score INTEGER NOT NULL, comment TEXT NOT NULL,
    question TEXT NOT NULL, answer TEXT NOT NULL, citations TEXT NOT NULL, mode TEXT NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (answer_id, owner));
CREATE TABLE IF NOT EXISTS asked (
    answer_id TEXT NOT NULL, question TEXT NOT NULL, answerable INTEGER NOT NULL, verified INTEGER NOT NULL,
    mode TEXT NOT NULL, created REAL NOT NULL);
"""


def history_path(settings: Settings) -> Path:
    """Beside the index folder, like the login table: '.kbqa/index-history.sqlite3'."""
    return settings.index_dir.parent / f"{settings.index_dir.name}-history.sqlite3"


def new_browser_id() -> str:
    """The owner id of a browser without a login: random, so it cannot be guessed from another's."""
    return secrets.token_urlsafe(24)


def answer_to_dict(answer: Answer) -> dict[str, Any]:
    """Every field (Answer.to_json leaves out records, dates and heading paths that rendering needs)."""
    return asdict(answer)


def answer_from_dict(data: dict[str, Any]) -> Answer:
    def cites(items: Sequence[dict[str, Any]]) -> tuple[Citation, ...]:
        return tuple(Citation(**c) for c in items)

    return Answer(**{**data, "citations": cites(data.get("citations", ())), "related": cites(data.get("related", ())),
                     "unsupported": tuple(data.get("unsupported", ())),
                     "records": tuple(Record(**r) for r in data.get("records", ()))})


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    updated: float
    turns: int


def title_of(question: str) -> str:
    """A conversation's title: its first question on one line, cut to a sidebar's width."""
    line = " ".join(question.split())
    return line if len(line) <= MAX_TITLE_CHARS else line[: MAX_TITLE_CHARS - 1] + "…"


class History:
    """The conversations, feedback and question log of one index, shared by every session of the UI."""

    def __init__(self, path: Path, store_questions: bool = True, retention_days: int = 180,
                 now: float | None = None) -> None:
        self.path = path
        self.store_questions = store_questions
        self.retention_days = retention_days
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(_SCHEMA)
        self.purge(now)

    @classmethod
    def of(cls, settings: Settings) -> History:
        return cls(history_path(settings), settings.store_questions, settings.retention_days)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            db = sqlite3.connect(self.path, timeout=10)
        except sqlite3.Error as exc:
            raise KBQAError(f"无法打开对话记录 {self.path}：{exc}。请检查该文件夹可写。") from None
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys = ON")
        try:
            with db:
                yield db
        except sqlite3.Error as exc:
            raise KBQAError(f"读写对话记录 {self.path} 失败：{exc}。") from None
        finally:
            db.close()

    def purge(self, now: float | None = None) -> int:
        """Delete what is older than the retention period; returns how many conversations went."""
        cutoff = (time.time() if now is None else now) - self.retention_days * _DAY_S
        with self._db() as db:
            gone = db.execute("DELETE FROM conversations WHERE updated < ?", (cutoff,)).rowcount
            db.execute("DELETE FROM feedback WHERE created < ?", (cutoff,))
            db.execute("DELETE FROM asked WHERE created < ?", (cutoff,))
        return int(gone)

    def add_turn(self, owner: str, conversation_id: str | None, answer: Answer, now: float | None = None) -> str | None:
        """Keep a question and its answer; starts a conversation (titled by this question) when
        `conversation_id` is None or not the owner's. Returns the conversation's id, or None when
        questions may not be stored."""
        if not self.store_questions:
            return None
        now = time.time() if now is None else now
        with self._db() as db:
            db.execute("INSERT INTO asked VALUES (?, ?, ?, ?, ?, ?)",
                       (answer.id, answer.question, int(answer.answerable), int(answer.verified), answer.mode, now))
            if conversation_id is None or not self._owns(db, owner, conversation_id):
                conversation_id = secrets.token_urlsafe(12)
                db.execute("INSERT INTO conversations VALUES (?, ?, ?, ?, ?)",
                           (conversation_id, owner, title_of(answer.question), now, now))
            position = db.execute("SELECT COUNT(*) FROM turns WHERE conversation_id = ?", (conversation_id,)).fetchone()[0]
            db.execute("INSERT INTO turns VALUES (?, ?, ?, ?, ?)", (conversation_id, position, answer.question,
                       json.dumps(answer_to_dict(answer), ensure_ascii=False), now))
            db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation_id))
        return conversation_id

    @staticmethod
    def _owns(db: sqlite3.Connection, owner: str, conversation_id: str) -> bool:
        row = db.execute("SELECT 1 FROM conversations WHERE id = ? AND owner = ?", (conversation_id, owner)).fetchone()
        return row is not None

    def conversations(self, owner: str, limit: int = 50) -> list[Conversation]:
        """The owner's conversations, newest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT c.id, c.title, c.updated, (SELECT COUNT(*) FROM turns t WHERE t.conversation_id = c.id) AS n "
                "FROM conversations c WHERE owner = ? ORDER BY updated DESC, rowid DESC LIMIT ?", (owner, limit)).fetchall()
        return [Conversation(r["id"], r["title"], r["updated"], r["n"]) for r in rows]

    def answers(self, owner: str, conversation_id: str) -> list[Answer]:
        """The conversation's answers in order (each carries its question); empty when not the owner's."""
        with self._db() as db:
            if not self._owns(db, owner, conversation_id):
                return []
            rows = db.execute("SELECT answer FROM turns WHERE conversation_id = ? ORDER BY position",
                              (conversation_id,)).fetchall()
        return [answer_from_dict(json.loads(r["answer"])) for r in rows]

    def rename(self, owner: str, conversation_id: str, title: str) -> None:
        title = title_of(title)
        if not title:
            raise KBQAError("对话名称不能为空：请输入至少一个字。")
        with self._db() as db:
            db.execute("UPDATE conversations SET title = ? WHERE id = ? AND owner = ?", (title, conversation_id, owner))

    def delete(self, owner: str, conversation_id: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM conversations WHERE id = ? AND owner = ?", (conversation_id, owner))

    def record_feedback(self, owner: str, answer: Answer, score: int, comment: str = "", now: float | None = None) -> None:
        """Keep 👍 (1) or 👎 (0) on an answer, replacing the owner's earlier vote on it. Without leave to
        store questions, only the vote, the comment, the mode and the cited sources are kept."""
        if score not in (0, 1):
            raise KBQAError(f"评价应为 0（👎）或 1（👍），收到 {score!r}。")
        keep = self.store_questions
        citations = [{"n": c.n, "source": c.source, "locator": c.locator, **({"quote": c.quote} if keep else {})}
                     for c in answer.citations]
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (answer.id, owner, score, comment.strip()[:1000], answer.question if keep else "",
                        answer.answer if keep else "", json.dumps(citations, ensure_ascii=False), answer.mode,
                        time.time() if now is None else now))

    def feedback_rows(self) -> list[dict[str, Any]]:
        with self._db() as db:
            rows = db.execute("SELECT * FROM feedback ORDER BY created").fetchall()
        return [dict(r) | {"citations": json.loads(r["citations"])} for r in rows]

    def asked_rows(self) -> list[dict[str, Any]]:
        with self._db() as db:
            return [dict(r) for r in db.execute("SELECT * FROM asked ORDER BY created").fetchall()]


def export_markdown(title: str, answers: Sequence[Answer]) -> str:
    """A whole conversation with each answer's sources, for copying into a report."""
    parts = [defang(f"# {title}\n")] + [to_markdown(a) for a in answers]
    return "\n---\n\n".join(parts)
