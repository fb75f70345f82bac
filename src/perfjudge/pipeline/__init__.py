"""Orchestration only: the stages run in order, nothing judged or scored here.

- `generation`: model -> samples file (resumable), with what each sample cost to generate
- `evaluation`: samples file -> executor -> store -> scores -> summary.json/results.jsonl
- `validation`: a benchmark's references against their own tests
- `runs`: finished runs read back (directory or run id) and compared
"""

from perfjudge.pipeline.evaluation import (
                                           EXAMPLES,
                                           EvaluateOptions,
                                           Job,
                                           RunReport,
                                           check_key,
                                           default_samples,
                                           evaluate,
                                           runtime_identity,
                                           summarize,
)
from perfjudge.pipeline.generation import GenerateOptions, GenerationReport, generate
from perfjudge.pipeline.runs import compare_runs, load_records, load_run
from perfjudge.pipeline.validation import validate_references
from perfjudge.records.run import SCHEMA

__all__ = ["EXAMPLES", "SCHEMA", "EvaluateOptions", "GenerateOptions", "GenerationReport",
           "Job", "RunReport", "check_key", "compare_runs", "default_samples", "evaluate", "generate",
           "load_records", "load_run", "runtime_identity", "summarize", "validate_references"]
