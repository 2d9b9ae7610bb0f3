"""Progress of long work: rendering on a terminal and in a log (fake clock), and end to end through pytest's
default output capture, ``-q`` and pytest-xdist workers."""

from __future__ import annotations

import io
import itertools
import textwrap

import pytest

import pytest_homog.progress
from pytest_homog.progress import Progress, Terminal


class FakeClock:
    """Seconds that only move when a test moves them."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_stage(progress: Progress, clock: FakeClock, steps: list[tuple[float, int]]) -> None:
    """Move the clock to each time and report the work done then; finish at the last time."""
    for at, done in steps:
        clock.now = 100.0 + at
        progress.update(done)
    progress.finish()


def test_a_log_gets_a_line_about_every_quarter_and_one_at_the_end():
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress("fine-tuning tagger", 120, "steps", finished="fine-tuned tagger",
                        terminal=Terminal(stream=stream), clock=clock)  # fmt: skip
    run_stage(progress, clock, [(t / 10, t) for t in range(1, 121)])
    assert stream.getvalue().splitlines() == [
        "homog: fine-tuning tagger: 30/120 steps (25%), 10 steps/s, ETA 0:09",
        "homog: fine-tuning tagger: 60/120 steps (50%), 10 steps/s, ETA 0:06",
        "homog: fine-tuning tagger: 90/120 steps (75%), 10 steps/s, ETA 0:03",
        "homog: fine-tuned tagger: 120 steps in 12.0 s (10 steps/s)",
    ]


def test_a_jump_past_several_quarters_writes_one_line():
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress("predicting", 1000, "sentences", terminal=Terminal(stream=stream), clock=clock)
    run_stage(progress, clock, [(1.0, 600), (2.0, 700), (3.0, 800), (4.0, 1000)])
    assert stream.getvalue().splitlines() == [
        "homog: predicting: 600/1000 sentences (60%), 600 sentences/s, ETA 0:01",
        "homog: predicting: 800/1000 sentences (80%), 267 sentences/s, ETA 0:01",
        "homog: predicting: 1000 sentences in 4.0 s (250 sentences/s)",
    ]


def test_a_terminal_gets_one_line_updated_in_place():
    clock, stream = FakeClock(), TerminalStream()
    terminal = Terminal(stream=stream)
    progress = Progress("fine-tuning tagger", 100, "steps", finished="fine-tuned tagger",
                        terminal=terminal, clock=clock)  # fmt: skip
    # ten updates in the first 0.2 s are drawn once: a line is redrawn at most every REDRAW_SECONDS
    run_stage(progress, clock, [(i / 50, i) for i in range(1, 11)] + [(10.0, 50), (250.0, 100)])
    text = stream.getvalue()
    assert "\n" not in text[:-1]  # one line
    frames = text.split("\r")[1:]
    assert [frame.rstrip() for frame in frames] == [
        "homog: fine-tuning tagger: 1/100 steps (1%), 50 steps/s, ETA 0:02",
        "homog: fine-tuning tagger: 50/100 steps (50%), 5.0 steps/s, ETA 0:10",
        "homog: fine-tuning tagger: 100/100 steps (100%), 0.4 steps/s, ETA 0:00",
        "homog: fine-tuned tagger: 100 steps in 250.0 s (0.4 steps/s)",
    ]
    # each frame covers the one before, and the line ends when the stage does
    assert all(len(later) >= len(earlier.rstrip("\n")) for earlier, later in itertools.pairwise(frames))
    assert text.endswith("\n")


def test_a_line_shown_in_place_is_cut_to_the_width_and_padded_over_a_longer_one(monkeypatch):
    monkeypatch.setattr(Terminal, "width", property(lambda self: 30))
    stream = TerminalStream()
    terminal = Terminal(stream=stream)
    terminal.show("a long message that does not fit")
    terminal.show("short")
    terminal.line("done")
    assert stream.getvalue().split("\r")[1:] == [
        "homog: a long message that do",
        "homog: short".ljust(29),
        "homog: done".ljust(len("homog: short")) + "\n",
    ]


def test_a_message_during_a_stage_replaces_the_line_in_place_and_the_stage_goes_on():
    clock, stream = FakeClock(), TerminalStream()
    terminal = Terminal(stream=stream)
    progress = Progress("predicting", 10, "sentences", terminal=terminal, clock=clock)
    clock.now += 1
    progress.update(5)
    terminal.line("waiting for another process")
    clock.now += 1
    progress.update(7)
    lines = stream.getvalue().split("\n")
    assert lines[0].rsplit("\r", 1)[-1].rstrip() == "homog: waiting for another process"
    assert lines[1].startswith("\rhomog: predicting: 7/10 sentences")


def test_quiet_shows_only_the_line_at_the_end():
    for stream in (io.StringIO(), TerminalStream()):
        clock = FakeClock()
        progress = Progress("predicting", 8, "sentences", terminal=Terminal(stream=stream, quiet=True), clock=clock)
        run_stage(progress, clock, [(t, t) for t in range(1, 9)])
        assert stream.getvalue() == "homog: predicting: 8 sentences in 8.0 s (1.0 sentences/s)\n"


def test_a_stage_shorter_than_its_delay_shows_nothing():
    clock, stream = FakeClock(), TerminalStream()
    progress = Progress("predicting", 8, "sentences", terminal=Terminal(stream=stream), delay=2.0, clock=clock)
    run_stage(progress, clock, [(0.2 * t, t) for t in range(1, 9)])
    assert stream.getvalue() == ""

    clock, stream = FakeClock(), io.StringIO()
    progress = Progress("predicting", 8, "sentences", terminal=Terminal(stream=stream), delay=2.0, clock=clock)
    run_stage(progress, clock, [(t, t) for t in range(1, 9)])
    assert stream.getvalue().splitlines() == [
        "homog: predicting: 2/8 sentences (25%), 1.0 sentences/s, ETA 0:06",  # the first quarter after the delay
        "homog: predicting: 4/8 sentences (50%), 1.0 sentences/s, ETA 0:04",
        "homog: predicting: 6/8 sentences (75%), 1.0 sentences/s, ETA 0:02",
        "homog: predicting: 8 sentences in 8.0 s (1.0 sentences/s)",
    ]


def test_outside_a_homog_run_progress_goes_to_stderr(capsys):
    clock = FakeClock()
    run_stage(Progress("predicting", 4, "sentences", clock=clock), clock, [(1.0, 4)])
    assert capsys.readouterr().err == "homog: predicting: 4 sentences in 1.0 s (4.0 sentences/s)\n"


def test_prediction_shows_its_progress(tiny_world, capsys, monkeypatch):
    from transformers import AutoModelForTokenClassification

    from pytest_homog.models.load import load_tokenizer
    from pytest_homog.models.predict import predict_tags, word_features

    monkeypatch.setattr(pytest_homog.progress, "QUIET_SECONDS", 0.0)
    model = AutoModelForTokenClassification.from_pretrained(tiny_world["base"], num_labels=2)
    sentences = [["Alice", "met", "Bob"], ["in", "Paris"], ["today"]]
    predict_tags(model, load_tokenizer(tiny_world["base"]), sentences, {0: "O", 1: "B-PER"}, batch_size=2)
    word_features(model, load_tokenizer(tiny_world["base"]), sentences, batch_size=2)
    ends = [line.split(" in ")[0] for line in capsys.readouterr().err.splitlines() if " sentences in " in line]
    assert ends == ["homog: predicting: 3 sentences"] * 2


# -- end to end: through pytest's terminal, with the default output capture -------------------------------------

LONG_WORK = textwrap.dedent(
    """
    import pytest

    from pytest_homog.progress import Progress

    pytestmark = pytest.mark.homog


    def test_long_work():
        ticks = iter(range(100)).__next__
        progress = Progress("working", 8, "items", finished="worked", clock=lambda: float(ticks()))
        for done in range(1, 9):
            progress.update(done)
        progress.finish()
    """
)


def test_progress_reaches_the_terminal_under_output_capture(pytester):
    pytester.makepyfile(test_long=LONG_WORK)
    result = pytester.runpytest("--homog", "--capture=fd", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "test_long.py ",  # the file's line ends before progress starts; its result follows on a new one
            "homog: working: 2/8 items (25%), 1.0 items/s, ETA 0:06",
            "homog: working: 4/8 items (50%), *",
            "homog: working: 6/8 items (75%), *",
            "homog: worked: 8 items in 9.0 s (0.9 items/s)",
            ".*[[]100%[]]",
        ]
    )


def test_progress_is_drawn_in_place_on_a_terminal(pytester):
    pytester.makepyfile(test_long=LONG_WORK)
    pytester.makeconftest(
        """
        import pytest


        class AsOnATerminal:
            def __bool__(self):
                return True

            __call__ = __bool__


        @pytest.hookimpl(trylast=True)
        def pytest_configure(config):
            reporter = config.pluginmanager.get_plugin("terminalreporter")
            reporter.isatty = AsOnATerminal()
            write = reporter.write

            def recorded(content, **markup):  # what reaches the terminal, before any splitting into lines
                with open("written.txt", "a", encoding="utf-8", newline="") as file:
                    file.write(content)
                write(content, **markup)

            reporter.write = recorded
        """
    )
    result = pytester.runpytest("--homog", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    written = (pytester.path / "written.txt").read_bytes().decode()
    drawn = written[written.index("\rhomog: ") :]
    line, rest = drawn.split("\n", 1)  # one line, ended when the stage ends
    assert "homog" not in rest
    frames = [frame.rstrip() for frame in line.split("\r")[1:]]
    assert len(frames) == 9  # each update (a second apart) and the end
    assert frames[0] == "homog: working: 1/8 items (12%), 1.0 items/s, ETA 0:07"
    assert frames[-1] == "homog: worked: 8 items in 9.0 s (0.9 items/s)"


def test_quiet_run_shows_each_stage_once(pytester):
    pytester.makepyfile(test_long=LONG_WORK)
    result = pytester.runpytest("--homog", "-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert [line for line in result.outlines if line.startswith("homog: ")] == [
        "homog: worked: 8 items in 9.0 s (0.9 items/s)"
    ]


def test_xdist_workers_write_tagged_lines_to_stderr(pytester):
    pytest.importorskip("xdist")
    pytester.makepyfile(test_long=LONG_WORK)
    result = pytester.runpytest_subprocess("--homog", "-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stderr.fnmatch_lines(
        ["homog [[]gw?]: working: 2/8 items (25%), *", "homog [[]gw?]: worked: 8 items in 9.0 s (0.9 items/s)"]
    )


def test_fine_tuning_shows_steps_under_output_capture(pytester, tiny_world, tmp_path):
    pytester.makepyfile(
        test_tune=f"""
        import pytest

        pytestmark = pytest.mark.homog


        @pytest.fixture(scope="session")
        def tuned(homog_finetune):
            return homog_finetune({str(tiny_world["base"])!r}, train={str(tiny_world["train"])!r}, max_steps=8,
                                  learning_rate=1e-3, batch_size=16, seed=0)


        def test_tuned(tuned):
            assert tuned.cache_status == "trained"
        """
    )
    result = pytester.runpytest("--homog", f"--homog-cache-dir={tmp_path}", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "homog: fine-tuning tiny-bert+token-ft-* on 300 examples (3 epochs, device cpu)",
            "homog: fine-tuning tiny-bert+token-ft-*: 2/8 steps (25%), * steps/s, ETA *",
            "homog: fine-tuning tiny-bert+token-ft-*: 4/8 steps (50%), *",
            "homog: fine-tuning tiny-bert+token-ft-*: 6/8 steps (75%), *",
            "homog: fine-tuned tiny-bert+token-ft-*: 8 steps in * s (* steps/s)",
        ]
    )
