"""The seam for the language a sample is written in: how the harness is started for it and
what the zygote may load before the sample's first instruction.

Python is the only language today: the harness (`harness.py`) is a Python zygote that forks
one child per call. A compiled language (the C++ issue) adds a class here with its own
harness command, plus a compile step, and names itself in `Task.language`.
"""

from __future__ import annotations

import ast
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Protocol

from perfjudge.engine import harness
from perfjudge.errors import UnknownName


class Language(Protocol):
    name: str

    def harness_command(self, interpreter: str, harness_path: str,
                        fds: Sequence[int]) -> list[str]:
        """The command that starts the harness inside the sandbox (before any valgrind
        wrapper), given the channel file descriptors it inherits."""

    def preload(self, code: str) -> list[str]:
        """What the zygote loads before forking the measured calls, so that no call pays
        for the import of a module the sample uses (only `harness.PRELOADABLE` ones)."""


_PARSE_LOCK = threading.Lock()
"""CPython 3.11's parser keeps its recursion depth in shared state: two threads parsing at
once can fail with "AST constructor recursion depth mismatch" (SystemError), which the
hostile suite's threaded batch hit."""


class Python:
    name = "python"

    def harness_command(self, interpreter: str, harness_path: str,
                        fds: Sequence[int]) -> list[str]:
        # Not -I: it implies -E, which ignores PYTHONHASHSEED, and randomised string hashes
        # move instruction counts by several percent (dict probes). The environment is ours
        # alone (bubblewrap --clearenv), -s -S -P keep user site, site and cwd out.
        return [interpreter, "-s", "-S", "-P", harness_path, *map(str, fds)]

    def preload(self, code: str) -> list[str]:
        """Modules the code imports (and their parents); a file that does not parse imports
        nothing."""
        try:
            with _PARSE_LOCK:
                tree = ast.parse(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return []
        names: list[str] = []
        for node in _statements(tree.body):
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found = [node.module]
            else:
                continue
            for name in found:
                parts = name.split(".")
                for k in range(1, len(parts) + 1):
                    candidate = ".".join(parts[:k])
                    if candidate in harness.PRELOADABLE and candidate not in names:
                        names.append(candidate)
        return names


_BLOCKS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})


def _statements(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every statement (and except handler, match case), nested ones included, in
    `ast.walk`'s order; expressions are skipped, since no expression holds a statement. A
    full `ast.walk` took ~0.3 ms of a trivial check's ~1 ms in the judging process."""
    queue = deque(body)
    while queue:
        node = queue.popleft()
        yield node
        for field in node._fields:
            if field in _BLOCKS:
                queue.extend(getattr(node, field))


LANGUAGES: dict[str, Language] = {"python": Python()}


def get_language(name: str) -> Language:
    if name not in LANGUAGES:
        raise UnknownName("language", name, LANGUAGES)
    return LANGUAGES[name]


__all__ = ["LANGUAGES", "Language", "Python", "get_language"]
