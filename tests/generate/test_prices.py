"""Dollars from token counts: exact and prefix lookup, a user's table over the shipped one."""

from __future__ import annotations

import json

import pytest

from perfjudge.errors import InputFileError, InputNotFound
from perfjudge.generate.prices import Price, PriceTable


def test_cost_is_tokens_times_price_per_million():
    # 1,200 prompt tokens at $2.50/1M + 300 completion tokens at $10/1M = 0.003 + 0.003
    assert Price(2.5, 10.0).cost(1200, 300) == pytest.approx(0.006)
    assert Price(2.5, 10.0).cost(None, 300) is None


def test_lookup_exact_then_longest_prefix_then_none():
    table = PriceTable.load()
    assert table.lookup("gpt-4o-mini").input == 0.15
    assert table.lookup("gpt-4o-mini-2024-07-18").input == 0.15  # longest prefix wins
    assert table.lookup("gpt-4o-2024-08-06").input == 2.5
    assert table.lookup("openai/gpt-4o").input == 2.5
    assert table.lookup("my-local-model") is None
    assert table.lookup("gpt-4o-mini-distill") is None  # not a snapshot of a listed model
    assert table.cost("my-local-model", 10, 10) is None  # unknown is not free


def test_user_table_extends_and_overrides(tmp_path, monkeypatch):
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"models": {"gpt-4o": {"input": 1, "output": 2},
                                           "tiny": {"input": 0, "output": 0}}}))
    table = PriceTable.load(path)
    assert table.cost("gpt-4o", 1_000_000, 500_000) == pytest.approx(2.0)
    assert table.cost("tiny", 5, 5) == 0.0
    monkeypatch.setenv("PERFJUDGE_PRICES", str(path))
    assert PriceTable.load().lookup("tiny") is not None


def test_bad_tables_say_what_is_wrong(tmp_path):
    with pytest.raises(InputNotFound, match="does not exist"):
        PriceTable.load(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"models": {"m": {"input": 1}}}))
    with pytest.raises(InputFileError, match="is not of the form"):
        PriceTable.load(bad)
