"""Each benchmark's own reference solutions pass its own tests in the engine (a sample of
tasks per benchmark here; `perfjudge validate -b NAME` runs them all, see the README)."""

from __future__ import annotations

import pytest

from perfjudge.pipeline import validate_references

BENCHMARKS = ["humaneval", "humaneval+", "mbpp+", "enamel", "coffe-function", "coffe-file"]


@pytest.mark.slow
@pytest.mark.parametrize("benchmark", BENCHMARKS)
def test_first_references_pass_their_own_tests(benchmark, data_dir):
    rows = validate_references(benchmark, data_dir, workers=1, limit=4)
    assert len(rows) >= 4
    failing = [row for row in rows if row[2] != "passed"]
    assert not failing, failing
