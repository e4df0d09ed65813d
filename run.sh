#!/usr/bin/env bash
# Start the chat on the shipped sample knowledge base (kb/); the index is built on first start.
# server.py serves streamlit_app.py plus the login pages (HttpOnly session cookie) on one port.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/bootstrap.sh
exec .venv/bin/streamlit run server.py --server.headless true --browser.gatherUsageStats false "$@"
