"""Progress of long work (fine-tuning, prediction) on the terminal, even under pytest's output capture.

In a ``--homog`` run the lines go through pytest's terminal writer with output capture suspended
(``CaptureManager.global_and_fixture_disabled``, as pytest's own live logging reaches the terminal), so the default
``--capture=fd`` does not swallow them. On a terminal a stage shows one line, updated in place; elsewhere (a CI
log, a pipe) it writes a line at about every quarter of the work and one when it ends. Under ``-q`` a stage writes
only the line at its end. A pytest-xdist worker has no terminal of its own: it writes plain lines, tagged with its
id (``homog [gw1]: ...``), to its standard error, which the workers share with the controller's.

Outside such a run (a script, a notebook, or pytest without ``--homog``) the lines go to ``sys.stderr``.

Examples
--------
>>> import io
>>> terminal = Terminal(stream=io.StringIO())
>>> clock = iter([0.0, 5.0, 10.0, 20.0, 40.0]).__next__
>>> progress = Progress("fine-tuning tagger", 8, "steps", finished="fine-tuned tagger", terminal=terminal, clock=clock)
>>> for step in (2, 4, 8):
...     progress.update(step)
>>> progress.finish()
>>> print(terminal.stream.getvalue(), end="")
homog: fine-tuning tagger: 2/8 steps (25%), 0.4 steps/s, ETA 0:15
homog: fine-tuning tagger: 4/8 steps (50%), 0.4 steps/s, ETA 0:10
homog: fine-tuned tagger: 8 steps in 40.0 s (0.2 steps/s)
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

if TYPE_CHECKING:
    import pytest

__all__ = ["QUIET_SECONDS", "Progress", "PytestTerminal", "Terminal", "attach", "current_terminal", "track"]

#: a stage that ends sooner shows nothing (``track``): predicting a handful of sentences is not long work
QUIET_SECONDS = 2.0
#: the least time between two updates of a line shown in place
REDRAW_SECONDS = 0.25

SizedT = TypeVar("SizedT", bound=Sized)


class Terminal:
    """Where progress goes: a stream (``sys.stderr`` at the time of each write unless ``stream`` is given).

    A line shown in place (:meth:`show`, only where :attr:`live`) lasts until the next one or until a line of its
    own (:meth:`line`) replaces it.
    """

    def __init__(self, *, stream: TextIO | None = None, prefix: str = "homog: ", quiet: bool = False) -> None:
        self._stream = stream
        self.prefix = prefix
        #: ``-q``: no updates while a stage runs, only the line at its end
        self.quiet = quiet
        self._shown = 0  # the width of the line shown in place, 0 when there is none

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    @property
    def live(self) -> bool:
        """Whether a line can be updated in place (a terminal, not a log or a pipe)."""
        return bool(getattr(self.stream, "isatty", lambda: False)())

    @property
    def width(self) -> int:
        return shutil.get_terminal_size().columns

    def line(self, message: str) -> None:
        """``message`` on a line of its own, in place of the line shown in place, if any."""
        text = self.prefix + message
        if self._shown:
            self._write("\r" + text.ljust(self._shown) + "\n")
            self._shown = 0
        else:
            self._write(text + "\n", starts_line=True)

    def show(self, message: str) -> None:
        """``message`` in place of the line shown before; cut to the terminal's width, since a wrapped line could not
        be rewritten."""
        text = (self.prefix + message)[: max(self.width - 1, 1)]
        self._write("\r" + text.ljust(self._shown), starts_line=not self._shown)
        self._shown = len(text)

    def _write(self, text: str, *, starts_line: bool = False) -> None:
        """Write ``text``; ``starts_line``: it begins a new line of output (nothing of ours is shown in place)."""
        stream = self.stream
        stream.write(text)
        stream.flush()


class PytestTerminal(Terminal):
    """The terminal of a pytest run: its terminal writer, with output capture suspended while a line is written.

    A pytest-xdist worker writes to its standard error (also with capture suspended), which it shares with the
    controller; its lines carry the worker's id and are never updated in place.
    """

    def __init__(self, config: pytest.Config) -> None:
        worker = getattr(config, "workerinput", {}).get("workerid")
        super().__init__(prefix=f"homog [{worker}]: " if worker else "homog: ", quiet=config.get_verbosity() < 0)
        self.config = config
        self.worker = worker is not None

    def _reporter(self) -> Any:
        return None if self.worker else self.config.pluginmanager.get_plugin("terminalreporter")

    @property
    def live(self) -> bool:
        reporter = self._reporter()
        return reporter is not None and bool(reporter.isatty)

    @property
    def width(self) -> int:
        return int(self.config.get_terminal_writer().fullwidth) if self._reporter() is not None else super().width

    def _write(self, text: str, *, starts_line: bool = False) -> None:
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled() if capture is not None else nullcontext():
            reporter = self._reporter()
            if reporter is None:
                super()._write(text, starts_line=starts_line)
                return
            if starts_line:
                reporter.ensure_newline()  # after the test file's name and its dots
            reporter.write(text, flush=True)


_terminal: Terminal | None = None


def current_terminal() -> Terminal:
    """The terminal of the ``--homog`` run in progress, else one writing to ``sys.stderr``."""
    return _terminal if _terminal is not None else Terminal()


def attach(config: pytest.Config) -> None:
    """Send progress to the terminal of the pytest run ``config`` until the run ends; called by the plugin."""
    global _terminal
    previous, _terminal = _terminal, PytestTerminal(config)

    def detach() -> None:  # an in-process run (pytester) hands the terminal back to the run around it
        global _terminal
        _terminal = previous

    config.add_cleanup(detach)


def _clock_time(seconds: float) -> str:
    """``m:ss``, or ``h:mm:ss`` from an hour on.

    >>> _clock_time(7.4), _clock_time(754), _clock_time(3725)
    ('0:07', '12:34', '1:02:05')
    """
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _rate(per_second: float) -> str:
    return f"{per_second:.1f}" if per_second < 10 else f"{per_second:.0f}"


class Progress:
    """The progress of one stage of long work: how much is done, how fast, and how long the rest will take.

    Parameters
    ----------
    doing : str
        What the stage is called while it runs (``"fine-tuning tagger"``, ``"predicting"``).
    total : int
        How many ``unit`` the stage has to do.
    unit : str
        What is counted (``"steps"``, ``"sentences"``).
    finished : str, optional
        What it is called in the line at its end (``"fine-tuned tagger"``); by default ``doing``.
    terminal : Terminal, optional
        Where to write; by default the run's (:func:`current_terminal`).
    delay : float
        Seconds the stage must run before it shows anything, so short work stays silent.
    clock : callable
        Seconds since any fixed point (``time.monotonic``).
    """

    def __init__(
        self,
        doing: str,
        total: int,
        unit: str,
        *,
        finished: str | None = None,
        terminal: Terminal | None = None,
        delay: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.doing, self.total, self.unit = doing, int(total), unit
        self.finished = doing if finished is None else finished
        self.terminal = terminal if terminal is not None else current_terminal()
        self.delay = delay
        self._clock = clock
        self.started = clock()
        self.done = 0
        self._next_quarter = 1  # a log gets a line when the work done reaches this many quarters of the total
        self._drawn: float | None = None  # when the line shown in place was last drawn

    def advance(self, count: int) -> None:
        """``count`` more units are done."""
        self.update(self.done + count)

    def update(self, done: int) -> None:
        """``done`` units are done so far."""
        self.done = done
        now = self._clock()
        if self.terminal.quiet or now - self.started < self.delay or not self.total:
            return
        if self.terminal.live:
            if self._drawn is None or now - self._drawn >= REDRAW_SECONDS or done >= self.total:
                self._drawn = now
                self.terminal.show(self._status(now))
        elif self._next_quarter * self.total <= done * 4 and done < self.total:
            self._next_quarter = done * 4 // self.total + 1
            self.terminal.line(self._status(now))

    def finish(self) -> None:
        """The stage is done: one line with the work, the time it took and the rate (none if it ended within
        ``delay``)."""
        elapsed = self._clock() - self.started
        if elapsed < self.delay:
            return
        rate = f" ({_rate(self.done / elapsed)} {self.unit}/s)" if elapsed > 0 else ""
        self.terminal.line(f"{self.finished}: {self.done} {self.unit} in {elapsed:.1f} s{rate}")

    def _status(self, now: float) -> str:
        status = f"{self.doing}: {self.done}/{self.total} {self.unit} ({100 * self.done // self.total}%)"
        elapsed = now - self.started
        if self.done <= 0 or elapsed <= 0:
            return status
        per_second = self.done / elapsed
        return f"{status}, {_rate(per_second)} {self.unit}/s, ETA {_clock_time((self.total - self.done) / per_second)}"


def track(batches: Iterable[SizedT], total: int, doing: str, unit: str) -> Iterator[SizedT]:
    """Yield each batch of ``batches`` and count its length as done: the progress of a loop over ``total`` units
    (shown once it has run for :data:`QUIET_SECONDS`).

    Examples
    --------
    >>> [len(batch) for batch in track([[1, 2], [3]], 3, "predicting", "sentences")]
    [2, 1]
    """
    progress = Progress(doing, total, unit, delay=QUIET_SECONDS)
    for batch in batches:
        yield batch
        progress.advance(len(batch))
    progress.finish()
