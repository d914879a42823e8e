"""The workload registry: name -> :class:`bench.harness.Workload`, in the order they run and are rendered."""

from __future__ import annotations

from bench.harness import Workload


def all_workloads() -> dict[str, Workload]:
    from bench.workloads import (
        ai,
        assets,
        browser,
        d1,
        durable_objects,
        htmlrewriter,
        images,
        kv,
        queues,
        r2,
        remote,
        runtime,
        vectorize,
    )

    workloads = [
        kv.WORKLOAD,
        r2.WORKLOAD,
        d1.WORKLOAD,
        vectorize.WORKLOAD,
        images.WORKLOAD,
        queues.WORKLOAD,
        runtime.WORKLOAD,
        durable_objects.WORKLOAD,
        assets.WORKLOAD,
        assets.RPC_WORKLOAD,
        htmlrewriter.WORKLOAD,
        remote.WORKLOAD,
        ai.WORKLOAD,
        browser.WORKLOAD,
    ]
    return {w.name: w for w in workloads}
