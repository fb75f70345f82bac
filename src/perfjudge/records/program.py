"""Records of the execution service's primitive: one program, one stdin, what it did
(`perfjudge.engine.program`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from perfjudge.engine.sandbox import Limits


@dataclass(frozen=True)
class ProgramRequest:
    code: str
    stdin: str = ""
    language: str = "python"
    meter: str | None = None
    limits: Limits | None = None
    """None: the engine's. ``test_seconds`` is the program's CPU limit, ``wall_seconds`` the
    whole run's."""
    tag: str = ""


@dataclass
class ProgramResult:
    """``status``: ``finished`` (it exited, ``exit_code`` says how), ``timeout`` (stopped at
    its CPU or wall limit), ``memory_limit`` (killed at its memory limit), ``compile_error``
    (it does not parse), ``sandbox_error`` (the judge or machine failed; not the program's
    doing)."""

    status: str
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    detail: str = ""
    cpu_seconds: float | None = None
    wall_seconds: float | None = None
    stdout_truncated: bool = False
    meter: str | None = None
    cost: float | None = None
    unit: str | None = None
    cost_detail: str = ""
    """Why there is no cost when a meter was asked for."""
    peak_memory_bytes: int | None = None
    tag: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ProgramResult":
        return cls(**data)
