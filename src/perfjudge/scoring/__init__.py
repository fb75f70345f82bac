"""From judged samples to scores: the metric functions and their registry (`metrics`),
per-task scores and their aggregation with intervals (`scores`), and the paired comparison
of two runs (`compare`). Pure: numbers in, numbers out."""

from perfjudge.scoring import metrics
from perfjudge.scoring.scores import (Outcome, Score, TaskScores, TaskSetup, aggregate,
                                      score_dict, score_task)

__all__ = ["Outcome", "Score", "TaskScores", "TaskSetup", "aggregate", "metrics",
           "score_dict", "score_task"]
