"""footfall's Streamlit dashboard over the marts, read from the serving snapshot.

`python -m dashboards` serves it (README: Dashboard). The app's entry point is
``dashboards/app.py``; its pages are listed in ``dashboards/navigation.py``.
"""
