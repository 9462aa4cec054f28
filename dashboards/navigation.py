"""The pages of the dashboard, in the order of the sidebar.

To add a page: put its script in ``dashboards/views/`` and add one ``st.Page`` line below
(paths are relative to ``dashboards/app.py``; ``url_path`` is the page's address, the
default page is served at ``/``).
"""

from __future__ import annotations

import streamlit as st


def pages() -> list[st.Page]:
    """Every page of the dashboard; the first is the default."""
    return [
        st.Page(
            "views/overview.py",
            title="Chain overview",
            icon=":material/dashboard:",
            default=True,  # served at the root address: /
        ),
        st.Page("views/stores.py", title="Stores", icon=":material/storefront:", url_path="stores"),
        st.Page("views/sensors.py", title="Sensors", icon=":material/sensors:", url_path="sensors"),
        st.Page(
            "views/trends.py",
            title="Weekday trends",
            icon=":material/calendar_view_week:",
            url_path="trends",
        ),
        st.Page(
            "views/quality.py",
            title="Data quality",
            icon=":material/fact_check:",
            url_path="quality",
        ),
        st.Page("views/alerts.py", title="Alerts", icon=":material/warning:", url_path="alerts"),
    ]
