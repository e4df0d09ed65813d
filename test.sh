#!/usr/bin/env bash
# Lint, type-check and run every test. Installs what the tests need (dev extra; Debian chromium + CJK fonts
# for the browser test, LibreOffice for the .doc/.wps/.ppt conversion tests, when we are allowed to install
# system packages).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/bootstrap.sh dev
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk) >/dev/null 2>&1 \
    || echo "注意：无法安装 chromium，浏览器测试将被跳过。"
fi
if ! command -v soffice >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui) >/dev/null 2>&1 \
    || echo "注意：无法安装 LibreOffice，.doc/.wps/.ppt 的转换测试将被跳过。"
fi
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest -q "$@"
