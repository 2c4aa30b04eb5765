"""``make up`` for real (``python -m infra.up``) on the session's broker and registry, on ports and
topics of its own: a processor killed with SIGKILL is restarted by supervisord and ready again while
ingest-api and query-api keep answering; an order placed meanwhile is VALIDATED; SIGINT stops it all.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from infra.services import SERVICES
from infra.supervision import GROUP, SERVICE_POLICY, Layout
from tests.e2e.shop import Shop
from tests.helpers.processes import alive, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

VICTIM = "fraud"  # a check: the order placed while it is down is VALIDATED only once it is back
READY_S = 180  # the first start of eight services on two cores
BACK_S = 30
STOP_S = 30


@dataclass
class Up:
    """``python -m infra.up`` running, what it printed, and where its services answer."""

    proc: subprocess.Popen[bytes]
    layout: Layout
    urls: dict[str, str]  # base URL of each service, by name
    printed: list[str] = field(default_factory=list)

    def tail(self) -> str:
        """The last lines it printed, for a failure message."""
        return "\n".join(self.printed[-60:])

    def ctl(self, *args: str) -> str:
        """What supervisorctl says, on this run's config."""
        command = [sys.executable, "-m", "supervisor.supervisorctl", "-c", str(self.layout.config), *args]
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=10).stdout  # noqa: S603 - supervisorctl of this run, fixed arguments

    def pid(self, name: str) -> int:
        """The pid of service ``name`` now (0 when it does not run)."""
        said = self.ctl("pid", f"{GROUP}:{name}").strip()
        return int(said) if said.isdigit() else 0

    def pids(self) -> list[int]:
        """supervisord's pid and every service's."""
        services = [int(word) for word in self.ctl("pid", "all").split() if word.isdigit()]
        return [int(self.layout.pidfile.read_text()), *services]


def keep_reading(stream: IO[bytes], into: list[str]) -> None:
    """Append each line of ``stream`` to ``into`` until it ends (so that the pipe never fills)."""
    for raw in stream:
        into.append(raw.decode("utf-8", "replace").rstrip("\n"))


def ready(url: str) -> bool:
    """Whether ``url``/readyz answers 200 now."""
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def wait_all_ready(up: Up, timeout_s: float) -> None:
    """Every service ready, or fail with what ``make up`` printed."""
    deadline = time.monotonic() + timeout_s
    waiting = dict(up.urls)
    while waiting and time.monotonic() < deadline:
        if up.proc.poll() is not None:
            pytest.fail(f"infra.up exited {up.proc.returncode}:\n{up.tail()}")
        waiting = {name: url for name, url in waiting.items() if not ready(url)}
        time.sleep(0.5)
    if waiting:
        pytest.fail(f"not ready in {timeout_s} s: {sorted(waiting)}\n{up.tail()}")


def stop_orphaned_supervisord(layout: Layout) -> None:
    """SIGTERM to a supervisord left by a killed infra.up, which stops its services; wait for it."""
    try:
        pid = int(layout.pidfile.read_text())
    except (FileNotFoundError, ValueError):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_S
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)


async def delete_topics(kafka: str, prefix: str) -> None:
    """Every topic of this run (its own and the processors' changelogs), so the broker is left as found."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        ours = [name for name in await admin.list_topics() if name.startswith(prefix)]
        if ours:
            await admin.delete_topics(ours)
    finally:
        await admin.close()


@pytest.fixture
def up(kafka: str, schema_registry: str, tmp_path: Path) -> Iterator[Up]:
    """``python -m infra.up`` on the session broker and registry, every service on a free port."""
    ports = {s.name: free_port() for s in SERVICES}
    prefix = f"up-{uuid.uuid4().hex[:8]}."
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka,  # given: infra.up starts no broker and stops none
        "SCHEMA_REGISTRY_URL": schema_registry,
        "KAFKA_TOPIC_PREFIX": prefix,
        "SHOPSTREAM_LOCAL_DIR": str(tmp_path / "local"),  # supervisord's config, socket and log files
        "PROCESSOR_DATA_DIR": str(tmp_path / "faust"),
        "SIMULATOR_RATE": "0",
        "ORDERS_VALIDATION_TIMEOUT_S": "600",  # the order must wait for the killed check, not time out
        "INGEST_QUERY_BASE_URL": f"http://127.0.0.1:{ports['query-api']}",
        **{s.port_env: str(ports[s.name]) for s in SERVICES},
    }
    proc = subprocess.Popen(  # this interpreter, our module
        [sys.executable, "-m", "infra.up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    running = Up(proc, Layout(tmp_path / "local" / "up"), {s.name: s.base_url(env) for s in SERVICES})
    assert proc.stdout is not None
    reader = threading.Thread(target=keep_reading, args=(proc.stdout, running.printed), daemon=True)
    reader.start()
    try:
        yield running
    finally:
        if proc.poll() is None:  # the test failed before its SIGINT
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(STOP_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                stop_orphaned_supervisord(running.layout)
        # the pipe ends once no process of the run holds it; closing it under a blocked reader would hang
        reader.join(STOP_S)
        if not reader.is_alive():
            proc.stdout.close()
        asyncio.run(delete_topics(kafka, prefix))


async def healthz_answer(urls: list[str], until: asyncio.Event) -> list[tuple[str, int | str]]:
    """Ask each ``/healthz`` every 0.25 s until ``until`` is set; the answers that were not 200."""
    failures: list[tuple[str, int | str]] = []
    async with httpx.AsyncClient(timeout=2) as client:
        while not until.is_set():
            for url in urls:
                try:
                    status: int | str = (await client.get(f"{url}/healthz")).status_code
                except httpx.TransportError as exc:
                    status = type(exc).__name__
                if status != 200:
                    failures.append((url, status))
            await asyncio.sleep(0.25)
    return failures


async def ready_again(up: Up, killed: int, killed_at: float, timeout_s: float) -> int:
    """The victim's new pid once it runs again and answers /readyz 200; fails ``timeout_s`` after the kill."""
    deadline = killed_at + timeout_s
    while time.monotonic() < deadline:
        pid = await asyncio.to_thread(up.pid, VICTIM)
        if pid not in (0, killed) and await asyncio.to_thread(ready, up.urls[VICTIM]):
            return pid
        await asyncio.sleep(0.25)
    pytest.fail(f"{VICTIM} not ready again {timeout_s} s after kill -9:\n{up.tail()}")


def wait_printed(up: Up, text: str, timeout_s: float) -> None:
    """Until ``make up`` has printed a line containing ``text``; fails after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not any(text in line for line in up.printed):
        if time.monotonic() > deadline:
            pytest.fail(f"not printed within {timeout_s} s: {text!r}\n{up.tail()}")
        time.sleep(0.2)


def test_killed_worker_comes_back_apis_answer_order_validated_sigint_stops_all(up: Up) -> None:
    wait_all_ready(up, READY_S)
    # past startsecs: a kill now is a crash of a running worker, not a failed start (restart in 1 s)
    wait_printed(up, f"| success: {VICTIM} entered RUNNING state", SERVICE_POLICY.startsecs + 5)
    killed, before = up.pid(VICTIM), up.pids()
    assert killed in before and alive(killed)
    os.kill(killed, signal.SIGKILL)
    killed_at = time.monotonic()

    async def meanwhile() -> None:
        back = asyncio.Event()
        apis = [up.urls["ingest-api"], up.urls["query-api"]]
        health = asyncio.create_task(healthz_answer(apis, back))
        async with (
            httpx.AsyncClient(base_url=up.urls["ingest-api"], timeout=30) as ingest,
            httpx.AsyncClient(base_url=up.urls["query-api"], timeout=70) as query,
        ):
            shop = Shop(ingest, query)
            customer, sku = await shop.customer(), await shop.stock(5)
            order_id = await shop.order(customer, (sku, 2, 1250))
            again = await ready_again(up, killed, killed_at, BACK_S)
            back.set()
            assert await health == []
            view = await shop.wait(order_id, "VALIDATED,FAILED", timeout_ms=60_000)
            assert (view["state"], view["reasons"]) == ("VALIDATED", []), view
        assert up.pids() == [again if pid == killed else pid for pid in before]  # the others kept theirs

    asyncio.run(meanwhile())
    wait_printed(up, f"| {VICTIM} exited (terminated by SIGKILL), restart in 1 s", timeout_s=1)

    every = up.pids()
    up.proc.send_signal(signal.SIGINT)
    try:
        code = up.proc.wait(STOP_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"infra.up still running {STOP_S} s after SIGINT:\n{up.tail()}")
    assert code == 0, up.tail()
    assert [pid for pid in every if alive(pid)] == []
    wait_printed(up, "stopped (supervisord exit code 0)", timeout_s=2)  # its reader may lag a moment
