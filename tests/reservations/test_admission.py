"""Edge admission of the booking routes: the 429 answer, the gate, and the estimated wait."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from govhub.core.errors import PROBLEM_BASE
from govhub.reservations import admission
from govhub.reservations.admission import AdmissionMiddleware, WaitEstimator
from govhub.reservations.settings import get_reservation_settings

BOOKING = "/api/v1/reservations/campaigns/0f5e3a54-2c1f-4f57-9d7f-5a3b0c1d2e3f/bookings"


@pytest.fixture
def limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set the gate's limit (and the per-IP limit) for one test."""

    def set_limits(concurrent: int, per_ip: int = 600) -> None:
        monkeypatch.setenv("GOVHUB_RESERVATIONS_MAX_CONCURRENT_BOOKINGS", str(concurrent))
        monkeypatch.setenv("GOVHUB_RESERVATIONS_PER_IP_PER_MINUTE", str(per_ip))
        get_reservation_settings.cache_clear()

    yield set_limits
    get_reservation_settings.cache_clear()


def _scope(path: str = BOOKING, method: str = "POST", accept: bytes = b"*/*") -> Scope:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(b"accept", accept)],
        "client": ("192.0.2.7", 50000),
        "query_string": b"",
    }


async def _call(middleware: AdmissionMiddleware, scope: Scope) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await middleware(scope, receive, send)
    return sent


class Downstream:
    """An application that answers 201, after `release` is set when `hold` is given."""

    def __init__(self, *, hold: bool = False, fail: bool = False) -> None:
        self.release = asyncio.Event()
        self.hold, self.fail = hold, fail
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        if self.hold:
            await self.release.wait()
        if self.fail:
            raise RuntimeError("the endpoint failed")
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


def test_a_full_gate_answers_a_problem_429_without_calling_the_app(limit: Any) -> None:
    limit(0)
    app = Downstream()
    sent = asyncio.run(_call(AdmissionMiddleware(app), _scope()))
    assert app.calls == 0
    start, body = sent
    assert start["status"] == 429
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"application/problem+json"
    assert headers[b"retry-after"] == b"1"
    assert int(headers[b"content-length"]) == len(body["body"])
    problem = json.loads(body["body"])
    assert problem["type"] == PROBLEM_BASE + "rate-limited"
    assert problem["status"] == 429
    assert problem["retry_after"] == 1
    assert admission.booking_gate.active == 0


def test_other_routes_and_methods_pass_untouched(limit: Any) -> None:
    limit(0)
    app = Downstream()
    for scope in (_scope(method="GET"), _scope(path="/api/v1/reservations/campaigns")):
        assert asyncio.run(_call(AdmissionMiddleware(app), scope))[0]["status"] == 201
    assert app.calls == 2


def test_the_gate_is_released_when_the_response_completes(limit: Any) -> None:
    limit(1)
    app = Downstream()
    middleware = AdmissionMiddleware(app)
    for _ in range(3):
        assert asyncio.run(_call(middleware, _scope()))[0]["status"] == 201
    assert admission.booking_gate.active == 0


def test_the_gate_is_released_when_the_app_raises(limit: Any) -> None:
    limit(1)
    middleware = AdmissionMiddleware(Downstream(fail=True))
    with pytest.raises(RuntimeError):
        asyncio.run(_call(middleware, _scope()))
    assert admission.booking_gate.active == 0
    assert asyncio.run(_call(AdmissionMiddleware(Downstream()), _scope()))[0]["status"] == 201


def test_the_gate_is_released_when_the_client_goes_away(limit: Any) -> None:
    limit(1)
    app = Downstream(hold=True)

    async def abandon() -> None:
        task = asyncio.create_task(_call(AdmissionMiddleware(app), _scope()))
        await asyncio.sleep(0.01)
        assert admission.booking_gate.active == 1
        task.cancel()  # what the server does when the client disconnects
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(abandon())
    assert admission.booking_gate.active == 0


def test_concurrent_requests_beyond_the_limit_are_refused(limit: Any) -> None:
    limit(3)
    app = Downstream(hold=True)
    middleware = AdmissionMiddleware(app)

    async def burst() -> list[int]:
        tasks = [asyncio.create_task(_call(middleware, _scope())) for _ in range(10)]
        await asyncio.sleep(0.01)
        assert admission.booking_gate.active == 3
        app.release.set()
        return [sent[0]["status"] for sent in await asyncio.gather(*tasks)]

    statuses = asyncio.run(burst())
    assert sorted(statuses) == [201] * 3 + [429] * 7
    assert app.calls == 3
    assert admission.booking_gate.active == 0


def test_the_per_address_limit(limit: Any) -> None:
    limit(10, per_ip=2)
    app = Downstream()
    middleware = AdmissionMiddleware(app)
    statuses = [asyncio.run(_call(middleware, _scope()))[0]["status"] for _ in range(3)]
    assert statuses == [201, 201, 429]
    refused = asyncio.run(_call(middleware, _scope()))
    assert int(dict(refused[0]["headers"])[b"retry-after"]) > 1  # the window's remaining time
    assert app.calls == 2


class Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestWaitEstimator:
    def test_refused_clients_get_turns_spaced_by_the_throughput(self) -> None:
        clock = Clock()
        estimator = WaitEstimator(window=5, clock=clock)
        for second in range(5):  # 100 finished per second over the last five seconds
            clock.now = 1000.0 + second
            for _ in range(100):
                estimator.finished()
        clock.now = 1005.5
        waits = [estimator.refused(floor=1) for _ in range(1000)]
        assert waits[0] == 1  # the shortest wait
        assert waits[499] == 5  # 500 turns ahead at 100/s
        assert waits[-1] == 10
        # each whole second of turns holds about one second of throughput
        assert all(abs(waits.count(w) - 100) <= 1 for w in range(2, 10))

    def test_waits_are_clamped_and_a_past_burst_is_forgotten(self) -> None:
        clock = Clock()
        estimator = WaitEstimator(window=5, longest=60, clock=clock)
        waits = [estimator.refused(floor=2) for _ in range(1000)]
        assert max(waits) == 60  # 2/s would mean 500 s: never promised beyond the longest
        clock.now += 61
        assert estimator.refused(floor=2) == 1

    def test_waits_shrink_when_the_throughput_rises(self) -> None:
        clock = Clock()
        estimator = WaitEstimator(window=5, clock=clock)
        for second in range(5):
            clock.now = 1000.0 + second
            for _ in range(10):
                estimator.finished()
        clock.now = 1005.0
        assert max(estimator.refused(floor=1) for _ in range(300)) == 30  # 300 ahead at 10/s
        for second in range(5, 10):  # answers got cheap: 1,000 finished per second
            clock.now = 1000.0 + second
            for _ in range(1000):
                estimator.finished()
        clock.now = 1010.0
        assert estimator.refused(floor=1) == 1  # the same queue drains in well under a second

    def test_a_slower_server_gives_longer_waits(self) -> None:
        fast, slow = Clock(), Clock()
        quick, sluggish = WaitEstimator(clock=fast), WaitEstimator(clock=slow)
        for second in range(5):
            fast.now = slow.now = 1000.0 + second
            for _ in range(80):
                quick.finished()
            for _ in range(8):
                sluggish.finished()
        fast.now = slow.now = 1005.5
        quick_waits = [quick.refused(floor=1) for _ in range(400)]
        slow_waits = [sluggish.refused(floor=1) for _ in range(400)]
        assert max(slow_waits) > 5 * max(quick_waits)
