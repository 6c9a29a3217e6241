"""The quickstart's end-user requests: generated trips, JSON as a client sends it."""

from __future__ import annotations

import json

from helpers import EXAMPLE
from opsloop.quickstart.monitoring import report_path
from opsloop.quickstart.traffic import trip_requests


def test_trip_requests_are_many_different_trips_without_the_label() -> None:
    trips = trip_requests(EXAMPLE, rows=1000, seed=4, rows_each=5)
    assert trips.rows_each == 5 and len(trips.bodies) == 200
    assert len(set(trips.bodies)) == 200  # no body repeats: the canary is no one trip
    bodies = [json.loads(body)["input_data"] for body in trips.bodies]
    assert "cost" not in bodies[0]["columns"]
    assert all(len(body["data"]) == 5 for body in bodies)
    values = [value for body in bodies for row in body["data"] for value in row]
    # The generator leaves 1% of trip_minutes and payment_type missing: null in JSON.
    assert None in values
    assert all(value == value for value in values if isinstance(value, float))  # no NaN


def test_drifted_trips_are_longer() -> None:
    def mean_distance(drift: bool) -> float:
        trips = trip_requests(EXAMPLE, rows=500, seed=1, drift=drift, rows_each=25)
        rows = [row for body in trips.bodies for row in json.loads(body)["input_data"]["data"]]
        return sum(row[0] for row in rows) / len(rows)

    assert mean_distance(True) > 1.5 * mean_distance(False)


def test_report_path_of_a_file_url_is_the_path() -> None:
    assert report_path("file:///tmp/my%20home/report.html") == "/tmp/my home/report.html"
    assert report_path("s3://bucket/report.html") == "s3://bucket/report.html"
