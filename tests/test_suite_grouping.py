"""The suite relies on `--dist loadgroup` keeping the `heavy` tests on one worker.

pytest 9.2 with pytest-xdist 3.8 silently stops grouping (pytest-dev/pytest-xdist#1386: the
worker's nodeid suffix no longer takes effect), and then the load-making tests (Ray cluster,
the service, the pool-recovery tests) run beside the time-measuring ones. This test fails when
that happens instead of letting the suite drift into flaky timing.
"""

from __future__ import annotations

import os

import pytest


@pytest.mark.xdist_group("heavy")
def test_a_grouped_test_carries_its_group_under_loadgroup(request: pytest.FixtureRequest) -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.skip("not run under pytest-xdist")
    if not request.config.getvalue("loadgroup"):
        pytest.skip("not run with --dist loadgroup")
    assert request.node.nodeid.endswith("@heavy"), (
        f"xdist_group marks have no effect ({request.node.nodeid!r}): this pytest/pytest-xdist "
        "pair does not group; see pyproject.toml's pin")
