"""Faust's monitor, also exporting commit latency and rebalances to Prometheus (issue 15)."""

from __future__ import annotations

from typing import Any, cast

from faust.sensors import Monitor
from faust.transport.consumer import Consumer
from faust.types import AppT, ConsumerT

from infra.metrics import COMMIT_SECONDS, REBALANCES


def service_of(app: AppT) -> str:
    """The ``service`` label of ``app``'s metrics (``App.service_name``, else the app id)."""
    return getattr(app, "service_name", "") or str(app.conf.id)


class ProcessorMonitor(Monitor):
    """The app's ``Monitor`` (Faust setting ``Monitor``): Faust's statistics, plus two Prometheus series.

    - ``shopstream_commit_latency_seconds``: each commit that sent offsets to the broker, timed from
      Faust's ``on_commit_initiated`` to ``on_commit_completed``: the pre-commit producer flush
      (outputs and table writes, ``transport.DrainingProducer``) and the OffsetCommit request, as
      Kafka Streams' ``commit-latency`` includes its flushes. Faust calls these two sensors every
      commit interval even when no offset moved; ``on_tp_commit``, which Faust calls on the app's
      monitor only (not on other sensors, hence a monitor and not an ``app.sensors.add`` sensor),
      tells the commits that sent offsets from those rounds, which are not observed.
    - ``shopstream_rebalances_total``: counted at ``on_rebalance_start``, which aiokafka's rebalance
      listener calls on every member at each join, the first one included. Not at
      ``on_rebalance_return``/``on_rebalance_end``: Faust forwards those to sensors only while it
      holds the rebalance's sensor state, which it can lose ("Missing sensor state for rebalance",
      faust-streaming/faust#83).
    """

    _sent_offsets = False  # whether the commit under way sent offsets (Faust commits one at a time)

    def on_commit_initiated(self, consumer: ConsumerT) -> Any:
        """A commit round starts: not known yet whether it will send offsets."""
        self._sent_offsets = False
        return super().on_commit_initiated(consumer)

    def on_tp_commit(self, tp_offsets: Any) -> None:
        """Offsets were sent to the broker in the commit under way."""
        super().on_tp_commit(tp_offsets)
        self._sent_offsets = True

    def on_commit_completed(self, consumer: ConsumerT, state: Any) -> None:
        """Observe the round's duration if it sent offsets."""
        super().on_commit_completed(consumer, state)
        if self._sent_offsets:
            took = self.time() - float(state)
            COMMIT_SECONDS.labels(service_of(cast(Consumer, consumer).app)).observe(took)
            self._sent_offsets = False

    def on_rebalance_start(self, app: AppT) -> dict[str, float]:
        """Count the rebalance; Faust's own state of it (its timings, ``time_start`` first) goes on."""
        REBALANCES.labels(service_of(app)).inc()
        return dict(super().on_rebalance_start(app))
