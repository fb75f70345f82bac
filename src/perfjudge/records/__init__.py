"""The typed records the stages hand each other: a task (what to compute, how to judge it,
which references set the bar), a sample (one attempt, with what generating it cost), a
check result (verdict, measurements), and the run summary's schema."""

from perfjudge.records.program import ProgramRequest, ProgramResult
from perfjudge.records.result import VERDICTS, CheckResult, Measurement, TestFailure, Verdict
from perfjudge.records.run import SCHEMA, check_summary
from perfjudge.records.sample import (GENERATION_KEYS, Sample, SampleIssue, SampleSet,
                                      SamplesError)
from perfjudge.records.task import (Comparison, InputGenerator, LevelCensoring, LevelScoring,
                                    Provenance, Reference, Task, TestCase, sha256_text)

__all__ = ["GENERATION_KEYS", "SCHEMA", "VERDICTS", "CheckResult", "Comparison",
           "InputGenerator", "LevelCensoring", "LevelScoring", "Measurement", "ProgramRequest",
           "ProgramResult", "Provenance",
           "Reference", "Sample", "SampleIssue", "SampleSet", "SamplesError", "Task",
           "TestCase", "TestFailure", "Verdict", "check_summary", "sha256_text"]
