"""The entry point run.sh starts: the Streamlit UI (streamlit_app.py) plus our login pages on one server.

`streamlit run server.py` finds the module-level `app = st.App(...)` and serves it with uvicorn; the
.streamlit/config.toml settings and --server.* flags apply as for `streamlit run streamlit_app.py`. The login
pages set the session cookie from an HTTP response, so it is HttpOnly (app/login_page.py).
"""

import streamlit as st

from app.login_page import routes

app = st.App("streamlit_app.py", routes=routes())
