"""The workload registry: name -> :class:`bench.harness.Workload`, in the order they run and are rendered."""

from __future__ import annotations

from bench.harness import Workload


def all_workloads() -> dict[str, Workload]:
    from bench.workloads import d1, durable_objects, kv, r2, remote, runtime

    workloads = [kv.WORKLOAD, r2.WORKLOAD, d1.WORKLOAD, runtime.WORKLOAD, durable_objects.WORKLOAD, remote.WORKLOAD]
    return {w.name: w for w in workloads}
