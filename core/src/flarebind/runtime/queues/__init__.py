"""Queues, simulated locally: producers, consumers calling the Worker's ``queue`` handler, and a persisted broker.

- :mod:`.producer` — ``env.MY_QUEUE.send`` / ``sendBatch`` with Cloudflare's checks, limits and texts;
- :mod:`.codec` — the ``json`` / ``text`` / ``bytes`` / ``v8`` content types;
- :mod:`.store` — messages on disk (``.wrangler/state/v3/queues/flarebind-queues/queues.sqlite``);
- :mod:`.consumer` — the ``MessageBatch`` / ``Message`` objects a handler gets, and the ack/retry bookkeeping;
- :mod:`.broker` — Miniflare's delivery algorithm (batch size / timeout, one batch in flight, retries, DLQ);
- :mod:`.host` — brokers shared by the runtimes of one state folder, attached when a Worker consumes a queue.
"""
