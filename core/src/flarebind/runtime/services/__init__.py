"""Service bindings between Workers in one process: ``env.OTHER.fetch(...)`` and RPC to ``WorkerEntrypoint``
methods (named entrypoints, ``props``). ``registry`` maps Worker names to running runtimes; ``binding`` is the
Fetcher; ``rpc`` copies values across the call as Cloudflare's RPC serialisation would."""
