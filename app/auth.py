"""Admin login configuration: a streamlit-authenticator YAML file with bcrypt-hashed passwords.

    credentials:
      usernames:
        admin: {name: 管理员, password: "$2b$12$...", roles: [admin]}
    cookie: {name: kbqa_auth, key: 一段随机字符串, expiry_days: 1}

Hash a password with: .venv/bin/python -m app hash-password
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from app.errors import ConfigError


def load_auth_config(path: Path) -> dict[str, Any]:
    """Read and check the file; plain-text passwords are refused, not silently hashed."""
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"无法读取登录配置 {path}：{exc}") from None
    users = (config or {}).get("credentials", {}).get("usernames") or {}
    if not users:
        raise ConfigError(f"登录配置 {path} 中没有任何用户（credentials.usernames）。")
    for name, user in users.items():
        if not str(user.get("password", "")).startswith(("$2b$", "$2a$", "$2y$")):
            raise ConfigError(f"登录配置中用户 {name} 的密码不是 bcrypt 哈希：请用 python -m app hash-password 生成后替换。")
    cookie = config.get("cookie") or {}
    if not cookie.get("key") or len(str(cookie["key"])) < 16:
        raise ConfigError("登录配置的 cookie.key 缺失或太短（至少 16 个字符的随机字符串）。")
    return dict(config)


def is_admin(config: dict[str, Any], username: str | None) -> bool:
    if not username:
        return False
    user = config["credentials"]["usernames"].get(username) or {}
    return "admin" in (user.get("roles") or [])


def hash_password(password: str) -> str:
    import bcrypt

    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")
