"""Login in the sidebar: our own login over a server-side session table (app/auth.py), or st.login with OIDC."""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from app.present import text_md
from app.settings import Settings


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except StreamlitSecretNotFoundError:
        return False


def login(settings: Settings) -> tuple[bool, bool, str, str]:
    """(logged in, admin, how to enable admin, user name or e-mail). Our own login over a server-side session
    table, or st.login with OIDC.

    Started through server.py, the login is a page of its own (/kbqa/login) whose HTTP response sets an HttpOnly
    cookie; the script only reads it from the request and checks it against the session table on every run, so
    a logout in another tab, an expiry or a new cookie.key ends this session too. Started as a bare script
    (streamlit run streamlit_app.py, AppTest) there is no such page: the sidebar form logs in this tab only and
    writes no cookie at all."""
    if settings.auth_config:
        from app import login_page
        from app.auth import is_admin, load_auth_config

        config = load_auth_config(settings.auth_config)
        store = login_page.open_store(settings, config)  # once per process, not on every rerun
        state = st.session_state
        served = login_page.served()

        def attempt() -> None:
            result = store.attempt(state.get("login_name", ""), state.get("login_password", ""))
            state.login_password = ""
            state.auth_token, state.auth_message = result.token, result.message

        def logout() -> None:
            store.logout(state.get("auth_token", ""))
            state.auth_token = ""

        token = st.context.cookies.get(str(config["cookie"]["name"]), "") if served else state.get("auth_token", "")
        username = store.session_user(token)
        state.auth_token = token if username and not served else ""  # the page's cookie stays out of session state
        with st.sidebar:
            if username:
                shown = config["credentials"]["usernames"][username].get("name") or username
                st.caption(f"已登录：{text_md(str(shown))}")
                if served:
                    st.html(login_page.logout_button(store.form_token(token)))
                else:
                    st.button("退出登录", on_click=logout)
            elif served:
                st.html(login_page.login_link())
            else:
                with st.form("login"):
                    st.markdown("**管理员登录**")
                    st.text_input("用户名", max_chars=64, key="login_name")
                    st.text_input("密码", type="password", max_chars=256, key="login_password")
                    st.form_submit_button("登录", on_click=attempt)
                if message := state.pop("auth_message", ""):
                    st.error(message)
        return bool(username), is_admin(config, username), "", username or ""
    if oidc_configured():
        if not st.user.is_logged_in:
            st.sidebar.button("登录", on_click=st.login)
            return False, False, "", ""
        st.sidebar.button("退出登录", on_click=st.logout)
        email = str(st.user.get("email", "")).lower()
        return True, email in settings.admin_emails, "", email
    return False, False, "未配置登录：设置 KBQA_AUTH_CONFIG 指向登录配置文件（见 README）后，管理员可上传、删除和重建索引。", ""
