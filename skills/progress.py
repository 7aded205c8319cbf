"""Progress of long work (rebuilds, full re-mines, imports, syncs, archiving), shown where it runs.

A service takes a `Progress` and calls `start(total, label)`, `advance(n)` and `finish()`; it
never knows who watches. Commands pass a `TerminalProgress` (a tqdm bar with counts and an ETA
on a terminal, a plain line every few seconds otherwise, nothing at -v0); jobs pass one that
publishes the counts for the admin (`skills.jobs.progress`).
"""

from __future__ import annotations

import time
from typing import TextIO

from django.core.management.base import OutputWrapper
from tqdm import tqdm


class Progress:
    """Counts done out of a total; this base class shows nothing."""

    def start(self, total: int | None, label: str = "") -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass


NO_PROGRESS = Progress()


def eta_text(done: int, total: int | None, elapsed: float, unit: str = "") -> str:
    """'1,200/5,000 events read (24 %), 3.1 s elapsed, ETA 9.8 s' — the ETA from the rate so far."""
    unit = f" {unit}" if unit else ""
    if not total:
        return f"{done:,}{unit} done, {elapsed:.1f} s elapsed"
    text = f"{done:,}/{total:,}{unit} ({100 * done / total:.0f} %), {elapsed:.1f} s elapsed"
    if 0 < done < total:
        text += f", ETA {elapsed * (total - done) / done:.1f} s"
    return text


# Off a terminal, a progress line at most this often (tests set 0).
PLAIN_LINE_SECONDS = 5.0


class _AsWritten:
    """Writes text as given: Django's OutputWrapper would end each of tqdm's frames with a newline."""

    def __init__(self, stream: TextIO | OutputWrapper) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        if isinstance(self.stream, OutputWrapper):
            self.stream.write(text, ending="")
        else:
            self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


class TerminalProgress(Progress):
    """A tqdm bar on a terminal; off a terminal, a line every `interval` seconds and one at the
    end (logs and CI keep no carriage-return frames); nothing when verbosity is 0."""

    def __init__(self, stream: TextIO | OutputWrapper, *, verbosity: int = 1, interval: float | None = None) -> None:
        self.stream, self.verbosity = _AsWritten(stream), verbosity
        self.interval = PLAIN_LINE_SECONDS if interval is None else interval
        self.tty = stream.isatty()
        self.bar: tqdm | None = None
        self.total: int | None = None
        self.label, self.done, self.began, self.last_line = "", 0, 0.0, 0.0

    def start(self, total: int | None, label: str = "") -> None:
        self.total, self.label, self.done = total, label, 0
        self.began = self.last_line = time.monotonic()
        if self.verbosity and self.tty:
            self.bar = tqdm(total=total, desc=label, file=self.stream, dynamic_ncols=True)

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.verbosity and time.monotonic() - self.last_line >= self.interval:
            self._line()

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif self.verbosity:
            self._line()

    def _line(self) -> None:
        self.last_line = time.monotonic()
        self.stream.write(f"{self.label}: {eta_text(self.done, self.total, self.last_line - self.began)}\n")
        self.stream.flush()
