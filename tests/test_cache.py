"""bot.core.cache: a value is found again only under an equal key; nothing else invalidates it."""

from __future__ import annotations

import threading

import pytest

from bot.core.cache import Cache, Same, time_window


def test_a_value_is_built_once_per_key():
    cache: Cache[str] = Cache(4)
    built: list[str] = []

    def build(key: str) -> str:
        built.append(key)
        return key.upper()

    assert cache.get("a", lambda: build("a")) == "A"
    assert cache.get("a", lambda: build("a")) == "A"
    assert cache.get(("a", 1), lambda: build("a1")) == "A1"
    assert built == ["a", "a1"]


def test_the_least_recently_used_entry_falls_out_when_full():
    cache: Cache[int] = Cache(2)
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)
    cache.get("a", lambda: 0)  # used again: "b" is now the oldest
    cache.get("c", lambda: 3)
    assert len(cache) == 2
    assert cache.get("a", lambda: -1) == 1
    assert cache.get("b", lambda: -2) == -2


def test_a_failed_build_is_not_remembered():
    cache: Cache[bool] = Cache(2)

    def fail() -> bool:
        raise OSError("network")

    with pytest.raises(OSError):
        cache.get("u", fail)
    assert len(cache) == 0
    assert cache.get("u", lambda: True) is True


def test_same_compares_by_identity_and_keeps_the_object():
    a, b = [1], [1]  # equal, but not the same, and unhashable
    cache: Cache[str] = Cache(4)
    assert cache.get((Same(a), 1), lambda: "a") == "a"
    assert cache.get((Same(b), 1), lambda: "b") == "b"
    assert cache.get((Same(a), 1), lambda: "again") == "a"
    assert Same(a) == Same(a) and Same(a) != Same(b) and Same(a) != a


def test_a_time_window_is_stable_within_its_length():
    assert time_window(3600) in (time_window(3600), time_window(3600) - 1)
    assert isinstance(time_window(0.5), int)


def test_threads_share_it_safely():
    cache: Cache[int] = Cache(64)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(2000):
                assert cache.get(i % 100, lambda i=i: i % 100) == i % 100
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(cache) <= 64
