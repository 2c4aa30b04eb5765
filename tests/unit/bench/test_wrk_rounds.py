"""How the wrk sections take turns and set their figures beside the floor (bench.wrk, no wrk run)."""

from __future__ import annotations

from collections.abc import Callable

from bench import wrk


def result(ok_per_s: float) -> wrk.WrkResult:
    return wrk.WrkResult(
        seconds=1.0, connections=1, requests=int(ok_per_s), ok=int(ok_per_s), ok_per_s=ok_per_s,
        statuses={"200": int(ok_per_s)}, socket_errors={}, p50_ms=1.0, p90_ms=2.0, p99_ms=3.0, max_ms=4.0,
    )  # fmt: skip


def test_rounds_warm_every_load_up_then_interleave_them() -> None:
    calls: list[tuple[str, float]] = []

    def load(name: str, ok_per_s: float) -> Callable[[float], wrk.WrkResult]:
        def run(seconds: float) -> wrk.WrkResult:
            calls.append((name, seconds))
            return result(ok_per_s + len(calls))

        return run

    results = wrk.rounds([load("a", 100), load("b", 200)], runs=2, seconds=10, warmup_seconds=3)

    assert calls == [("a", 3), ("b", 3), ("a", 10), ("b", 10), ("a", 10), ("b", 10)]
    assert [[r["ok_per_s"] for r in kept] for kept in results] == [[103, 105], [204, 206]]


def test_ours_is_set_beside_the_median_floor() -> None:
    floors = [result(900), result(1000), result(1100)]
    ours = [result(400), result(500), result(600)]

    floor, beside = wrk.beside_floor("floor", floors, "ours", ours, "orders/s")

    assert (floor["name"], floor["value"], floor["unit"], floor["runs"]) == (
        "floor",
        1000,
        "requests/s",
        [900, 1000, 1100],
    )
    assert (floor["anchor"], floor["ratio"]) == (None, None)
    assert floor.get("detail") == wrk.detail(floors)
    assert (beside["name"], beside["value"], beside["unit"]) == ("ours", 500, "orders/s")
    assert (beside["anchor"], beside["ratio"]) == ("its own /healthz 1,000 req/s", 0.5)
    assert beside.get("detail") == wrk.detail(ours)
