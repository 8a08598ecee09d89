"""``service.ahead``: an iterator run ahead of its reader in a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from service.ahead import Ahead


def test_items_come_in_order_and_the_producer_runs_ahead_by_depth() -> None:
    made: list[int] = []

    def items() -> Iterator[int]:
        for i in range(10):
            made.append(i)
            yield i

    with Ahead(items(), depth=2) as ahead:
        deadline = time.monotonic() + 5
        while len(made) < 3 and time.monotonic() < deadline:  # 2 waiting, 1 being put
            time.sleep(0.01)
        time.sleep(0.05)
        assert 2 <= len(made) <= 3
        assert list(ahead) == list(range(10))


def test_depth_zero_runs_to_the_end_without_a_reader() -> None:
    done = threading.Event()

    def items() -> Iterator[int]:
        yield from range(1000)
        done.set()

    with Ahead(items(), depth=0) as ahead:
        assert done.wait(5)
        assert sum(ahead) == sum(range(1000))


def test_an_error_in_the_producer_is_raised_in_the_reader_at_its_item() -> None:
    def items() -> Iterator[int]:
        yield 1
        raise ValueError("row 2: bad")

    with Ahead(items()) as ahead:
        assert next(ahead) == 1
        with pytest.raises(ValueError, match="row 2"):
            next(ahead)
        assert list(ahead) == []


def test_closing_stops_the_producer() -> None:
    made: list[int] = []

    def items() -> Iterator[int]:
        for i in range(10**6):
            made.append(i)
            yield i

    ahead = Ahead(items(), depth=1)
    next(ahead)
    ahead.close()
    stopped = len(made)
    time.sleep(0.1)
    assert len(made) == stopped < 10
