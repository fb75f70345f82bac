"""The language seam: Python's harness command and preload list, and an unknown language
named with the known ones."""

from __future__ import annotations

import pytest

from perfjudge.engine.languages import Python, get_language
from perfjudge.errors import UnknownName
from perfjudge.records.task import Task


def test_python_harness_command_keeps_hash_seed_and_site_out():
    command = Python().harness_command("/usr/bin/python3.11", "/harness/harness.py", [3, 4])
    assert command == ["/usr/bin/python3.11", "-s", "-S", "-P", "/harness/harness.py", "3", "4"]
    assert "-I" not in command  # -I implies -E, which would ignore PYTHONHASHSEED


def test_python_preloads_only_preloadable_imports_and_their_parents():
    code = "import os.path\nfrom collections import deque\nimport numpy\nfrom . import x\n"
    assert get_language("python").preload(code) == ["os", "os.path", "collections"]
    assert Python().preload("def broken(:\n") == []


def test_unknown_language_and_fingerprint():
    with pytest.raises(UnknownName, match="unknown language 'pyhton'; did you mean 'python'"):
        get_language("pyhton")
    task = Task("b", "t", "", "function", "f", tests=())
    assert task.fingerprint() != Task("b", "t", "", "function", "f", tests=(),
                                      language="cpp").fingerprint()


NESTED = """import os
def f():
    import heapq
    try:
        import re
    except ImportError:
        import statistics
    else:
        import fractions
    finally:
        import math
import collections
match x:
    case 1:
        import bisect
"""


def test_nested_imports_are_found_level_by_level():
    """Statements only, breadth first as `ast.walk` goes: top level, then each block's
    statements in field order (try: body, handlers, else, finally), handler bodies last."""
    assert Python().preload(NESTED) == ["os", "collections", "heapq", "re", "fractions", "math",
                                        "bisect", "statistics"]
