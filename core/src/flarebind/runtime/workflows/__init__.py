"""Workflows, simulated locally: bindings, the Python step API, and a durable engine.

- :mod:`.binding` — ``env.MY_WORKFLOW`` and instance handles;
- :mod:`.step` — the ``step`` object ``run(event, step)`` receives (``step.do`` decorator, sleeps, events);
- :mod:`.engine` — replay-from-the-top execution with cached steps, retries, timeouts and the status machine;
- :mod:`.store` — the on-disk layout (``.wrangler/state/v3/workflows/flarebind-workflows-<name>/workflow.sqlite``);
- :mod:`.host` — engines per runtime state, attached to the runtime that has the Worker's classes;
- :mod:`.api` — the local explorer API ``flarebind workflows … --local`` talks to.
"""
