"""HTML reports end to end: real runs on HumanEval+, real files, a real headless Chromium.

Needs the Debian package `chromium` (/usr/bin/chromium, or $PERFJUDGE_CHROMIUM) and the
`playwright` Python package (test extra); playwright drives the system browser, nothing is
downloaded. The two evaluated runs take ~15 s, so the tests that use them are marked slow.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

from perfjudge.benchmarks import get_benchmark
from perfjudge.pipeline import EvaluateOptions, evaluate, load_run
from perfjudge.pipeline.runs import compare_runs
from perfjudge.report.html import write_compare_html, write_run_html

CHROMIUM = Path(os.environ.get("PERFJUDGE_CHROMIUM", "/usr/bin/chromium"))
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run"]
TASKS = ("HumanEval/1", "HumanEval/6", "HumanEval/39", "HumanEval/55", "HumanEval/63")  # few tests
T0, T1, T2, T3, T4 = TASKS
WRONG = "    return None\n"
SAMPLE_BLUE = (0x4C, 0x78, 0xA8)  # html.COLORS["sample"]: the per-task chart's sample points


def _slow(code: str, entry: str) -> str:
    """The same solution, made slower by a busy loop before every call."""
    return code + (f"\n\n_fast = {entry}\n\ndef {entry}(*args, **kwargs):\n"
                   f"    total = 0\n    for i in range(30000):\n        total += i\n"
                   f"    return _fast(*args, **kwargs)\n")


def _write_samples(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> dict[str, Path]:
    """Two runs on five tasks. A: all canonical, a slow correct variant on task 1, a wrong
    answer on task 0. B: all canonical, wrong answers on tasks 2 and 3."""
    tmp = tmp_path_factory.mktemp("html")
    tasks = {t.task_id: t for t in get_benchmark("humaneval+").load(data_dir) if t.task_id in TASKS}
    canonical = [{"task_id": k, "solution": tasks[k].references[0].code} for k in TASKS]
    rows_a = canonical + [{"task_id": T0, "completion": WRONG},
                          {"task_id": T1, "solution": _slow(tasks[T1].references[0].code,
                                                            str(tasks[T1].entry_point))}]
    rows_b = canonical + [{"task_id": T2, "completion": WRONG},
                          {"task_id": T3, "completion": WRONG}]
    out = {}
    for name, rows in (("a", rows_a), ("b", rows_b)):
        evaluate(EvaluateOptions(benchmark="humaneval+", data_dir=data_dir, tasks=TASKS,
                                 samples=_write_samples(tmp / f"{name}.jsonl", rows),
                                 meter="cpu_time", output=tmp / f"run_{name}",
                                 store=tmp / "s.db", workers=2))
        out[name] = tmp / f"run_{name}"
    out["tmp"] = tmp
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `bash scripts/setup.sh --test` installs Debian's "
                    "`chromium` (or: apt-get install -y chromium fonts-liberation)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield b
        b.close()


class Page:
    """A report opened from disk, with every network request recorded and refused."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.external: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", self._route)
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_selector(".plotly-graph-div .main-svg")

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def text(self, element_id: str) -> str:
        return self.page.locator(f'[id="{element_id}"]').inner_text().strip()

    def count(self, selector: str) -> int:
        return self.page.locator(selector).count()

    def nonempty_bars(self, figure_id: str) -> int:
        """Bars drawn with a height (plotly also draws empty histogram bins, flat)."""
        return self.page.evaluate(
            "id => Array.from(document.querySelectorAll(`[id='${id}'] .barlayer .point path`))"
            ".filter(p => p.getBBox().height > 0).length", figure_id)


# ----------------------------------------------------------------------------- static checks


class _Refs(HTMLParser):
    """Every URL-valued attribute of every tag (script bodies are not tags)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("src", "href", "data", "action",
                                                   "poster", "srcset") and v]


def assert_offline(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    parser = _Refs()
    parser.feed(text)
    remote = [u for u in parser.urls if u.strip().lower().startswith(("http:", "https:", "//"))]
    assert remote == [], f"{path} references the network: {remote}"
    assert "<link" not in text.split("<body")[0], "a <link> in <head> would load something"
    assert "Plotly.newPlot" in text and "function" in text, "plotly.js should be inlined"
    return text


# ----------------------------------------------------------------------------- PNG reading


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit RGB/RGBA non-interlaced PNG (all five filters)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        header = chunk if kind == b"IHDR" else header
        idat += chunk if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and color in (2, 6) and interlace == 0, (depth, color, interlace)
    bpp = 3 if color == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    prev = np.zeros(stride, dtype=np.uint8)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=start + 1).copy()
        if kind == 1:  # sub: running sum per channel
            line = (np.cumsum(line.reshape(width, bpp), axis=0, dtype=np.uint64) % 256)
            line = line.astype(np.uint8).ravel()
        elif kind == 2:
            line = line + prev  # uint8 wraps mod 256
        elif kind in (3, 4):
            line = np.frombuffer(_unfilter_slow(kind, bytes(line), bytes(prev), bpp), np.uint8)
        rows.append(line.reshape(width, bpp)[:, :3].tobytes())
        prev = line
    return width, height, rows


def _unfilter_slow(kind: int, line: bytes, prev: bytes, bpp: int) -> bytes:
    out = bytearray(line)
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        up, corner = prev[i], prev[i - bpp] if i >= bpp else 0
        if kind == 3:
            out[i] = (out[i] + (left + up) // 2) & 255
        else:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            paeth = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            out[i] = (out[i] + paeth) & 255
    return bytes(out)


def colors(png: bytes) -> dict[tuple[int, int, int], int]:
    """How many pixels of each RGB color the image has."""
    _, _, rows = png_pixels(png)
    px = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(-1, 3).astype(np.uint32)
    values, counts = np.unique(px[:, 0] << 16 | px[:, 1] << 8 | px[:, 2], return_counts=True)
    return {(int(v) >> 16, int(v) >> 8 & 255, int(v) & 255): int(n) for v, n in zip(values, counts)}


def near(counts: dict[tuple[int, int, int], int], rgb: tuple[int, int, int], tol: int = 6) -> int:
    return sum(n for c, n in counts.items() if all(abs(a - b) <= tol for a, b in zip(c, rgb)))


def test_png_reader_decodes_a_known_image() -> None:
    """The tiny decoder agrees with a hand-built PNG using every filter type."""
    width, pixels = 3, [[(255, 0, 0), (0, 255, 0), (0, 0, 255)],
                        [(9, 9, 9), (200, 100, 50), (1, 2, 3)],
                        [(10, 20, 30), (40, 50, 60), (70, 80, 90)],
                        [(5, 5, 5), (6, 6, 6), (250, 1, 7)],
                        [(0, 0, 0), (128, 128, 128), (255, 255, 255)]]
    raw, prev = b"", bytes(width * 3)
    for kind, row in enumerate(pixels):  # filter 0..4, one per row
        line = bytes(v for px in row for v in px)
        out = bytearray()
        for i, v in enumerate(line):
            left, up = (line[i - 3] if i >= 3 else 0), prev[i]
            corner = prev[i - 3] if i >= 3 else 0
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            paeth = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            out.append((v - (0, left, up, (left + up) // 2, paeth)[kind]) & 255)
        raw += bytes([kind]) + out
        prev = line

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, 5, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    w, h, rows = png_pixels(png)
    assert (w, h) == (3, 5)
    assert rows == [bytes(v for px in row for v in px) for row in pixels]


# ----------------------------------------------------------------------------- the run page


def _records(run: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_run_page_in_browser(runs: dict[str, Path], browser: Any) -> None:
    summary = load_run(runs["a"])
    assert summary["scores"]["pass@1"]["value"] == pytest.approx(0.9), [  # (1/2+1+1+1+1) / 5
        (r["task_id"], r["reference"], r["verdict"], r.get("detail")) for r in _records(runs["a"])
        if r["verdict"] != "passed"]
    out = write_run_html(runs["a"], runs["tmp"] / "report" / "run_a.html")
    assert out.exists()
    assert_offline(out)

    page = Page(browser, out)
    assert page.errors == []
    assert page.text("score-pass@1") == "0.900"
    for name, score in summary["scores"].items():
        shown = page.text(f"score-{name}")
        assert shown == (f"{score['value']:.3f}" if score["value"] is not None else "-"), name
        title = page.page.locator(f'tr[data-metric="{name}"] abbr').get_attribute("title")
        assert title == score["description"] and score["description"], name
        assert score["citation"] in page.text("citations")
    low, high = summary["scores"]["pass@1"]["low"], summary["scores"]["pass@1"]["high"]
    assert page.text("ci-pass@1") == f"[{low:.3f}, {high:.3f}]"
    assert page.text("verdict-passed") == "6" and page.text("verdict-wrong_answer") == "1"
    assert summary["benchmark"]["version"] in page.text("title")
    assert "cpu_time (s)" in page.text("meter") and page.text("machine") == summary["machine"]
    assert page.page.locator('[id="sample-issues"]').get_attribute("data-count") == str(
        len(summary["issues"]))

    rows = page.page.locator("#task-table tbody tr")
    assert [rows.nth(i).get_attribute("data-task-id") for i in range(rows.count())] == list(TASKS)
    t0 = page.page.locator(f'#task-table tr[data-task-id="{T0}"]')
    assert t0.locator('td[data-col="n"]').inner_text() == "2"
    assert t0.locator('td[data-col="correct"]').inner_text() == "1"
    assert t0.locator('td[data-col="pass@1"]').inner_text() == "0.500"

    for fig in ("fig-task-costs", "fig-speedups", "fig-correct-vs-eff"):
        assert page.count(f'[id="{fig}"] svg.main-svg') >= 1, fig
    # 6 correct samples as box points, 5 reference marks, one scatter point per task
    assert page.count('[id="fig-task-costs"] .boxlayer .point') == 6
    assert page.count('[id="fig-task-costs"] .scatterlayer .point') == 5
    assert page.count('[id="fig-correct-vs-eff"] .scatterlayer .point') == 5
    # speedups: one bar per quarter-octave bin that the six correct samples' speedups (paired
    # with the canonical reference, so the canonical ones sit near but not exactly at 1x) fall in
    speedups = [r["scores"]["speedup"] for r in _records(runs["a"])
                if r["reference"] is None and "speedup" in r["scores"]]
    assert len(speedups) == 6
    bins = {math.floor((math.log2(v) + 0.125) / 0.25) for v in speedups}
    assert page.nonempty_bars("fig-speedups") == len(bins)
    axis = page.page.locator('[id="fig-task-costs"] .ytitle').text_content() or ""
    assert "log" in axis

    chart = page.page.locator('[id="fig-task-costs"]').screenshot()
    counts = colors(chart)
    assert near(counts, SAMPLE_BLUE) > 30, "no sample points painted in the per-task chart"
    full = colors(page.page.screenshot(full_page=True))
    assert len(full) > 50 and max(full.values()) < 0.97 * sum(full.values()), "blank page"
    assert page.external == []
    page.page.close()


@pytest.mark.slow
def test_report_cli_writes_html(runs: dict[str, Path]) -> None:
    from typer.testing import CliRunner

    from perfjudge.cli import app

    out = runs["tmp"] / "cli" / "report.html"
    result = CliRunner().invoke(app, ["report", str(runs["b"]), "--html", str(out)])
    assert result.exit_code == 0, result.output
    text = assert_offline(out)
    assert 'id="score-pass@1"' in text and all(f'data-task-id="{t}"' in text for t in TASKS)


# ----------------------------------------------------------------------------- the compare page


@pytest.mark.slow
def test_compare_page_in_browser(runs: dict[str, Path], browser: Any) -> None:
    result = compare_runs(runs["a"], runs["b"])
    assert result["metric"] == "pass@1"
    out = write_compare_html(runs["a"], runs["b"], runs["tmp"] / "compare.html")
    assert_offline(out)

    page = Page(browser, out)
    assert page.errors == []
    differing = page.page.locator("#differing-table tbody tr")
    shown = {row.get_attribute("data-task-id"): row.get_attribute("data-better")
             for row in differing.all()}
    assert shown == {T0: "B", T2: "A", T3: "A"}
    assert page.text("differing-count") == "3"
    assert [page.text(k) for k in ("a-better", "b-better", "ties")] == ["2", "1", "2"]
    assert page.text("mean-difference") == f"{result['mean_difference']:+.4g}" == "+0.1"
    assert page.text("ci-low") == f"{result['ci'][0]:+.4g}"
    assert page.text("ci-high") == f"{result['ci'][1]:+.4g}"
    assert page.text("wilcoxon-p") == f"{result['wilcoxon_p']:.3g}"
    assert page.text("sign-test-p") == f"{result['sign_test_p']:.3g}"
    sentence = page.text("significance")
    assert sentence.startswith("No significant difference on pass@1"), sentence
    assert page.page.locator('[id="significance"]').get_attribute("data-significant") == "false"
    assert page.count('[id="low-power"]') == 1

    assert page.count('[id="fig-differences"] svg.main-svg') >= 1
    assert page.count('[id="fig-differences"] .barlayer .point') == 5  # one bar per paired task
    assert page.nonempty_bars("fig-differences") == 3  # the ties are flat
    ticks = page.page.locator('[id="fig-differences"] .xtick text').all_text_contents()
    assert set(ticks[:2]) == {T2, T3} and ticks[-1] == T0

    page.page.locator("#differing-table th", has_text="difference").click()
    first = page.page.locator("#differing-table tbody tr").first.get_attribute("data-task-id")
    assert first == T0  # ascending: B's win (-0.5) comes first

    png = page.page.screenshot(full_page=True)
    full = colors(png)
    assert near(full, (0x2A, 0x9D, 0x8F)) > 200, "A's green bars not painted"
    assert near(full, (0xE7, 0x6F, 0x51)) > 100, "B's orange bar not painted"
    assert page.external == []
    (runs["tmp"] / "compare.png").write_bytes(png)
    page.page.close()


@pytest.mark.slow
def test_run_page_shows_isolation_warnings_issues_and_task_errors(runs: dict[str, Path]) -> None:
    """A run whose summary reports missing isolation, sample issues and a failed task says so."""
    run = runs["tmp"] / "run_warned"
    shutil.copytree(runs["a"], run)
    summary = json.loads((run / "summary.json").read_text())
    summary["isolation"]["missing"] = ["seccomp: pyseccomp is not installed"]
    summary["issues"] = [f"samples.jsonl line {i}: <not json>" for i in (3, 5, 8)]
    summary["tasks"][0]["error"] = "reference raised ValueError"
    (run / "summary.json").write_text(json.dumps(summary))
    text = assert_offline(write_run_html(run, runs["tmp"] / "warned.html"))
    warning = text.split('id="isolation-warnings"')[1].split("</div>")[0]
    assert "seccomp: pyseccomp is not installed" in warning
    assert '<span id="issue-count">3</span>' in text
    assert "samples.jsonl line 5: &lt;not json&gt;" in text  # escaped, not injected
    row = text.split(f'data-task-id="{T0}"')[1].split("</tr>")[0]
    assert "reference raised ValueError" in row
    original = load_run(runs["a"])
    plain = assert_offline(write_run_html(runs["a"], runs["tmp"] / "plain.html"))
    assert ('id="isolation-warnings"' in plain) == bool(original["isolation"]["missing"])
    assert f'id="sample-issues" data-count="{len(original["issues"])}"' in plain
