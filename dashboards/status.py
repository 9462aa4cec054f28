"""What the app shows around the pages: the friendly no-data page, the snapshot's freshness,
and the watcher that redraws an open page when a new snapshot is published."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboards import context, snapshot, ui


def no_data(problem: str, path: Path, version: snapshot.Version | None) -> None:
    """A page that says why there is nothing to show and which command fixes it."""
    st.title("footfall")
    if problem == "missing":
        st.info(
            f"There is no data to show yet: the serving snapshot `{path}` does not exist.",
            icon=":material/hourglass_empty:",
        )
    elif problem == "empty":
        st.info(
            f"The serving snapshot `{path}` holds no traffic yet: the warehouse had no "
            "readings when it was built.",
            icon=":material/hourglass_empty:",
        )
    else:
        st.warning(
            f"The serving snapshot `{path}` cannot be shown ({problem}). Publishing it "
            "again fixes this.",
            icon=":material/build:",
        )
    st.markdown("Run the whole pipeline (simulator, load, build, publish) with:")
    st.code("make demo", language="bash")
    st.markdown("or, with the simulator running (`make simulator`), load and build by hand:")
    st.code("make load\nmake build    # dbt build, then publish the snapshot", language="bash")
    st.caption(
        "The dashboard reads only the serving snapshot (FOOTFALL_SERVING), which "
        "`make build` and `make publish` write. This page updates by itself once it appears."
    )
    watch(version)


def freshness_caption(info: dict) -> None:
    """The snapshot's facts at the bottom of the sidebar."""
    st.sidebar.caption(
        f"Published {ui.age(info.get('published_at_utc'))} · last load "
        f"{ui.age(info.get('last_load_ended_at_utc'))} · last build "
        f"{ui.age(info.get('build_generated_at_utc'))}"
    )


@st.fragment(run_every=context.WATCH_EVERY_S)
def watch(version: snapshot.Version | None) -> None:
    """Rerun the whole app when the snapshot file changes (published, replaced, removed)."""
    now = snapshot.current(context.snapshot_path())
    if (now.version if now else None) != version:
        st.rerun(scope="app")
