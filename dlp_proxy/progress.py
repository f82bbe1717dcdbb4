"""A progress bar for long CLI work: on a terminal only, quiet when piped or with --json.

``with progress("exporting", total=n, enabled=not args.json) as advance: advance(1)``
draws (on stderr, through rich) the count, the rate per second and the time left;
nothing is drawn when stderr is not a terminal or ``enabled`` is False, so scripts,
pipes and JSON output see only what the command prints.  ``total`` may be None
(rate and count, no ETA).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


def wanted(enabled: bool = True) -> bool:
    return enabled and sys.stderr.isatty()


@contextmanager
def progress(description: str, *, total: int | None = None, enabled: bool = True,
             unit: str = "records") -> Iterator[Callable[[int], None]]:
    if not wanted(enabled):
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total, rate="")

        def advance(n: int) -> None:
            bar.advance(task, n)
            speed = bar.tasks[0].speed
            if speed:
                bar.update(task, rate=f"{speed:,.0f} {unit}/s")

        yield advance


def counted(items: Iterable[T], advance: Callable[[int], None]) -> Iterator[T]:
    """``items``, telling ``advance`` about each one as it goes by."""
    for item in items:
        advance(1)
        yield item


class CountedList(list[T]):
    """A list whose iteration tells ``advance`` about each item (for a function that takes a Sequence)."""

    def __init__(self, items: Iterable[T], advance: Callable[[int], None]) -> None:
        super().__init__(items)
        self._advance = advance

    def __iter__(self) -> Iterator[T]:
        for item in super().__iter__():
            self._advance(1)
            yield item
