"""Reliability: the system keeps SPEC §5 (nothing lost, nothing doubled, no 5xx) under faults and load."""
