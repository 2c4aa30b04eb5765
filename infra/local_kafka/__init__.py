"""Local Apache Kafka (KRaft) nodes for development and tests, run from Maven Central jars."""

from infra.local_kafka.exceptions import LocalKafkaError
from infra.local_kafka.launcher import (
    NodeStatus,
    assemble,
    cluster_bootstrap,
    kill_node,
    reset_cluster,
    reset_single,
    single_bootstrap,
    start_cluster,
    start_node,
    start_single,
    status_cluster,
    status_single,
    stop_cluster,
    stop_single,
)
from infra.local_kafka.secure import SecureBroker, secure_running, start_secure, stop_secure

__all__ = [
    "LocalKafkaError",
    "NodeStatus",
    "SecureBroker",
    "assemble",
    "cluster_bootstrap",
    "kill_node",
    "reset_cluster",
    "reset_single",
    "secure_running",
    "single_bootstrap",
    "start_cluster",
    "start_node",
    "start_secure",
    "start_single",
    "status_cluster",
    "status_single",
    "stop_cluster",
    "stop_single",
    "stop_secure",
]
