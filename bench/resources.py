"""Resident memory and CPU time of every service process and of the broker (psutil)."""

from __future__ import annotations

import threading
from collections.abc import Mapping

import psutil

from infra.local_kafka.layout import NodeSpec, single_spec


def broker_pid(spec: NodeSpec | None = None) -> int:
    """The JVM of the local single broker (or of the lone node ``spec``)."""
    return int((spec or single_spec()).pid_file.read_text().strip())


class CpuMeter:
    """CPU seconds (user + system) that named processes spent between two points, via psutil."""

    def __init__(self, pids: Mapping[str, int]) -> None:
        self._procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self._start = self._now()

    def _now(self) -> dict[str, float]:
        return {name: sum(p.cpu_times()[:2]) for name, p in self._procs.items()}

    def seconds(self) -> dict[str, float]:
        """CPU seconds each process spent since construction."""
        now = self._now()
        return {name: now[name] - self._start[name] for name in now}

    def ms_per(self, units: int) -> dict[str, float]:
        """Milliseconds of CPU per unit of work since construction, per process."""
        return {name: round(s * 1000 / max(units, 1), 2) for name, s in self.seconds().items()}


def rss_mib(pid: int) -> float:
    """Resident set size of a process and its children (uvicorn's workers) in MiB (0 if it is gone)."""
    return sum(worker_rss_mib(pid))


def worker_rss_mib(pid: int) -> list[float]:
    """Resident set size in MiB of a process and of each of its children, that one first."""
    try:
        parent = psutil.Process(pid)
        processes = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return [0.0]
    sizes = []
    for process in processes:
        try:
            sizes.append(float(process.memory_info().rss) / 2**20)
        except psutil.NoSuchProcess:
            sizes.append(0.0)
    return sizes


def snapshot(pids: dict[str, int]) -> dict[str, float]:
    """RSS in MiB of each named process."""
    return {name: round(rss_mib(pid), 1) for name, pid in pids.items()}


class PeakSampler:
    """Samples RSS of named processes in a thread and keeps each one's peak."""

    def __init__(self, pids: dict[str, int], every_s: float = 0.5) -> None:
        self._pids = pids
        self._every_s = every_s
        self.peaks = dict.fromkeys(pids, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            for name, value in snapshot(self._pids).items():
                self.peaks[name] = max(self.peaks[name], value)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
