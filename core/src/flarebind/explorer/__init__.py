"""The local explorer: Miniflare's ``/cdn-cgi/explorer/api`` (Cloudflare's REST shapes over local state) and page.

One module per resource kind (:mod:`.kv`, :mod:`.r2`, :mod:`.d1`, :mod:`.workflows`, :mod:`.workers`), all reading
and writing through the public binding objects the plugins build, found from the config's bindings
(:mod:`.resources`). :mod:`.app` routes a request; :mod:`.asgi` serves it inside ``flarebind dev`` or alone
(``flarebind explorer``); :mod:`.page` serves the static front end with its same-origin write token.
"""

API_PREFIX = "/cdn-cgi/explorer/api"
PAGE_PREFIX = "/cdn-cgi/explorer"
