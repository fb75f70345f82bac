"""Samples files -> `Sample` records, one reader per format (EvalPlus JSONL and directories,
raw model outputs, ENAMEL lists, COFFE examples), every dropped record named as an issue."""

from perfjudge.records.sample import (GENERATION_KEYS, Sample, SampleIssue, SampleSet,
                                      SamplesError)
from perfjudge.samples.readers import import_coffe_examples, load_samples, model_from_filename

__all__ = ["GENERATION_KEYS", "Sample", "SampleIssue", "SampleSet", "SamplesError",
           "import_coffe_examples", "load_samples", "model_from_filename"]
