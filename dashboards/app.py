"""The footfall dashboard's entry point (`python -m dashboards` runs `streamlit run` on it).

It checks the serving snapshot, shows the friendly no-data page when there is nothing to
show, else runs the page chosen in the sidebar (dashboards/navigation.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:  # `streamlit run` puts only this file's folder on sys.path
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from dashboards import context, navigation, queries, status  # noqa: E402


def main() -> None:
    st.set_page_config(page_title="footfall", page_icon=":material/storefront:", layout="wide")
    page = st.navigation(navigation.pages())
    snap, problem = context.current()
    if problem is not None:
        status.no_data(problem, context.snapshot_path(), snap.version if snap else None)
        return
    db = context.Db(snap)
    st.session_state["_footfall_db"] = db
    with st.sidebar:
        status.watch(snap.version)
    try:
        status.freshness_caption(queries.catalog(db).info)
        page.run()
    finally:
        db.close()


main()
