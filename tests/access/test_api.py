"""The read API over the small real snapshot: keys, filters, formats, cursor, cap, catalogue."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from access.main import create_app
from tests.access.conftest import KEY, MAX_ROWS, OTHER_KEY, access_settings

TRAFFIC = {
    "/v1/traffic/stores/daily": ("fct_store_traffic_daily", ["store_id", "local_date"]),
    "/v1/traffic/stores/hourly": ("fct_store_traffic_hourly", ["store_id", "hour_start_utc"]),
    "/v1/traffic/sensors/daily": (
        "fct_sensor_traffic_daily",
        ["store_id", "sensor_id", "local_date"],
    ),
    "/v1/traffic/sensors/hourly": (
        "fct_sensor_traffic_hourly",
        ["store_id", "sensor_id", "hour_start_utc"],
    ),
}


def mart(served: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    with duckdb.connect(str(served), read_only=True) as con:
        return con.execute(sql, params or []).df()


def all_pages(client: TestClient, path: str, **params) -> tuple[list[dict], int]:
    """Follow the cursor to the end; (every row, number of answers)."""
    rows, cursor, answers = [], None, 0
    while True:
        body = client.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert body.status_code == 200, body.text
        page = body.json()
        rows.extend(page["rows"])
        answers += 1
        assert page["n_rows"] == len(page["rows"])
        cursor = page["next_cursor"]
        if not cursor:
            return rows, answers


# --- keys ---------------------------------------------------------------------------------
def test_only_health_answers_without_a_key(served: Path) -> None:
    app = create_app(access_settings(), served)
    with TestClient(app) as anonymous:
        assert anonymous.get("/health").status_code == 200
        paths = [p for p in anonymous.get("/openapi.json").json()["paths"] if p != "/health"]
        assert len(paths) >= 12
        for path in paths:
            path = path.replace("{name}", "fct_alerts")
            none = anonymous.get(path)
            assert none.status_code == 401, (path, none.text)
            assert "X-API-Key" in none.json()["detail"]
            wrong = anonymous.get(path, headers={"X-API-Key": KEY + "x"})
            assert wrong.status_code == 401 and "unknown API key" in wrong.json()["detail"]
            assert anonymous.get(path, headers={"X-API-Key": OTHER_KEY}).status_code == 200
        # a key is checked before the parameters: a bad parameter without a key is a 401
        assert anonymous.get("/v1/traffic/stores/daily?limit=-1").status_code == 401


def test_no_keys_configured_lets_nobody_in(served: Path) -> None:
    settings = access_settings()
    app = create_app(type(settings)("127.0.0.1", 0, (), MAX_ROWS), served)
    with TestClient(app) as c:
        assert c.get("/v1/stores", headers={"X-API-Key": ""}).status_code == 401
        assert c.get("/v1/stores", headers={"X-API-Key": KEY}).status_code == 401


# --- traffic at the four resolutions --------------------------------------------------------
@pytest.mark.parametrize("path", list(TRAFFIC))
def test_traffic_filters_equal_the_mart(client: TestClient, served: Path, path: str) -> None:
    table, key = TRAFFIC[path]
    params = {"stores": "london", "start_date": "2024-10-27", "end_date": "2024-10-28"}
    if "sensors" in path:
        params["sensors"] = [0, 3]
    rows, _ = all_pages(client, path, **params, limit=MAX_ROWS)
    got = pd.DataFrame(rows)
    sensors = "and sensor_id in (0, 3)" if "sensors" in path else ""
    want = mart(
        served,
        f"select * from {table} where store_id = 'london' "
        f"and local_date between '2024-10-27' and '2024-10-28' {sensors} "
        f"order by {', '.join(key)}",
    )
    assert len(got) == len(want) > 0
    assert list(got.columns) == list(want.columns)
    assert got["visits_clean"].tolist() == pytest.approx(want["visits_clean"].tolist())
    if "hourly" in path:
        # 2024-10-27 is London's 25-hour day: 25 + 24 hours, per sensor
        per = 2 if "sensors" in path else 1
        assert len(got) == 49 * per
        assert pd.to_datetime(got["hour_start_utc"]).tolist() == want["hour_start_utc"].tolist()


def test_a_day_of_hourly_sensor_traffic(client: TestClient) -> None:
    body = client.get(
        "/v1/traffic/sensors/hourly",
        params={"stores": "london", "start_date": "2025-03-30", "end_date": "2025-03-30"},
    ).json()
    assert body["n_rows"] == 8 * 23  # eight sensors, a 23-hour DST day
    assert {r["local_date"] for r in body["rows"]} == {"2025-03-30"}
    assert body["next_cursor"] is None


def test_the_cursor_walks_every_row_once_in_key_order(client: TestClient, served: Path) -> None:
    rows, answers = all_pages(client, "/v1/traffic/sensors/daily", limit=97)
    want = mart(served, "select store_id, sensor_id, local_date from fct_sensor_traffic_daily")
    assert len(rows) == len(want) and answers == -(-len(want) // 97)
    keys = [(r["store_id"], r["sensor_id"], r["local_date"]) for r in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


def test_formats_carry_the_same_rows(client: TestClient) -> None:
    params = {"stores": "madrid,london", "start_date": "2025-01-01", "end_date": "2025-01-31"}
    path = "/v1/traffic/stores/daily"
    as_json = pd.DataFrame(client.get(path, params=params).json()["rows"])
    csv = client.get(path, params={**params, "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    as_csv = pd.read_csv(io.StringIO(csv.text))
    parquet = client.get(path, params={**params, "format": "parquet"})
    assert parquet.headers["content-type"] == "application/vnd.apache.parquet"
    as_parquet = pq.read_table(io.BytesIO(parquet.content)).to_pandas()
    assert len(as_json) == len(as_csv) == len(as_parquet) == 62
    for other in (as_csv, as_parquet):
        assert list(other.columns) == list(as_json.columns)
        assert other["visits_clean"].tolist() == pytest.approx(as_json["visits_clean"].tolist())
    # CSV and Parquet page too, with the cursor in a header
    first = client.get(path, params={**params, "format": "parquet", "limit": 40})
    assert pq.read_table(io.BytesIO(first.content)).num_rows == 40
    rest = client.get(
        path, params={**params, "format": "csv", "cursor": first.headers["X-Next-Cursor"]}
    )
    assert len(pd.read_csv(io.StringIO(rest.text))) == 22 and "X-Next-Cursor" not in rest.headers


def test_trends_quality_alerts_and_stores(client: TestClient, served: Path) -> None:
    trends = client.get(
        "/v1/trends/daily", params={"stores": "london", "weekday": 1, "limit": 1000}
    ).json()["rows"]
    want = mart(
        served,
        "select visits_clean_wow_pct from fct_store_traffic_daily "
        "where store_id = 'london' and isodow = 1 order by local_date",
    )
    assert len(trends) == len(want) >= 26 and {r["isodow"] for r in trends} == {1}
    assert [r["visits_clean_wow_pct"] for r in trends][1:] == pytest.approx(
        want["visits_clean_wow_pct"].tolist()[1:]
    )
    hourly = client.get(
        "/v1/trends/hourly", params={"stores": "madrid", "local_hour": 12, "weekday": 3}
    ).json()["rows"]
    assert len(hourly) >= 26 and {(r["local_hour"], r["isodow"]) for r in hourly} == {(12, 3)}

    quality, answers = all_pages(client, "/v1/quality/sensors", stores="london")
    assert answers == 2  # more than the default limit of 1000 rows
    assert {r["sensor_id"] for r in quality} == set(range(8))
    assert set(quality[0]) >= {"n_failed_hours", "n_missing_hours", "data_quality_pct"}
    store_q = client.get("/v1/quality/stores", params={"stores": "madrid"}).json()["rows"]
    (n_days,) = mart(served, "select count(*) as n from fct_store_traffic_daily")["n"]
    assert len(store_q) == n_days // 2 >= 26 * 7  # madrid's half of the two stores' days

    alerts = client.get("/v1/alerts", params={"limit": 1000}).json()["rows"]
    (n_alerts,) = mart(served, "select count(*) as n from fct_alerts")["n"]
    assert len(alerts) == n_alerts
    opened = client.get("/v1/alerts", params={"is_open": "false", "severity": "critical"})
    assert all(not r["is_open"] and r["severity"] == "critical" for r in opened.json()["rows"])

    stores = client.get("/v1/stores").json()["rows"]
    assert "london" in {s["store_id"] for s in stores}
    sensors = client.get("/v1/sensors", params={"stores": "london"}).json()["rows"]
    assert len(sensors) == 8


# --- bad parameters: 404 or 422 with a message ----------------------------------------------
@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"stores": "atlantis"}, 404, "unknown store(s) 'atlantis'"),
        ({"stores": "london", "sensors": 8}, 404, "no sensor 8 in store(s) london"),
        ({"start_date": "2025-02-01", "end_date": "2025-01-01"}, 422, "is after end_date"),
        ({"start_date": "2025-02-30"}, 422, "start_date"),
        ({"limit": MAX_ROWS + 1}, 422, f"cap of {MAX_ROWS} rows"),
        ({"limit": 0}, 422, "limit"),
        ({"format": "xlsx"}, 422, "format"),
        ({"cursor": "not-a-cursor"}, 422, "is not a cursor of sensor_traffic_hourly"),
    ],
)
def test_bad_parameters_say_what_was_wrong(
    client: TestClient, params: dict, status: int, says: str
) -> None:
    answer = client.get("/v1/traffic/sensors/hourly", params=params)
    assert answer.status_code == status, answer.text
    assert says in answer.json()["detail"]


def test_a_cursor_of_another_dataset_is_refused(client: TestClient) -> None:
    cursor = client.get("/v1/traffic/stores/daily", params={"limit": 1}).json()["next_cursor"]
    answer = client.get("/v1/traffic/sensors/daily", params={"cursor": cursor})
    assert answer.status_code == 422 and "not a cursor of" in answer.json()["detail"]


# --- catalogue and health -------------------------------------------------------------------
def test_the_catalogue_describes_every_mart(client: TestClient, served: Path) -> None:
    body = client.get("/v1/datasets").json()
    names = {d["name"] for d in body["datasets"]}
    tables = set(
        mart(
            served,
            "select table_name from duckdb_tables() where table_name like 'dim%' "
            "or table_name like 'fct%'",
        )["table_name"]
    )
    assert names == tables and "fct_store_traffic_daily" in names
    assert any(p.endswith("manifest.json") for p in body["described_by"])
    daily = client.get("/v1/datasets/fct_store_traffic_daily").json()
    assert "store and local day" in daily["description"]
    assert set(daily["endpoints"]) == {
        "/v1/traffic/stores/daily",
        "/v1/trends/daily",
        "/v1/quality/stores",
    }
    columns = {c["name"]: c for c in daily["columns"]}
    assert columns["store_id"]["description"].startswith("The store")
    assert "moving average" in columns["visits_clean_ma_4w"]["description"].lower()
    assert daily["n_rows"] == len(mart(served, "select * from fct_store_traffic_daily"))
    missing = client.get("/v1/datasets/fct_nothing")
    assert missing.status_code == 404 and "fct_store_traffic_daily" in missing.json()["detail"]


def test_health_says_how_fresh_the_snapshot_is(client: TestClient, tmp_path: Path) -> None:
    body = client.get("/health", headers={"X-API-Key": ""}).json()
    assert body["status"] == "ok" and body["age_s"] >= 0
    assert body["last_load_window_end_utc"].startswith("2025-04-07")
    assert {s["store_id"] for s in body["stores"]} == {"madrid", "london"}
    with TestClient(create_app(access_settings(), tmp_path / "none.duckdb")) as nothing:
        answer = nothing.get("/health")
        assert answer.status_code == 503 and "make build" in answer.json()["detail"]
        answer = nothing.get("/v1/stores", headers={"X-API-Key": KEY})
        assert answer.status_code == 503 and "no serving snapshot" in answer.json()["detail"]


def test_the_default_limit_stays_under_a_small_cap(served: Path) -> None:
    app = create_app(access_settings(max_rows=50), served)
    with TestClient(app, headers={"X-API-Key": KEY}) as small:
        body = small.get("/v1/traffic/stores/daily").json()
        assert body["n_rows"] == 50 and body["next_cursor"]


def test_far_dates_are_empty_answers_not_errors(client: TestClient) -> None:
    for path, params in [
        ("/v1/alerts", {"opened_to": "9999-12-31"}),
        ("/v1/traffic/stores/hourly", {"start_date": "9999-12-31"}),
        ("/v1/traffic/sensors/daily", {"end_date": "0001-01-01"}),
    ]:
        answer = client.get(path, params=params)
        assert answer.status_code == 200, answer.text
