"""Where judge work runs: the seam between the pipeline and the engine.

The pipeline hands an executor two kinds of work, both pure functions of their inputs:
``prepare`` a task (its expected outputs and generated inputs, computed once) and ``check``
a piece of code on a task (a `CheckResult`). Results come back as they finish, in any order.

- `LocalPoolExecutor`: spawned worker processes on this machine, one engine each (with time
  meters, each pinned to its own core); what `evaluate` and `validate` use.
- `InProcessExecutor`: the same engine in this process, one job at a time (debugging,
  profiling; still the real sandbox for every check).
- `ScriptedExecutor`: no sandbox at all, results from a function; the fast fake that lets
  pipeline tests exercise caching, resume, scoring and outputs in milliseconds.

- `RayExecutor` (`executors.ray_cluster`, the ``ray`` extra, imported only when asked for):
  batches of checks on a Ray cluster, each node judging in its own sandboxes; retried when a
  worker or node dies, never duplicated.
"""

from perfjudge.executors.fake import ScriptedExecutor
from perfjudge.executors.local import (InProcessExecutor, LocalPoolExecutor, prepare_task,
                                       run_check, sandbox_ready)
from perfjudge.executors.protocol import CheckRequest, Executor

__all__ = ["CheckRequest", "Executor", "InProcessExecutor", "LocalPoolExecutor",
           "ScriptedExecutor", "prepare_task", "run_check", "sandbox_ready"]
