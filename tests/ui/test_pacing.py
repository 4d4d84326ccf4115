"""How often a streaming answer is written: bounded by what the writes cost."""

from __future__ import annotations

from craft_tui.ui.pacing import MAX_INTERVAL, MIN_INTERVAL, FlushPacer


def test_cheap_writes_go_out_at_the_reading_rate() -> None:
    pacer = FlushPacer()
    assert pacer.interval == MIN_INTERVAL  # before anything is measured: ~25 writes a second
    pacer.record(0.001)
    assert pacer.interval == MIN_INTERVAL


def test_expensive_writes_are_spaced_so_painting_uses_a_bounded_share_of_a_core() -> None:
    pacer = FlushPacer(duty=0.25)
    for _ in range(10):
        pacer.record(0.03)
    assert abs(pacer.interval - 0.12) < 1e-9  # 0.03 s of CPU every 0.12 s: a quarter of a core


def test_the_interval_never_grows_past_the_point_where_the_answer_looks_stuck() -> None:
    pacer = FlushPacer()
    pacer.record(5.0)
    assert pacer.interval == MAX_INTERVAL


def test_one_slow_write_is_smoothed_and_forgotten_when_writes_are_cheap_again() -> None:
    pacer = FlushPacer(duty=0.5)
    pacer.record(0.02)
    pacer.record(0.1)  # a garbage collection or a table
    assert pacer.interval < 0.1 / 0.5
    for _ in range(8):
        pacer.record(0.01)
    assert pacer.interval == MIN_INTERVAL
