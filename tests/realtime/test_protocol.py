"""The WebSocket message rate limiter, on a clock the test moves."""

import pytest

from realtime import protocol
from realtime.protocol import FLOOD_REFUSALS, RATE_BURST, RATE_PER_SECOND, RateLimiter


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(protocol.time, "monotonic", lambda: now[0])
    return now


def send(limiter, clock, count, per_second):
    allowed = 0
    for _ in range(count):
        clock[0] += 1 / per_second
        allowed += limiter.allow()
    return allowed


def test_a_burst_then_the_rate(clock):
    limiter = RateLimiter()
    assert sum(limiter.allow() for _ in range(RATE_BURST + 5)) == RATE_BURST
    assert limiter.refused == 5
    clock[0] += 1.0
    assert sum(limiter.allow() for _ in range(int(RATE_PER_SECOND) + 3)) == RATE_PER_SECOND


@pytest.mark.parametrize("per_second", [100, 1_000, 100_000])
def test_a_flooder_is_marked_whatever_the_pace_its_frames_are_read_at(clock, per_second):
    limiter = RateLimiter()
    send(limiter, clock, RATE_BURST, 10_000)  # the burst goes
    refused_before = limiter.refused
    seconds = 3.0
    allowed = send(limiter, clock, int(per_second * seconds), per_second)
    # Each allowed message takes one refusal back: what stays is the excess over the rate.
    assert limiter.refused == refused_before + int(per_second * seconds) - 2 * allowed
    assert limiter.refused > FLOOD_REFUSALS


def test_a_client_that_slows_down_after_the_error_is_not_marked(clock):
    limiter = RateLimiter()
    send(limiter, clock, RATE_BURST + 10, 10_000)
    assert limiter.refused == 10
    send(limiter, clock, 200, RATE_PER_SECOND / 2)
    assert limiter.refused == 0
