"""Precision and recall of events against truth: hand-made tables with known answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from neonwatch.detect.evaluate import evaluate, load_table
from neonwatch.detect.schema import EVENTS, TRUTH, Kind

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def _truth(rows: list[tuple[str, int, int | None, float, float]]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "kind": k,
                "mmsi": a,
                "mmsi_2": b,
                "start": _at(s),
                "end": _at(e),
                "lat": 30.0,
                "lon": 125.0,
                "note": "test",
            }
            for k, a, b, s, e in rows
        ],
        schema=TRUTH,
    )


def _events(rows: list[tuple[str, int, int | None, float, float]]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "event_id": str(i),
                "kind": k,
                "mmsi": a,
                "mmsi_2": b,
                "start": _at(s),
                "end": _at(e),
                "duration_h": e - s,
            }
            for i, (k, a, b, s, e) in enumerate(rows)
        ],
        schema=EVENTS,
    )


def test_every_kind_has_all_four_keys_and_empty_kinds_score_one() -> None:
    result = evaluate(_events([]), _truth([]))
    for kind in Kind.ALL:
        assert result[f"{kind}.precision"] == 1.0
        assert result[f"{kind}.recall"] == 1.0
        assert result[f"{kind}.events"] == 0
        assert result[f"{kind}.truth"] == 0


def test_exact_values() -> None:
    truth = _truth(
        [
            ("loitering", 1, None, 0, 5),
            ("loitering", 2, None, 0, 5),
            ("loitering", 3, None, 10, 15),
            ("loitering", 4, None, 10, 15),
        ]
    )
    events = _events(
        [
            ("loitering", 1, None, 1, 4),  # hit
            ("loitering", 3, None, 11, 16),  # hit
            ("loitering", 9, None, 0, 5),  # wrong vessel
            ("loitering", 4, None, 20, 25),  # right vessel, wrong time
            ("loitering", 2, None, 2, 3),  # hit
        ]
    )
    result = evaluate(events, truth)
    assert result["loitering.precision"] == pytest.approx(3 / 5)
    assert result["loitering.recall"] == pytest.approx(3 / 4)
    assert result["loitering.events"] == 5
    assert result["loitering.truth"] == 4
    assert result["encounter.precision"] == 1.0  # untouched kinds stay perfect


def test_time_tolerance_is_one_hour_at_each_end() -> None:
    truth = _truth([("gap", 1, None, 10, 16)])
    near = evaluate(_events([("gap", 1, None, 17.9, 20)]), truth)  # 1.9 h after: within 2 h
    assert near["gap.recall"] == 1.0 and near["gap.precision"] == 1.0
    far = evaluate(_events([("gap", 1, None, 18.1, 20)]), truth)
    assert far["gap.recall"] == 0.0 and far["gap.precision"] == 0.0
    before = evaluate(_events([("gap", 1, None, 6, 8.5)]), truth)
    assert before["gap.recall"] == 1.0


def test_pair_order_does_not_matter_but_vessels_do() -> None:
    truth = _truth([("encounter", 100, 200, 0, 3), ("dark_rendezvous", 300, 400, 0, 8)])
    events = _events(
        [
            ("encounter", 200, 100, 0.5, 2.5),
            ("dark_rendezvous", 400, 300, 1, 6),
            ("encounter", 100, 999, 0.5, 2.5),
        ]
    )
    result = evaluate(events, truth)
    assert result["encounter.recall"] == 1.0
    assert result["encounter.precision"] == pytest.approx(0.5)
    assert result["dark_rendezvous.precision"] == 1.0
    assert result["dark_rendezvous.recall"] == 1.0


def test_single_vessel_kinds_ignore_mmsi_2() -> None:
    truth = _truth([("shared_mmsi", 5, None, 0, 4)])
    result = evaluate(_events([("shared_mmsi", 5, 5, 1, 2)]), truth)
    assert result["shared_mmsi.precision"] == 1.0
    assert result["shared_mmsi.recall"] == 1.0


def test_kind_must_match() -> None:
    truth = _truth([("ais_disabling", 1, None, 0, 14)])
    result = evaluate(_events([("gap", 1, None, 0, 14)]), truth)
    assert result["ais_disabling.recall"] == 0.0
    assert result["ais_disabling.precision"] == 0.0  # truth but nothing claimed
    assert result["gap.precision"] == 0.0
    assert result["gap.recall"] == 1.0  # no gap truth: nothing to miss


def test_split_event_counts_twice_for_precision_once_for_recall() -> None:
    truth = _truth([("encounter", 1, 2, 0, 6), ("encounter", 3, 4, 0, 6)])
    events = _events([("encounter", 1, 2, 0, 2.5), ("encounter", 1, 2, 3.5, 6)])
    result = evaluate(events, truth)
    assert result["encounter.precision"] == 1.0
    assert result["encounter.recall"] == 0.5


def test_polars_input_and_load_table(tmp_path: Path) -> None:
    truth = _truth([("teleport", 7, None, 1, 1)])
    events = _events([("teleport", 7, None, 1.1, 1.1)])
    pq.write_table(truth, tmp_path / "truth.parquet")
    folder = tmp_path / "events" / "day=2025-03-01"
    folder.mkdir(parents=True)
    pq.write_table(events, folder / "part-0.parquet")
    loaded_events = load_table(tmp_path / "events")
    assert "day" not in loaded_events.column_names
    result = evaluate(pl.from_arrow(loaded_events), load_table(tmp_path / "truth.parquet"))
    assert result["teleport.precision"] == 1.0
    assert result["teleport.recall"] == 1.0


def test_missing_column_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="mmsi_2"):
        evaluate(pl.DataFrame({"kind": [], "mmsi": [], "start": [], "end": []}), _truth([]))
