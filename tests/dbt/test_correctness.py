"""The cleaning of the shared small warehouse against the simulator's ground truth.

The simulator knows the true status of every reading it served (`GET /api/v1/truth`): ok,
failed, anomalous, closed, or an outage hour it left out. The marts' classification of each
sensor-hour must agree: every failed reading classified failed, every outage hour missing,
and anomalies found with precision and recall of at least 99 % once a sensor has the four
weeks of history its expected value needs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import numpy as np
import pandas as pd
import pytest

from tests.chain import Chain, iso_utc
from tests.conftest import run_simulator

# Anomalies are judged after the first 13 weeks of the window: the expected value of an hour is
# the median of the same weekday and hour over the previous 28 days, falling back to 91 days
# when too few, so a judged hour's expected value never reaches back before the window.
WARM_UP = timedelta(weeks=13)
MIN_PRECISION = MIN_RECALL = 0.99


def fetch_truth(api_url: str, store_id: str, start: datetime, end: datetime) -> pd.DataFrame:
    """The simulator's ground truth for one store over [start, end), every page of it."""
    frames, cursor = [], None
    with httpx.Client(base_url=api_url, timeout=60.0) as client:
        while True:
            params = {"store_id": store_id, "start": iso_utc(start), "end": iso_utc(end)}
            params["page_size"] = "1000000"
            if cursor:
                params["cursor"] = cursor
            response = client.get("/api/v1/truth", params=params)
            assert response.status_code == 200, f"GET /api/v1/truth {params}: {response.text}"
            body = response.json()
            frames.append(pd.DataFrame(body["readings"]))
            cursor = body.get("next_cursor")
            if not cursor:
                break
    truth = pd.concat(frames, ignore_index=True)
    truth["store_id"] = store_id
    truth["hour_start_utc"] = pd.to_datetime(
        truth.pop("reading_start_utc"), utc=True
    ).dt.tz_localize(None)
    return truth.rename(columns={"status": "true_status", "visits": "true_visits_reported"})


@pytest.fixture(scope="module")
def judged(small_warehouse: Chain) -> pd.DataFrame:
    """Every sensor-hour of the sensor hourly fact beside its ground truth."""
    with small_warehouse.connect() as con:
        hourly = con.sql(
            """
            select store_id, sensor_id, hour_start_utc, local_date, is_open_hour, status,
                   visits_raw, visits_expected, visits_clean
            from fct_sensor_traffic_hourly
            """
        ).df()
    hourly["hour_start_utc"] = pd.to_datetime(hourly["hour_start_utc"])
    hourly["local_date"] = pd.to_datetime(hourly["local_date"])
    # Each store's truth from its first modelled hour (its local midnight) to now.
    first = hourly.groupby("store_id")["hour_start_utc"].min()
    with run_simulator({"FOOTFALL_SIM_NOW": iso_utc(small_warehouse.now)}) as api_url:
        truth = pd.concat(
            [
                fetch_truth(
                    api_url,
                    store_id,
                    first[store_id].to_pydatetime().replace(tzinfo=UTC),
                    small_warehouse.now,
                )
                for store_id in small_warehouse.stores
            ],
            ignore_index=True,
        )
    keys = ["store_id", "sensor_id", "hour_start_utc"]
    truth["sensor_id"] = truth["sensor_id"].astype(hourly["sensor_id"].dtype)
    truth["hour_start_utc"] = truth["hour_start_utc"].astype(hourly["hour_start_utc"].dtype)
    merged = hourly.merge(truth, on=keys, how="outer", indicator=True, validate="one_to_one")
    only = merged[merged["_merge"] != "both"]
    assert only.empty, (
        f"{len(only)} sensor-hours are in the marts or in the truth only, e.g.\n"
        f"{only[[*keys, 'status', 'true_status', '_merge']].head(10)}"
    )
    return merged.drop(columns="_merge")


def _crosstab(frame: pd.DataFrame) -> str:
    return pd.crosstab(frame["true_status"], frame["status"]).to_string()


def test_every_failed_reading_is_classified_failed(judged: pd.DataFrame) -> None:
    truly_failed = judged["true_status"] == "failed"
    assert truly_failed.sum() > 0, "the sample has no failed reading: the check would be empty"
    wrong = judged[truly_failed != (judged["status"] == "failed")]
    assert wrong.empty, (
        f"{len(wrong)} sensor-hours failed in truth xor in the marts:\n{_crosstab(judged)}"
    )


def test_missing_hours_are_exactly_the_outages(judged: pd.DataFrame) -> None:
    wrong = judged[(judged["true_status"] == "outage") != (judged["status"] == "missing")]
    assert wrong.empty, f"{len(wrong)} hours: outage xor missing:\n{_crosstab(judged)}"


def test_closed_hours_are_classified_closed(judged: pd.DataFrame) -> None:
    wrong = judged[(judged["true_status"] == "closed") != (judged["status"] == "closed")]
    assert wrong.empty, f"{len(wrong)} hours: closed xor closed:\n{_crosstab(judged)}"


def test_visits_raw_is_what_the_sensor_reported(judged: pd.DataFrame) -> None:
    reported = judged[~judged["true_status"].isin(["failed", "outage"])]
    got = reported["visits_raw"].astype("float64").to_numpy()
    want = reported["true_visits_reported"].astype("float64").to_numpy()
    assert np.array_equal(got, want), f"{int((got != want).sum())} hours with a wrong visits_raw"


def test_anomalies_are_found_with_99_percent_precision_and_recall(
    small_warehouse: Chain, judged: pd.DataFrame
) -> None:
    sample = judged[judged["local_date"] >= pd.Timestamp(small_warehouse.start + WARM_UP)]
    truly = sample["true_status"] == "anomalous"
    found = sample["status"] == "anomalous"
    n_true, n_found, n_both = int(truly.sum()), int(found.sum()), int((truly & found).sum())
    assert n_true >= 400, f"only {n_true} true anomalies in the sample: too few to judge 99 %"
    precision, recall = n_both / max(n_found, 1), n_both / n_true
    report = (
        f"precision {precision:.4f} ({n_both}/{n_found}), recall {recall:.4f} "
        f"({n_both}/{n_true}) on {len(sample)} sensor-hours from "
        f"{small_warehouse.start + WARM_UP}\n{_crosstab(sample)}"
    )
    print(report)
    assert precision >= MIN_PRECISION and recall >= MIN_RECALL, report


def test_clean_visits_restore_the_true_traffic(
    small_warehouse: Chain, judged: pd.DataFrame
) -> None:
    """Over the judged weeks, each store's clean total is within 2 % of the true traffic.

    The raw total misses what the anomalies, failures and outages hid (about 10 % in London);
    the clean one replaces them with expected values.
    """
    sample = judged[
        (judged["local_date"] >= pd.Timestamp(small_warehouse.start + WARM_UP))
        & judged["visits_true"].notna()
    ]
    totals = sample.groupby("store_id")[["visits_clean", "visits_raw", "visits_true"]].sum()
    error = (totals["visits_clean"] / totals["visits_true"] - 1).abs()
    assert (error < 0.02).all(), f"clean vs true totals:\n{totals}\nrelative error:\n{error}"
    raw_error = (totals["visits_raw"] / totals["visits_true"] - 1).abs()
    assert (raw_error > error).all(), f"cleaning did not improve on raw:\n{totals}"
