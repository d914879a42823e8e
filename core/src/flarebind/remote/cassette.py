"""Record and replay of remote binding calls, so a suite that uses remote bindings runs offline in CI.

A cassette is one readable JSON file: every call a remote binding made through the proxy protocol (binding,
pipeline, arguments, streamed body) and what came back (result or error, streamed body). Bodies larger than
:data:`INLINE_BYTES` go to side files named by their SHA-256 in ``<cassette>.bodies/``, so cassettes stay small,
stable across runs, and diff well in review.

Recording sits at the HTTP transport of the channels that talk to a session (:class:`RecordingTransport`), so it
sees exactly the protocol requests and nothing else: not the relay's URL (which holds the session secret), not the
headers (which hold the proxy secret), never the API token. As defence in depth every known secret string is also
replaced by ``<redacted>`` before anything is written.

Replay (:class:`ReplayTransport`) answers the same protocol requests from the cassette with no network, no session
and no credentials. A call matches a recorded one when binding, pipeline, extra pipelines and body are equal; by
default calls must come in the recorded order (``ordered=False`` lets any unused recorded call with the same key
answer, for code that issues calls concurrently). An unmatched call is a :class:`CassetteMismatch` naming the call
and the nearest recorded one.

Format (version 1)::

    {"version": 1, "interactions": [
      {"request": {"binding": "KV", "calls": [{"call": "get", "args": ["k"]}], "body": null},
       "response": {"status": 200, "content_type": "application/json", "envelope": {"result": "v"},
                    "body": null}}]}

``body`` is ``null``, ``{"text": …}``, ``{"base64": …}`` or ``{"file": "<name>.bodies/<sha256>.bin", "size": N,
"sha256": …}``.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

from flarebind.errors import FlarebindError
from flarebind.remote.protocol import CALL_PATH, FRAME_PREFIX_BYTES, FRAME_TYPE, INFO_PATH, JSON_TYPE

VERSION = 1
INLINE_BYTES = 4096
REDACTED = "<redacted>"
RECORD_ENV = "FLAREBIND_RECORD"
REPLAY_ENV = "FLAREBIND_REPLAY"
ORDER_ENV = "FLAREBIND_REPLAY_ORDER"  # "recorded" (default) or "any"
# the relay's base for a replayed session: never contacted (the replay transport answers), and not routable
REPLAY_BASE = "http://127.0.0.1:9/flarebind-replay"


class CassetteError(FlarebindError):
    """A cassette could not be read or written."""


class CassetteMismatch(CassetteError):
    """A call made during replay matches no recorded call."""


# ------------------------------------------------------------------------------------------------ bodies
def _body_ref(data: bytes | None, cassette_path: Path) -> dict[str, Any] | None:
    if data is None:
        return None
    if len(data) <= INLINE_BYTES:
        try:
            return {"text": data.decode("utf-8")}
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(data).decode()}
    digest = hashlib.sha256(data).hexdigest()
    folder = cassette_path.with_name(cassette_path.name + ".bodies")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest}.bin"
    if not target.exists():
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return {"file": f"{folder.name}/{target.name}", "size": len(data), "sha256": digest}


def _body_bytes(ref: dict[str, Any] | None, cassette_path: Path) -> bytes | None:
    if ref is None:
        return None
    if "text" in ref:
        return str(ref["text"]).encode("utf-8")
    if "base64" in ref:
        return base64.b64decode(ref["base64"])
    folder = cassette_path.parent.resolve()
    target = (folder / ref["file"]).resolve()
    if folder not in target.parents:
        raise CassetteError(f"{cassette_path}: body file {ref['file']!r} is outside the cassette's folder")
    try:
        return target.read_bytes()
    except OSError as exc:
        raise CassetteError(f"{cassette_path}: body file {ref['file']} is missing ({exc.strerror})") from exc


def _body_digest(ref: dict[str, Any] | None, cassette_path: Path) -> str | None:
    if ref is None:
        return None
    if "sha256" in ref:
        return str(ref["sha256"])
    data = _body_bytes(ref, cassette_path)
    return hashlib.sha256(data or b"").hexdigest()


# ------------------------------------------------------------------------------------------------ messages
def split_message(content_type: str, data: bytes) -> tuple[Any, bytes | None]:
    """A protocol message -> (JSON envelope, streamed body or None)."""
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == FRAME_TYPE:
        size = int.from_bytes(data[:FRAME_PREFIX_BYTES], "big")
        envelope = json.loads(data[FRAME_PREFIX_BYTES : FRAME_PREFIX_BYTES + size])
        return envelope, data[FRAME_PREFIX_BYTES + size :]
    if ctype == JSON_TYPE:
        return json.loads(data), None
    return None, data


def join_message(content_type: str, envelope: Any, body: bytes | None) -> bytes:
    ctype = content_type.split(";")[0].strip().lower()
    if envelope is None:
        return body or b""
    payload = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()
    if ctype == FRAME_TYPE:
        return len(payload).to_bytes(FRAME_PREFIX_BYTES, "big") + payload + (body or b"")
    return payload


def describe_call(request: dict[str, Any]) -> str:
    """``KV.get("k", {"type": "json"})``: a recorded or live call, as a person reads it."""
    parts = [str(request.get("binding"))]
    for op in request.get("calls") or []:
        if "call" in op:
            args = ", ".join(json.dumps(a, ensure_ascii=False) for a in op.get("args") or [])
            parts.append(f"{op['call']}({args})")
        elif "get" in op:
            parts.append(str(op["get"]))
        elif "ref" in op:
            parts.append(f"<{op['ref']}>")
    text = ".".join(parts)
    if request.get("extra"):
        text += f" (+{len(request['extra'])} extra pipelines)"
    if request.get("body") is not None:
        text += " with a streamed body"
    return text


def _key(request: dict[str, Any], digest: str | None) -> str:
    return json.dumps(
        {
            "binding": request.get("binding"),
            "calls": request.get("calls"),
            "extra": request.get("extra"),
            "body": digest,
        },
        sort_keys=True,
        ensure_ascii=False,
    )


# ------------------------------------------------------------------------------------------------ the cassette
class Cassette:
    """One cassette file; ``Cassette.load(path)`` to replay, ``Cassette(path)`` then :meth:`save` to record."""

    def __init__(self, path: str | Path, interactions: list[dict[str, Any]] | None = None) -> None:
        self.path = Path(path)
        self.interactions: list[dict[str, Any]] = interactions or []
        self.secrets: set[str] = set()
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: str | Path) -> Cassette:
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CassetteError(
                f"no cassette at {p}: record it first (flarebind dev --record {p}, or pytest --flarebind-record)"
            ) from None
        except (OSError, ValueError) as exc:
            raise CassetteError(f"{p}: not a readable cassette ({exc})") from exc
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise CassetteError(f"{p}: not a version {VERSION} flarebind cassette")
        return cls(p, list(data.get("interactions") or []))

    def add_secret(self, *values: str | None) -> None:
        self.secrets.update(v for v in values if v and len(v) >= 8)

    def record(self, request: dict[str, Any], response: dict[str, Any]) -> None:
        # written after every call, so a dev server stopped with Ctrl-C (or killed) keeps what it recorded
        with self._lock:
            self.interactions.append({"request": request, "response": response})
            self.save()

    def save(self) -> None:
        """Write the cassette (to a temporary name, then renamed), every known secret replaced by ``<redacted>``."""
        text = json.dumps({"version": VERSION, "interactions": self.interactions}, indent=2, ensure_ascii=False)
        for secret in sorted(self.secrets | _environment_secrets(), key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(text + "\n", encoding="utf-8")
        os.replace(tmp, self.path)


def _environment_secrets() -> set[str]:
    names = (
        "CLOUDFLARE_API_TOKEN",
        "CF_API_TOKEN",
        "CLOUDFLARE_API_KEY",
        "CF_API_KEY",
        "FLAREBIND_REMOTE_PROXY_SECRET",
    )
    names += ("CLOUDFLARE_ACCESS_CLIENT_SECRET",)
    return {v for n in names if (v := os.environ.get(n)) and len(v) >= 8}


# ------------------------------------------------------------------------------------------------ transports
class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes protocol requests through to ``inner`` and writes each call and its answer to the cassette."""

    def __init__(self, cassette: Cassette, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.cassette = cassette
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith(CALL_PATH):
            return await self.inner.handle_async_request(request)
        sent = await request.aread()
        envelope, body = split_message(request.headers.get("content-type", ""), sent)
        response = await self.inner.handle_async_request(
            httpx.Request(request.method, request.url, headers=request.headers, content=sent)
        )
        try:
            received = await response.aread()
        finally:
            await response.aclose()
        ctype = response.headers.get("content-type", "")
        answer, answer_body = split_message(ctype, received)
        entry = {k: envelope[k] for k in ("binding", "calls", "extra") if isinstance(envelope, dict) and k in envelope}
        entry["body"] = _body_ref(body, self.cassette.path)
        self.cassette.record(
            entry,
            {
                "status": response.status_code,
                "content_type": ctype,
                "envelope": answer,
                "body": _body_ref(answer_body, self.cassette.path),
            },
        )
        return httpx.Response(response.status_code, headers={"content-type": ctype}, content=received)

    async def aclose(self) -> None:
        await self.inner.aclose()


class ReplayTransport(httpx.AsyncBaseTransport):
    """Answers protocol requests from a cassette; nothing leaves the process."""

    def __init__(self, cassette: Cassette, *, ordered: bool = True) -> None:
        self.cassette = cassette
        self.ordered = ordered
        self.used: set[int] = set()
        self.count = 0
        self._lock = threading.Lock()
        self._keys = [
            _key(i["request"], _body_digest(i["request"].get("body"), cassette.path)) for i in cassette.interactions
        ]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(INFO_PATH):
            bindings = {i["request"].get("binding"): "replay" for i in self.cassette.interactions}
            return httpx.Response(200, json={"protocol": 1, "worker": "flarebind-replay", "bindings": bindings})
        if not request.url.path.endswith(CALL_PATH):
            return httpx.Response(404, json={"error": {"name": "FlarebindProtocolError", "message": "not replayed"}})
        envelope, body = split_message(request.headers.get("content-type", ""), await request.aread())
        live = {k: envelope[k] for k in ("binding", "calls", "extra") if isinstance(envelope, dict) and k in envelope}
        digest = None if body is None else hashlib.sha256(body).hexdigest()
        # the live request went through the codec, the recorded one through JSON: compare both as JSON
        key = _key(json.loads(json.dumps(live)), digest)
        with self._lock:
            self.count += 1
            index = self._match(key)
            if index is None:
                raise CassetteMismatch(self._mismatch(live, body, key))
            self.used.add(index)
        answer = self.cassette.interactions[index]["response"]
        data = join_message(
            answer["content_type"], answer.get("envelope"), _body_bytes(answer.get("body"), self.cassette.path)
        )
        return httpx.Response(answer["status"], headers={"content-type": answer["content_type"]}, content=data)

    def _match(self, key: str) -> int | None:
        unused = (i for i in range(len(self._keys)) if i not in self.used)
        if self.ordered:
            first = next(unused, None)
            return first if first is not None and self._keys[first] == key else None
        return next((i for i in unused if self._keys[i] == key), None)

    def _mismatch(self, live: dict[str, Any], body: bytes | None, key: str) -> str:
        call = describe_call({**live, "body": body})
        head = f"cassette {self.cassette.path}: call {self.count} of this replay, {call}, matches no recorded call"
        candidates = [i for i in range(len(self._keys)) if i not in self.used]
        if not candidates:
            return f"{head} (every recorded call was already replayed; record again with --flarebind-record)"
        nearest = max(candidates, key=lambda i: difflib.SequenceMatcher(None, key, self._keys[i]).ratio())
        lines = [head + "."]
        if self.ordered:
            lines.append(f"Next recorded call: {self._describe(candidates[0])}.")
        if not self.ordered or nearest != candidates[0]:
            lines.append(f"Nearest recorded call: {self._describe(nearest)}.")
        advice = "Record the cassette again if the Worker's calls changed"
        lines.append(advice + (", or replay with ordered=False if only their order did." if self.ordered else "."))
        return "\n".join(lines)

    def _describe(self, index: int) -> str:
        return f"{describe_call(self.cassette.interactions[index]['request'])} (interaction {index + 1})"


# ------------------------------------------------------------------------------------------------ activation
_ACTIVE: dict[str, httpx.AsyncBaseTransport] = {}


def transport_for(connection_string: str) -> httpx.AsyncBaseTransport | None:
    """The recording or replaying transport registered for a session's connection string, if any."""
    return _ACTIVE.get(str(connection_string).rstrip("/"))


def activate(connection_string: str, transport: httpx.AsyncBaseTransport) -> None:
    _ACTIVE[str(connection_string).rstrip("/")] = transport


def deactivate(connection_string: str) -> None:
    _ACTIVE.pop(str(connection_string).rstrip("/"), None)


class ReplaySession:
    """Stands where a remote proxy session would during replay: a connection string and nothing to start."""

    def __init__(self, cassette: Cassette, *, ordered: bool = True) -> None:
        import secrets

        self.cassette = cassette
        self.remote_proxy_connection_string = f"{REPLAY_BASE}/{secrets.token_hex(8)}"
        self.transport = ReplayTransport(cassette, ordered=ordered)
        activate(self.remote_proxy_connection_string, self.transport)

    @property
    def ready(self) -> Any:
        import asyncio

        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    async def update_bindings(self, bindings: Any) -> None:
        return None  # nothing remote to re-provision: the cassette answers whatever binding names it recorded

    async def dispose(self) -> None:
        deactivate(self.remote_proxy_connection_string)


def replay_ordered() -> bool:
    """Whether replay insists on the recorded order: ``FLAREBIND_REPLAY_ORDER=any`` lifts it."""
    order = os.environ.get(ORDER_ENV, "recorded")
    if order not in ("recorded", "any"):
        raise CassetteError(f'{ORDER_ENV} must be "recorded" or "any", not {order!r}')
    return order == "recorded"


def cassette_mode(record: str | Path | None = None, replay: str | Path | None = None) -> tuple[str, Path] | None:
    """``("record" | "replay", path)`` from the arguments, else ``FLAREBIND_RECORD`` / ``FLAREBIND_REPLAY``."""
    if record and replay:
        raise CassetteError("record and replay are exclusive: give one cassette")
    record = record or (None if replay else os.environ.get(RECORD_ENV))
    replay = replay or (None if record else os.environ.get(REPLAY_ENV))
    if record and replay:
        raise CassetteError(f"{RECORD_ENV} and {REPLAY_ENV} are both set: give one cassette")
    if record:
        return "record", Path(record)
    if replay:
        return "replay", Path(replay)
    return None


def recording_secrets(session: Any) -> Iterable[str]:
    """The strings a recorded session must never write: the relay's secret path segment, the proxy secret."""
    connection = str(getattr(session, "remote_proxy_connection_string", "") or "")
    yield from (part for part in connection.split("/") if len(part) >= 16)
    upstream = getattr(getattr(session, "relay", None), "upstream", None)
    for value in (getattr(upstream, "headers", None) or {}).values():
        yield str(value)
