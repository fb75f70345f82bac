"""Every error perfjudge raises on purpose, in one tree whose classes carry their exit code.

A script can trust the code: 2 means the request was wrong (a name, a file, an option) and
re-running it unchanged will fail again; 3 means this machine cannot do what was asked (a
meter, the sandbox, data offline, the store) and another machine or set-up may. 1 is kept for
"the sample failed" (``perfjudge check``) or "a reference failed" (``perfjudge validate``)
and is never an error. Each class also derives from the builtin exception callers caught
before the tree existed (``KeyError`` for an unknown name, ``ValueError`` for a malformed
file, ``FileNotFoundError`` for a missing one, ``RuntimeError`` for an unavailable part), so
code written against those keeps working. The messages say what was wrong and what would be
right.

    PerfjudgeError
    +-- UsageError                      exit 2
    |   +-- UnknownName (KeyError)      benchmarks.UnknownBenchmark, meters, tasks, metrics, runs
    |   +-- InputFileError (ValueError) records.SamplesError, benchmarks.data.ChecksumMismatch
    |   +-- InputNotFound (FileNotFoundError)
    |   +-- IncomparableRuns (ValueError)
    +-- Unavailable (RuntimeError)      exit 3: DataUnavailable, MeterUnavailable,
    |                                   SandboxUnavailable
    +-- JudgeFault (RuntimeError)       exit 3: engine.judge.EngineError, store.StoreError
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

EXIT_USAGE = 2
EXIT_ENVIRONMENT = 3


class PerfjudgeError(Exception):
    """The base: catch this to catch everything perfjudge raises deliberately."""

    exit_code = EXIT_USAGE

    def __str__(self) -> str:
        # KeyError's own __str__ quotes its argument; every message here is already prose.
        return str(self.args[0]) if self.args else self.__class__.__name__

    def __reduce__(self) -> tuple:
        # Subclasses take other constructor arguments than their message; rebuild from the
        # message and the attributes, so an error raised in a worker process reaches the
        # parent intact instead of breaking the pool.
        return _restore, (type(self), self.args, self.__dict__)


def _restore(cls: type, args: tuple, state: dict) -> "PerfjudgeError":
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


# --------------------------------------------------------------------------- exit code 2


class UsageError(PerfjudgeError):
    """The request was wrong: a name, an option, a file's contents."""


class UnknownName(UsageError, KeyError):
    """A benchmark, task or meter name that does not exist; the message lists the closest
    matches, or all names when there are few."""

    def __init__(self, kind: str, name: str, known: Iterable[str], where: str = "",
                 hint: str = ""):
        self.kind, self.name = kind, name
        self.known = sorted(known)
        super().__init__(unknown_name_message(kind, name, self.known, where, hint))


class InputFileError(UsageError, ValueError):
    """A samples, dataset or run file that cannot be read as what it claims to be."""


class InputNotFound(UsageError, FileNotFoundError):
    """A file or run directory named on the command line that is not there."""


class IncomparableRuns(UsageError, ValueError):
    """Two runs that ``compare`` refuses to put side by side, and why."""


# --------------------------------------------------------------------------- exit code 3


class Unavailable(PerfjudgeError, RuntimeError):
    """This machine cannot do what was asked; another set-up could."""

    exit_code = EXIT_ENVIRONMENT


class JudgeFault(PerfjudgeError, RuntimeError):
    """The judge, its store or a task's own data failed: never the request's or a sample's
    fault (a sample that fails is a verdict, not an error)."""

    exit_code = EXIT_ENVIRONMENT


def unknown_name_message(kind: str, name: str, known: list[str], where: str = "",
                         hint: str = "") -> str:
    """``unknown benchmark 'humanevl'; did you mean 'humaneval'?`` (with every known name
    when there are at most 12 of them), then the hint, e.g. which command lists them."""
    place = f" in {where}" if where else ""
    message = f"unknown {kind} {name!r}{place}"
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if close:
        message += "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    if len(known) <= 12:
        message += f" Known: {', '.join(known) or '(none)'}."
    if hint:
        message += f" {hint}"
    return message


__all__ = ["EXIT_ENVIRONMENT", "EXIT_USAGE", "IncomparableRuns", "InputFileError",
           "InputNotFound", "JudgeFault", "PerfjudgeError", "Unavailable", "UnknownName",
           "UsageError", "unknown_name_message"]
