"""The run summary's schema: what `summary.json` (and the store's copy of it) must say to
be read back as a perfjudge run."""

from __future__ import annotations

from typing import Any

from perfjudge.errors import InputFileError

SCHEMA = "perfjudge.run/2"
"""/2: a cost is a whole-process window minus its do-nothing baseline, floored at the
meter's resolution, module load included (/1 timed the call inside the sample's process)."""


def check_summary(data: Any, where: str) -> dict[str, Any]:
    """``data`` if it is a run summary of this schema; otherwise a precise error."""
    if not isinstance(data, dict):
        raise InputFileError(f"{where} is not a perfjudge run summary (a JSON "
                             f"{type(data).__name__}, not an object)")
    if data.get("schema") == "perfjudge.run/1":
        raise InputFileError(f"{where} was written by perfjudge 0.1 (schema perfjudge.run/1), "
                             "whose costs a sample could fake and mean something else; "
                             "evaluate again")
    if data.get("schema") != SCHEMA:
        raise InputFileError(f"{where} is not a perfjudge run summary (schema "
                             f"{data.get('schema')!r})")
    return data
