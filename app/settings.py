"""The one frozen Settings object, built from KBQA_* environment variables in exactly one place."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from app.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Per-type size limits in MB (KBQA_FILE_MAX_MB overrides some of them, e.g. "pdf=200,xlsx=50").
DEFAULT_FILE_MAX_MB = (("txt", 20), ("md", 20), ("html", 20), ("htm", 20), ("csv", 20), ("jsonl", 200),
                       ("docx", 50), ("xlsx", 30), ("pdf", 100),
                       ("png", 20), ("jpg", 20), ("jpeg", 20), ("tif", 50), ("tiff", 50), ("bmp", 50),
                       ("xls", 30), ("et", 30), ("pptx", 100), ("ppt", 100), ("doc", 50), ("wps", 50), ("ofd", 100))
MIN_API_KEY_CHARS = 16  # a key guessable by trying is no key; secrets.token_urlsafe(32) gives 43


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Construct directly in tests; use `from_env()` in the CLI and the UI."""

    index_dir: Path = PROJECT_ROOT / ".kbqa" / "index"
    kb_dir: Path = PROJECT_ROOT / "kb"
    chunk_chars: int = 240
    top_k: int = 5
    collection: str = "kbqa_chunks"
    embed_dim: int = 256
    chroma_host: str = ""
    chroma_port: int = 8000
    llm_model: str = ""
    llm_base_url: str = ""
    llm_api_key: str = field(default="", repr=False)
    llm_temperature: float = 0.1
    llm_timeout_s: float = 30.0
    llm_max_retries: int = 2
    embed_model: str = ""
    fallback_on_unverified: bool = True
    auth_config: Path | None = None
    chat_requires_login: bool = False
    admin_emails: tuple[str, ...] = ()
    upload_max_mb: int = 20
    file_max_mb: tuple[tuple[str, int], ...] = DEFAULT_FILE_MAX_MB  # per type, checked before parsing
    max_unzipped_mb: int = 100  # a .docx/.xlsx's members together, as declared in the zip
    max_cells: int = 200_000  # used area (rows x columns) of a workbook's sheets, summed
    parse_timeout_s: float = 60.0  # one .docx/.xlsx/.pdf, parsed in a child process
    parse_memory_mb: int = 1024  # what that child may map beyond what it inherits
    ocr: bool = True  # read scanned PDF pages and image files with RapidOCR (offline)
    ocr_page_timeout_s: float = 300.0  # each OCR'd page extends the child's time limit by this much (dense A4: ~30 CPU-s)
    image_max_pixels: int = 50_000_000  # an image file's declared width x height, checked before decoding
    reference_date: dt.date | None = None  # what 去年/今年 in a question mean; None: the day it is asked
    login_max_failures: int = 5
    login_lockout_minutes: float = 15.0
    login_delay_s: float = 1.0
    ingest_wait_s: float = 60.0
    api_key: str = field(default="", repr=False)  # Bearer key of python -m app serve; '' = no key (loopback only)
    store_questions: bool = True  # keep questions: saved conversations, the question log of the gap report
    retention_days: int = 180  # saved conversations, feedback and logged questions older than this are deleted

    def __post_init__(self) -> None:
        if not 50 <= self.chunk_chars <= 4000:
            raise ConfigError(f"KBQA_CHUNK_CHARS={self.chunk_chars} 超出范围：应在 50 到 4000 之间。")
        if not 1 <= self.top_k <= 50:
            raise ConfigError(f"KBQA_TOP_K={self.top_k} 超出范围：应在 1 到 50 之间。")
        if not self.collection.isascii():
            raise ConfigError(f"集合名 {self.collection!r} 必须只含 ASCII 字符（Chroma 的要求）。")
        if self.llm_model and not self.llm_api_key:
            raise ConfigError("已设置 KBQA_LLM_MODEL 但没有 API 密钥：请设置 KBQA_LLM_API_KEY 或 OPENAI_API_KEY。")
        known = dict(DEFAULT_FILE_MAX_MB)
        for kind, mb in self.file_max_mb:
            if kind not in known or not 1 <= mb <= 10_000:
                raise ConfigError(f"KBQA_FILE_MAX_MB 中的 {kind}={mb} 无效：类型应为 {'、'.join(known)} 之一，上限在 1 到 10000 MB 之间。")
        if not 1 <= self.max_unzipped_mb <= 10_000:
            raise ConfigError(f"KBQA_MAX_UNZIPPED_MB={self.max_unzipped_mb} 超出范围：应在 1 到 10000 之间。")
        if not 1_000 <= self.max_cells <= 100_000_000:
            raise ConfigError(f"KBQA_MAX_CELLS={self.max_cells} 超出范围：应在 1000 到 100000000 之间。")
        if not 1.0 <= self.parse_timeout_s <= 3600.0:
            raise ConfigError(f"KBQA_PARSE_TIMEOUT={self.parse_timeout_s} 超出范围：应在 1 到 3600 秒之间。")
        if not 64 <= self.parse_memory_mb <= 1_000_000:
            raise ConfigError(f"KBQA_PARSE_MEMORY_MB={self.parse_memory_mb} 超出范围：应不小于 64。")
        if not 1.0 <= self.ocr_page_timeout_s <= 3600.0:
            raise ConfigError(f"KBQA_OCR_PAGE_TIMEOUT={self.ocr_page_timeout_s} 超出范围：应在 1 到 3600 秒之间。")
        if not 1_000_000 <= self.image_max_pixels <= 1_000_000_000:
            raise ConfigError(f"KBQA_IMAGE_MAX_PIXELS={self.image_max_pixels} 超出范围：应在 1000000 到 1000000000 之间。")
        if not 0.0 <= self.llm_temperature <= 2.0:
            raise ConfigError(f"KBQA_LLM_TEMPERATURE={self.llm_temperature} 超出范围：应在 0 到 2 之间。")
        if self.reference_date is not None and not isinstance(self.reference_date, dt.date):
            raise ConfigError(f"KBQA_REFERENCE_DATE={self.reference_date!r} 不是日期：请写成 2026-03-01 的形式。")
        if not 0.0 <= self.ingest_wait_s <= 3600.0:
            raise ConfigError(f"KBQA_INGEST_WAIT_S={self.ingest_wait_s} 超出范围：应在 0 到 3600 秒之间。")
        if not 1 <= self.login_max_failures <= 100:
            raise ConfigError(f"KBQA_LOGIN_MAX_FAILURES={self.login_max_failures} 超出范围：应在 1 到 100 之间。")
        if not 0.0 < self.login_lockout_minutes <= 1440.0:
            raise ConfigError(f"KBQA_LOGIN_LOCKOUT_MINUTES={self.login_lockout_minutes} 超出范围：应大于 0、不超过 1440（一天）。")
        if not 0.0 <= self.login_delay_s <= 60.0:
            raise ConfigError(f"KBQA_LOGIN_DELAY_S={self.login_delay_s} 超出范围：应在 0 到 60 秒之间。")
        if not 1 <= self.retention_days <= 3650:
            raise ConfigError(f"KBQA_RETENTION_DAYS={self.retention_days} 超出范围：应在 1 到 3650 天之间，例如 180。")
        if self.api_key and (len(self.api_key) < MIN_API_KEY_CHARS or not self.api_key.isascii()
                             or not self.api_key.isprintable() or " " in self.api_key):
            raise ConfigError(f"KBQA_API_KEY 应为至少 {MIN_API_KEY_CHARS} 个字符、不含空格的 ASCII 随机串（它要放进 HTTP 头）。"
                              '生成一个：python -c "import secrets; print(secrets.token_urlsafe(32))"。')

    def question_date(self) -> dt.date:
        """The date a question's 去年/今年 are read against: fixed by KBQA_REFERENCE_DATE (tests, replaying an
        evaluation later), else the day it is asked. Called where a question enters, never deep inside."""
        return self.reference_date or dt.date.today()

    @property
    def llm_enabled(self) -> bool:
        """LLM mode turns on only when both a model and a key are configured."""
        return bool(self.llm_model and self.llm_api_key)

    @property
    def mode(self) -> str:
        return "llm" if self.llm_enabled else "extractive"


def _get(env: Mapping[str, str], name: str, *alternatives: str) -> str:
    for key in (name, *alternatives):
        value = env.get(key, "").strip()
        if value:
            return value
    return ""


def _number(env: Mapping[str, str], name: str, default: float, kind: type) -> float:
    raw = _get(env, name)
    if not raw:
        return default
    try:
        return float(kind(raw))
    except ValueError:
        raise ConfigError(f"{name}={raw!r} 不是有效的数字，请改为例如 {default}。") from None


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _get(env, name).lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} 无法识别，请用 true 或 false。")


def _date(env: Mapping[str, str], name: str) -> dt.date | None:
    raw = _get(env, name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} 不是有效日期，请写成 2026-03-01 的形式（或不设置，表示提问当天）。") from None


def _file_max_mb(env: Mapping[str, str], name: str) -> tuple[tuple[str, int], ...]:
    """'pdf=200, xlsx=50' over the defaults; the types not named keep theirs."""
    limits = dict(DEFAULT_FILE_MAX_MB)
    for part in _get(env, name).replace("，", ",").split(","):
        if not part.strip():
            continue
        kind, _, mb = part.partition("=")
        if not mb.strip().isdigit():
            raise ConfigError(f"{name} 中的 {part.strip()!r} 无法识别：请写成 pdf=200,xlsx=50 的形式（单位 MB）。")
        limits[kind.strip().lower().lstrip(".")] = int(mb)
    return tuple(limits.items())


def from_env(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build Settings from KBQA_* variables (and OPENAI_* for the model endpoint)."""
    env = os.environ if env is None else env
    defaults = Settings()
    model = _get(env, "KBQA_LLM_MODEL")
    values: dict[str, object] = {
        "index_dir": Path(_get(env, "KBQA_INDEX_DIR") or defaults.index_dir),
        "kb_dir": Path(_get(env, "KBQA_KB_DIR") or defaults.kb_dir),
        "chunk_chars": int(_number(env, "KBQA_CHUNK_CHARS", defaults.chunk_chars, int)),
        "top_k": int(_number(env, "KBQA_TOP_K", defaults.top_k, int)),
        "chroma_host": _get(env, "KBQA_CHROMA_HOST"),
        "chroma_port": int(_number(env, "KBQA_CHROMA_PORT", defaults.chroma_port, int)),
        "llm_model": model,
        "llm_base_url": _get(env, "KBQA_LLM_BASE_URL", "OPENAI_BASE_URL"),
        "llm_api_key": _get(env, "KBQA_LLM_API_KEY", "OPENAI_API_KEY") if model else "",
        "llm_temperature": _number(env, "KBQA_LLM_TEMPERATURE", defaults.llm_temperature, float),
        "llm_timeout_s": _number(env, "KBQA_LLM_TIMEOUT", defaults.llm_timeout_s, float),
        "llm_max_retries": int(_number(env, "KBQA_LLM_MAX_RETRIES", defaults.llm_max_retries, int)),
        "embed_model": _get(env, "KBQA_EMBED_MODEL"),
        "fallback_on_unverified": _flag(env, "KBQA_FALLBACK_ON_UNVERIFIED", defaults.fallback_on_unverified),
        "auth_config": Path(p) if (p := _get(env, "KBQA_AUTH_CONFIG")) else None,
        "chat_requires_login": _flag(env, "KBQA_CHAT_REQUIRES_LOGIN", defaults.chat_requires_login),
        "admin_emails": tuple(e.strip().lower() for e in _get(env, "KBQA_ADMIN_EMAILS").split(",") if e.strip()),
        "upload_max_mb": int(_number(env, "KBQA_UPLOAD_MAX_MB", defaults.upload_max_mb, int)),
        "file_max_mb": _file_max_mb(env, "KBQA_FILE_MAX_MB"),
        "max_unzipped_mb": int(_number(env, "KBQA_MAX_UNZIPPED_MB", defaults.max_unzipped_mb, int)),
        "max_cells": int(_number(env, "KBQA_MAX_CELLS", defaults.max_cells, int)),
        "parse_timeout_s": _number(env, "KBQA_PARSE_TIMEOUT", defaults.parse_timeout_s, float),
        "parse_memory_mb": int(_number(env, "KBQA_PARSE_MEMORY_MB", defaults.parse_memory_mb, int)),
        "ocr": _flag(env, "KBQA_OCR", defaults.ocr),
        "ocr_page_timeout_s": _number(env, "KBQA_OCR_PAGE_TIMEOUT", defaults.ocr_page_timeout_s, float),
        "image_max_pixels": int(_number(env, "KBQA_IMAGE_MAX_PIXELS", defaults.image_max_pixels, int)),
        "reference_date": _date(env, "KBQA_REFERENCE_DATE"),
        "login_max_failures": int(_number(env, "KBQA_LOGIN_MAX_FAILURES", defaults.login_max_failures, int)),
        "login_lockout_minutes": _number(env, "KBQA_LOGIN_LOCKOUT_MINUTES", defaults.login_lockout_minutes, float),
        "login_delay_s": _number(env, "KBQA_LOGIN_DELAY_S", defaults.login_delay_s, float),
        "ingest_wait_s": _number(env, "KBQA_INGEST_WAIT_S", defaults.ingest_wait_s, float),
        "api_key": _get(env, "KBQA_API_KEY"),
        "store_questions": _flag(env, "KBQA_STORE_QUESTIONS", defaults.store_questions),
        "retention_days": int(_number(env, "KBQA_RETENTION_DAYS", defaults.retention_days, int)),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]
