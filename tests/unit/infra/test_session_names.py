"""Names a test session made, and what of a cluster not its own is deleted at its end: those, nothing else."""

from __future__ import annotations

import re

import httpx

from infra.session_names import Cleanup, clean_registry, made, ours, refused, unique
from schemas.settings import RegistrySettings

PREFIXES = ["e2e-0123456789", "t-abcdefabcd", "orders-group-5555555555"]


def test_unique_names_are_new_and_remembered_in_order() -> None:
    before = len(made())
    first, second = unique("e2e"), unique("t")
    assert re.fullmatch(r"e2e-[0-9a-f]{10}", first) and re.fullmatch(r"t-[0-9a-f]{10}", second)
    assert made()[before:] == [first, second]


def test_only_names_starting_with_a_prefix_of_the_session_are_ours() -> None:
    names = [
        "e2e-0123456789.orders",
        "e2e-0123456789.shopstream-inventory-stock-changelog",  # a Faust table's changelog
        "e2e-0123456789.shopstream-orders",  # the orders processor's consumer group
        "e2e-0123456789.orders-value",  # the registry subject of e2e-0123456789.orders
        "e2e-0123456789.orders",
        "t-abcdefabcd.payments",
        "orders-group-5555555555",
        "e2e-9999999999.orders",  # another session's
        "x-t-abcdefabcd.orders",  # holds a prefix, does not start with it
        "orders",  # make up's
        "orders-value",
        "__consumer_offsets",
        "_shopstream-registry-journal",
    ]
    assert ours(names, PREFIXES) == [
        "e2e-0123456789.orders",
        "e2e-0123456789.orders-value",
        "e2e-0123456789.shopstream-inventory-stock-changelog",
        "e2e-0123456789.shopstream-orders",
        "orders-group-5555555555",
        "t-abcdefabcd.payments",
    ]


def test_an_empty_prefix_or_none_selects_nothing() -> None:
    assert ours(["orders", "payments", "__consumer_offsets"], ["", ""]) == []
    assert ours(["orders"], []) == []


def test_kafka_refusals_name_their_error_and_what_is_gone_already_is_not_one() -> None:
    assert refused([("a", 0), ("b", 3), ("c", 41)], gone=3) == ["c (error 41: NotControllerError)"]
    assert refused([("g1", 69), ("g2", 68), ("g3", 0)], gone=69) == ["g2 (error 68: NonEmptyGroup)"]


def test_a_cleanup_says_what_it_deleted_and_what_it_left() -> None:
    assert Cleanup("Kafka at k:9092", {"topics": 3, "consumer groups": 1}).summary() == (
        "Kafka at k:9092: deleted 3 topics, 1 consumer groups"
    )
    assert Cleanup("registry at r", {"subjects": 0}, ["s-value (HTTP 500)"]).summary() == (
        "registry at r: deleted 0 subjects; could not delete 1: s-value (HTTP 500)"
    )
    assert Cleanup("registry at r").summary() == "registry at r: deleted nothing"


def test_the_session_s_subjects_are_deleted_soft_then_permanently_and_no_other() -> None:
    sent: list[str] = []

    def registry(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.method} {request.url.raw_path.decode()}")  # path and query
        if request.method == "GET":
            subjects = [
                "orders-value",
                "e2e-0123456789.orders-value",
                "t-abcdefabcd.payments-value",
                "x-value",
            ]
            return httpx.Response(200, json=subjects)
        if request.url.path.endswith("payments-value") and request.url.query:
            return httpx.Response(500, json={"error_code": 50001})
        return httpx.Response(200, json=[1])

    settings = RegistrySettings(registry_url="http://registry.test/apis/ccompat/v7/")
    done = clean_registry(settings, PREFIXES, transport=httpx.MockTransport(registry))
    base = "/apis/ccompat/v7/subjects"
    assert sent == [
        f"GET {base}",
        f"DELETE {base}/e2e-0123456789.orders-value",
        f"DELETE {base}/e2e-0123456789.orders-value?permanent=true",
        f"DELETE {base}/t-abcdefabcd.payments-value",
        f"DELETE {base}/t-abcdefabcd.payments-value?permanent=true",
    ]
    assert (done.deleted, done.left) == ({"subjects": 1}, ["t-abcdefabcd.payments-value (HTTP 500)"])


def test_a_subject_gone_already_counts_as_deleted() -> None:
    def registry(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=["e2e-0123456789.orders-value"])
        return httpx.Response(404, json={"error_code": 40401})

    settings = RegistrySettings(registry_url="http://registry.test")
    done = clean_registry(settings, PREFIXES, transport=httpx.MockTransport(registry))
    assert (done.deleted, done.left) == ({"subjects": 1}, [])
