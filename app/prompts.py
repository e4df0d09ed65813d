"""Prompt templates live in prompts/*.md; rendering is strict: a missing or unused value is an error."""

from __future__ import annotations

import re
from functools import cache

from app.errors import ConfigError
from app.settings import PROJECT_ROOT

PROMPTS_DIR = PROJECT_ROOT / "prompts"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
REFUSAL = "知识库中未找到能回答该问题的依据。"


@cache
def template(name: str) -> str:
    path = PROMPTS_DIR / f"{name}.md"
    if not path.exists():
        raise ConfigError(f"找不到提示词模板 {path}。")
    return path.read_text(encoding="utf-8").strip()


def placeholders(name: str) -> set[str]:
    return set(_PLACEHOLDER.findall(template(name)))


def render(name: str, **values: str) -> str:
    """Fill {name} placeholders; values are inserted verbatim (no further substitution inside them)."""
    wanted = placeholders(name)
    missing, unused = wanted - set(values), set(values) - wanted
    if missing or unused:
        raise ConfigError(f"提示词模板 {name}.md 的占位符不匹配：缺少 {sorted(missing)}，多余 {sorted(unused)}。")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template(name))
