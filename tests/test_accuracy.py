"""Detection accuracy on simulated traffic with planted ground truth (the issue's bar):
precision and recall >= 0.95 for every kind on >= 2,000 vessels over 48 h."""

from __future__ import annotations

import pytest

from neonwatch.detect import Kind, detect
from neonwatch.detect.evaluate import evaluate
from neonwatch.simulate import simulate


@pytest.fixture(scope="module")
def scores() -> dict[str, float]:
    sim = simulate(vessels=2000, hours=48, seed=11)
    assert sim.positions.num_rows > 5_000_000
    return evaluate(detect(sim.positions), sim.truth)


@pytest.mark.parametrize("kind", Kind.ALL)
def test_precision_and_recall_at_least_95_percent(scores: dict[str, float], kind: str) -> None:
    assert scores[f"{kind}.truth"] >= 8, "too few planted events to measure"
    assert scores[f"{kind}.precision"] >= 0.95, scores
    assert scores[f"{kind}.recall"] >= 0.95, scores
