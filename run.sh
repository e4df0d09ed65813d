#!/usr/bin/env bash
# Start the chat on the shipped sample knowledge base (kb/); the index is built on first start.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/bootstrap.sh
exec .venv/bin/streamlit run streamlit_app.py --server.headless true --browser.gatherUsageStats false "$@"
