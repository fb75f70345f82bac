from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfjudge.scoring.metrics import (
    ReferenceLevel,
    cluster_references,
    dps,
    dps_norm,
    levels_from_published,
    matching_level,
    task_dps,
)

# 5 references (instruction counts). Sorted descending: 100000, 95000, 50000, 20000, 19000.
# Split after a_i when (a_i - a_{i+1}) / a_i > 0.10 + sqrt(10000 / a_i):
#   100000 -> 95000: 0.05   vs 0.416  no
#   95000  -> 50000: 0.474  vs 0.424  split
#   50000  -> 20000: 0.600  vs 0.547  split
#   20000  -> 19000: 0.05   vs 0.807  no
# Levels (slowest member, cumulative %): (100000, 40), (50000, 60), (20000, 100).
COSTS = [50_000, 19_000, 100_000, 20_000, 95_000]


def test_clustering_hand_computed() -> None:
    assert cluster_references(COSTS) == (
        ReferenceLevel(100_000.0, 2, 40.0), ReferenceLevel(50_000.0, 1, 60.0), ReferenceLevel(20_000.0, 2, 100.0))


def test_clustering_weight_zero_uses_plain_ratio_threshold() -> None:
    # only the 10% base threshold: 100000|95000 (5%) joins, 20000|19000 (5%) joins
    assert [lvl.cost for lvl in cluster_references(COSTS, weight=0.0)] == [100_000.0, 50_000.0, 20_000.0]
    assert len(cluster_references(COSTS, base_threshold=0.01, weight=0.0)) == 5


def test_dps_hand_values() -> None:
    levels = cluster_references(COSTS)
    assert dps(15_000, levels) == 100.0 and dps_norm(15_000, levels) == 100.0
    assert dps(20_000, levels) == 100.0            # equal cost matches the level
    assert dps(30_000, levels) == 60.0 and dps_norm(30_000, levels) == pytest.approx(200 / 3)
    assert dps(99_000, levels) == 40.0 and dps_norm(99_000, levels) == pytest.approx(100 / 3)
    assert dps(200_000, levels) == 0.0 and matching_level(200_000, levels) == -1
    assert dps(None, levels) == 0.0
    # mean over two correct samples: (100 + 60) / 2 and (100 + 66.67) / 2
    assert task_dps([15_000, 30_000], levels) == pytest.approx((80.0, 250 / 3))


def test_published_levels() -> None:
    levels = levels_from_published([900.0, 400.0, 100.0], [10.0, 55.0, 100.0])
    assert dps(350.0, levels) == 55.0 and dps_norm(350.0, levels) == pytest.approx(200 / 3)
    with pytest.raises(ValueError, match="increase"):
        levels_from_published([900.0, 400.0], [55.0, 10.0])
    with pytest.raises(ValueError, match="slowest to fastest"):
        levels_from_published([100.0, 400.0], [10.0, 55.0])


cost_lists = st.lists(st.floats(1e3, 1e9, allow_nan=False), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(cost_lists, st.floats(1e2, 2e9), st.floats(1e2, 2e9))
def test_faster_sample_never_scores_lower(costs: list[float], x: float, y: float) -> None:
    levels = cluster_references(costs)
    fast, slow = min(x, y), max(x, y)
    assert dps(fast, levels) >= dps(slow, levels)
    assert dps_norm(fast, levels) >= dps_norm(slow, levels)
    for value in (dps(x, levels), dps_norm(x, levels)):
        assert 0.0 <= value <= 100.0


@settings(max_examples=200, deadline=None)
@given(cost_lists)
def test_levels_partition_references(costs: list[float]) -> None:
    levels = cluster_references(costs)
    assert sum(lvl.size for lvl in levels) == len(costs)
    assert levels[-1].score == pytest.approx(100.0)
    assert levels[0].cost == max(costs)
    # a sample as fast as the fastest reference reaches the top level
    assert dps(min(costs), levels) == pytest.approx(100.0)
    # matching level j's representative scores exactly that level
    for j, lvl in enumerate(levels):
        assert matching_level(lvl.cost, levels) == j


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="costs"):
        cluster_references([])
    with pytest.raises(ValueError, match="> 0"):
        cluster_references([10.0, 0.0])
    with pytest.raises(ValueError, match="sample_cost"):
        dps(-1.0, cluster_references(COSTS))
    with pytest.raises(ValueError, match="at least one correct"):
        task_dps([], cluster_references(COSTS))
