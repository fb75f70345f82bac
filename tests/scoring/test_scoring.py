"""Per-task scoring on hand-built outcomes: levels come from what the engine measured
(`Measurement.level`), weights and alpha from the task's typed `LevelScoring`."""

from __future__ import annotations

import pytest

from perfjudge.records.task import LevelScoring, Task
from perfjudge.records.task import TestCase as Case
from perfjudge.scoring import Outcome, TaskSetup, score_task


def test_levels_are_read_from_the_measurements_not_their_positions():
    """EvalPlus-style levels base/plus, equal weights, alpha 2. The reference's slowest test
    per level: base 100, plus 200, so T = 2 x 200 = 400. The sample: base max 100 (= the
    reference: 1), plus 300 ((400 - 300) / (400 - 200) = 0.5): eff (1 + 0.5) / 2 = 0.75.
    The costs arrive interleaved (base, plus, base): grouping by position would pair the
    sample's 300 with the reference's 100 instead."""
    setup = TaskSetup("t", ("base", "plus"))
    order = ("base", "plus", "base")
    ref = Outcome("t", "passed", 400.0, (100.0, 200.0, 100.0), "ref", "canonical",
                  test_levels=order)
    good = Outcome("t", "passed", 450.0, (100.0, 300.0, 50.0), "good", test_levels=order)
    wrong = Outcome("t", "wrong_answer", None, (), "wrong")
    scores = score_task(setup, [good, wrong], [ref])
    assert scores.sample_values["good"]["eff"] == pytest.approx(0.75)
    assert scores.values["eff@1"] == pytest.approx(0.375)  # the wrong sample scores 0
    assert scores.values["pass@1"] == pytest.approx(0.5)
    assert scores.values["speedup"] == pytest.approx(400 / 450)
    assert scores.values["NET"] == pytest.approx(450 / 400)


def test_hardness_weights_and_alpha_come_from_the_task():
    """Hardness (0, 1): only level b counts, T = 3 x 10 = 30. Sample on b: 20 -> (30 - 20) /
    (30 - 10) = 0.5; its level a (hardness 0) is over T and still does not stop the score."""
    task = Task("x", "t", "", "function", "f", tests=(Case([1], level="a"),),
                level_scoring=LevelScoring(("a", "b"), (0.0, 1.0), 3.0))
    setup = TaskSetup.of(task)
    assert (setup.level_order, setup.hardness, setup.alpha) == (("a", "b"), (0.0, 1.0), 3.0)
    ref = Outcome("t", "passed", 11.0, (1.0, 10.0), "ref", "r", test_levels=("a", "b"))
    sample = Outcome("t", "passed", 60.0, (40.0, 20.0), "s", test_levels=("a", "b"))
    assert score_task(setup, [sample], [ref]).sample_values["s"]["eff"] == pytest.approx(0.5)


def test_a_task_without_level_scoring_scores_its_levels_equally():
    task = Task("x", "t", "", "function", "f", tests=())
    setup = TaskSetup.of(task)
    assert (setup.level_order, setup.hardness, setup.alpha) == ((), None, 2.0)
    ref = Outcome("t", "passed", 300.0, (100.0, 200.0), "ref", "r", test_levels=("p", "q"))
    sample = Outcome("t", "passed", 300.0, (100.0, 200.0), "s", test_levels=("p", "q"))
    assert score_task(setup, [sample], [ref]).sample_values["s"]["eff"] == pytest.approx(1.0)
