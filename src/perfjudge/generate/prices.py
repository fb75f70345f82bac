"""What a request cost in dollars: a price table per model, $ per 1M input/output tokens.

The shipped table (`prices.json`, dated per entry) is a starting point; a user's file
(``--prices FILE`` or ``PERFJUDGE_PRICES``) of the same shape extends and overrides it. Output
price applies to every completion token, reasoning tokens included, as OpenAI bills them
(``usage.completion_tokens`` counts them). A model with no price has cost ``None``: an
unknown price is never reported as free.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from perfjudge.errors import InputFileError, InputNotFound

BUILTIN = Path(__file__).resolve().parent / "prices.json"


@dataclass(frozen=True)
class Price:
    input: float
    output: float
    source: str = ""

    def cost(self, prompt_tokens: int | None, completion_tokens: int | None) -> float | None:
        if prompt_tokens is None or completion_tokens is None:
            return None
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1e6


class PriceTable:
    def __init__(self, prices: dict[str, Price]):
        self.prices = dict(prices)

    @classmethod
    def load(cls, extra: Path | str | None = None) -> "PriceTable":
        """The shipped table, then ``extra`` (or ``PERFJUDGE_PRICES``) over it."""
        prices = _read(BUILTIN)
        extra = extra or os.environ.get("PERFJUDGE_PRICES")
        if extra:
            prices.update(_read(Path(extra)))
        return cls(prices)

    def lookup(self, model: str) -> Price | None:
        """Exact name (also after a ``provider/`` prefix), else the longest listed name the
        model extends by a dated or numbered snapshot suffix (``gpt-4o-2024-08-06`` is
        gpt-4o; ``gpt-4o-mini-distill`` is no listed model)."""
        name = model.rsplit("/", 1)[-1]
        for candidate in (model, name):
            if candidate in self.prices:
                return self.prices[candidate]
        matches = [k for k in self.prices if re.match(re.escape(k) + r"-\d", name)]
        return self.prices[max(matches, key=len)] if matches else None

    def cost(self, model: str, prompt_tokens: int | None,
             completion_tokens: int | None) -> float | None:
        price = self.lookup(model)
        return price.cost(prompt_tokens, completion_tokens) if price else None


def _read(path: Path) -> dict[str, Price]:
    if not path.is_file():
        raise InputNotFound(f"price table {path} does not exist")
    try:
        data = json.loads(path.read_text())
        models = data["models"]
        return {name: Price(float(p["input"]), float(p["output"]), str(p.get("source", "")))
                for name, p in models.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputFileError(
            f"price table {path} is not of the form {{\"models\": {{NAME: {{\"input\": $/1M, "
            f"\"output\": $/1M}}}}}}: {exc!r}") from None


__all__ = ["BUILTIN", "Price", "PriceTable"]
