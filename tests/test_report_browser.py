"""The HTML report in a real browser: headless Chromium opens a report written by a pytest run of ten subjects, and
the screenshot's pixels show that the heatmap, the error bars and the failure picture render.

Chromium is Debian's ``chromium`` (``/usr/bin/chromium``); ``.ci/run`` installs it and fails when it cannot. Outside
CI, a machine without it skips these tests with the reason; with ``CI`` set to anything but ``""``, ``0`` or
``false`` (as GitHub Actions, GitLab CI and ``.ci/run`` set it) a missing Chromium fails them instead, so CI never
passes without having looked.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from pytest_homog.report.svg import heatmap_colour

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
WIDTH, HEIGHT = 1400, 2600

# ten subjects on 60 sentences of two entities each: every subject misses the 'hard' entities (a blind spot they
# share), the seeds of one checkpoint miss the same further entities, the others their own
TEN_SUBJECTS = """
import random

import pytest
from pytest_homog import assert_f1_above, assert_not_homogeneous

pytestmark = pytest.mark.homog

NAMES = ["Ann", "Lee", "Paris", "Oslo", "ACME", "Bob", "Kim", "Rome", "Lima", "Zed"]
TOKENS, GOLD = [], []
rng = random.Random(0)
for i in range(60):
    first, second = rng.choice(NAMES), rng.choice(NAMES)
    TOKENS.append(["Yesterday", first, "met", "someone", "from", second, "at", "noon", "."])
    GOLD.append(["O", "B-PER", "O", "O", "O", "B-LOC", "O", "O", "O"])
HARD = set(range(0, 60, 7))


class Tagger:
    def __init__(self, name, seed, shared):
        self.homog_name = name
        picker = random.Random(seed)
        self.misses = {(s, k) for s in range(60) for k in (1, 5) if s in HARD and k == 1 or picker.random() < 0.2}
        self.misses |= shared

    def homog_predict(self, data):
        predicted = [[("O" if (s, k) in self.misses else tag) for k, tag in enumerate(tags)]
                     for s, tags in enumerate(GOLD)]
        return GOLD, predicted, TOKENS


SEEDS = {(s, 5) for s in range(3, 60, 5)}
SUBJECTS = {
    **{f"minilm-wnut-seed-{k}": Tagger(f"minilm-{k}", k, SEEDS) for k in range(4)},
    "bert-small-from-config": Tagger("bert", 11, set()),
    "bilstm-crf-tagger": Tagger("bilstm", 12, set()),
    "gazetteer-baseline": Tagger("gazetteer", 13, set()),
    "distilbert-ner": Tagger("distilbert", 14, set()),
    "roberta-tiny-ner": Tagger("roberta", 15, set()),
    "rules-capitalised": Tagger("rules", 16, set()),
}


@pytest.mark.parametrize("name", list(SUBJECTS)[:3])
def test_quality(name):
    assert_f1_above(SUBJECTS[name], GOLD, 0.5, n_resamples=200)


def test_ecosystem_not_homogeneous():
    assert_not_homogeneous(SUBJECTS, GOLD, max_shared_failure=0.9, n_resamples=200)
"""


def _chromium() -> str:
    """The Chromium binary; a missing one skips the test, or fails it under CI."""
    if CHROMIUM is not None:
        return CHROMIUM
    reason = "needs Debian's chromium (/usr/bin/chromium) to open the HTML report in a real browser"
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false"):
        pytest.fail(f"CI is set, and CI must run the browser test: {reason}; .ci/run installs it")
    pytest.skip(reason)


def _browser(chromium: str, page: Path, *extra: str) -> str:
    """Run headless Chromium on ``page`` with ``extra`` arguments; what it printed."""
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
             f"--user-data-dir={profile}", *extra, page.as_uri()],
            capture_output=True, text=True, timeout=120, check=True,
        ).stdout  # fmt: skip


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _near(pixels: np.ndarray, colour: str, tolerance: int = 0) -> np.ndarray:
    """Where the screenshot shows ``colour``, give or take ``tolerance`` in each channel."""
    return np.all(np.abs(pixels - np.array(_rgb(colour))) <= tolerance, axis=2)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """The runs of True in a 1-D mask, as (first, last) index pairs."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def test_the_report_of_ten_subjects_renders_in_headless_chromium(pytester: pytest.Pytester) -> None:
    from PIL import Image

    chromium = _chromium()
    pytester.makepyfile(test_ecosystem=TEN_SUBJECTS)
    page = pytester.path / "report.html"
    pytester.runpytest("--homog", f"--homog-html={page}").assert_outcomes(passed=4)
    text = page.read_text()
    dom = _browser(chromium, page, "--dump-dom")
    shot = pytester.path / "shot.png"
    _browser(chromium, page, f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}")
    with Image.open(shot) as image:
        assert image.size == (WIDTH, HEIGHT)
        pixels = np.asarray(image.convert("RGB")).astype(int)

    # the browser parsed the page into a DOM with the table, an error bar per check, two heatmaps and the
    # failure picture
    assert '<table id="checks">' in dom
    assert dom.count('<svg class="errorbar"') == 5 and dom.count('<svg class="heatmap"') == 2
    assert dom.count('<svg class="failures"') == 1 and "<mark " in dom

    # the heatmap: the ten diagonal cells (1.00, the dark end of the scale) are ten squares of 44 px on a diagonal
    dark = _near(pixels, heatmap_colour(1.0))
    rows = _runs(dark.any(axis=1))
    first_heatmap = [run for run in rows if run[1] - run[0] >= 30][:10]
    assert len(first_heatmap) == 10, rows
    lefts = [int(np.flatnonzero(dark[(top + bottom) // 2])[0]) for top, bottom in first_heatmap]
    steps = np.diff(lefts)
    assert all(40 <= step <= 48 for step in steps), lefts  # one cell to the right per row: a diagonal
    # every cell's colour and every step of the colour scale is painted: a cell is 44 x 44 px with its value
    # written in the middle, a step of the scale 16 x 12 px inside a thin border
    heatmap = text[text.index('<svg class="heatmap"') :]
    heatmap = heatmap[: heatmap.index("</svg>")]
    cells = set(re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})" stroke="#ffffff"', heatmap))
    steps = re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})" stroke="#d0d7de"', heatmap)
    assert len(cells) > 20 and len(steps) == 10
    assert all(_near(pixels, colour).sum() >= 44 * 44 // 2 for colour in cells)
    assert all(_near(pixels, colour).sum() >= 12 * 12 for colour in steps)

    # the error bars: the interval's blue strokes, one per check, beside the green points of the passed checks
    blue, green = _near(pixels, "#0969da", tolerance=40), _near(pixels, "#1a7f37", tolerance=40)
    bars = _runs(blue.sum(axis=1) > 10)
    assert len(bars) == 5, bars
    assert all(green[top - 4 : bottom + 5].any() for top, bottom in bars)

    # the failure picture and the marked spans: red dots and the highlighted entity text
    assert _near(pixels, "#cf222e").sum() > 500
    assert _near(pixels, "#ffd8d3").sum() > 500
    assert "units every subject fails" in text
