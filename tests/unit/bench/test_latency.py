"""bench.latency's bookkeeping of one run: which POSTs were sent, skipped or unanswered, and its figures.

Not code about Kafka: ingest-api is an httpx mock transport here; the real run, against the whole
system on a broker, is ``make bench``'s latency section.
"""

from __future__ import annotations

import httpx

from bench import latency


def orders(handler: httpx.MockTransport) -> latency.Orders:
    client = httpx.AsyncClient(base_url="http://ingest", transport=handler)
    return latency.Orders(client, "r1", ["c0", "c1"], "sku-1")


async def test_an_answered_post_is_sent_and_a_broken_one_unanswered() -> None:
    bodies: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        if b'"lat-r1-1"' in request.content:
            raise httpx.RemoteProtocolError("closed", request=request)
        return httpx.Response(202)

    run = orders(httpx.MockTransport(answer))
    for i in (0, 1):
        task = run.offer(i, max_in_flight=None)
        assert task is not None
        await task

    assert list(run.sent) == ["lat-r1-0"]
    assert run.unanswered == ["lat-r1-1"]
    assert (run.in_flight, run.skipped, len(bodies)) == (0, 0, 2)


async def test_an_order_due_while_max_in_flight_are_unanswered_is_skipped() -> None:
    run = orders(httpx.MockTransport(lambda request: httpx.Response(202)))
    run.in_flight = 2

    assert run.offer(0, max_in_flight=2) is None
    assert (run.in_flight, run.skipped, run.sent) == (2, 1, {})


def test_an_order_never_validated_counts_as_the_drain_time() -> None:
    run = orders(httpx.MockTransport(lambda request: httpx.Response(202)))
    run.sent = {"a": 1.0, "b": 2.0}
    run.done = {"a": 1.5}
    run.skipped, run.unanswered = 3, ["c"]

    figures = run.figures(20.0)

    assert {k: figures[k] for k in ("offered_per_s", "sent", "skipped", "validated", "unanswered")} == {
        "offered_per_s": 20.0, "sent": 2, "skipped": 3, "validated": 1, "unanswered": 1,
    }  # fmt: skip
    assert (figures["p50_ms"], figures["p95_ms"], figures["p99_ms"]) == (
        500.0, latency.DRAIN_S * 1000, latency.DRAIN_S * 1000
    )  # fmt: skip
