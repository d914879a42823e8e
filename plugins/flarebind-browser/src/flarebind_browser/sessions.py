"""Browser sessions on local Chromium: acquire, keep-alive, limits, history, and the DevTools bridge.

A session is one Chromium process (see :mod:`flarebind_browser.chrome`). As on Cloudflare, a session closes when
``Browser.close`` is sent, or after ``keep_alive`` milliseconds without a DevTools message (default 60 s, at most
10 minutes); closed sessions go to the history. At most ``max_sessions`` run at once (Miniflare's 6 unless
``FLAREBIND_BROWSER_MAX_SESSIONS`` says otherwise): a local machine, not Cloudflare's fleet, runs them.

The DevTools connection ``/v1/connectDevtools`` hands out speaks the binding's legacy framing: every message is
prefixed by its length as a 4-byte little-endian integer, and the client's ``"ping"`` messages keep it alive.
"""

from __future__ import annotations

import asyncio
import json
import os
import struct
import time
import uuid
from typing import Any

from flarebind_browser.chrome import ChromeProcess, launch_chrome

DEFAULT_KEEP_ALIVE_MS = 60_000
MAX_KEEP_ALIVE_MS = 600_000
DEFAULT_MAX_SESSIONS = 6
HISTORY_LENGTH = 100
IDLE_CHECK_SECONDS = 1.0


class TooManySessions(Exception):
    """Acquiring would exceed the concurrent-session limit."""


class Session:
    def __init__(self, chrome: ChromeProcess, keep_alive_ms: int) -> None:
        self.id = str(uuid.uuid4())
        self.chrome = chrome
        self.keep_alive_ms = keep_alive_ms
        self.start_time = int(time.time() * 1000)
        self.last_activity = time.monotonic()
        self.connection_id: str | None = None
        self.connection_start: int | None = None
        self.socket: DevtoolsSocket | None = None
        self.closing = False

    def info(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sessionId": self.id, "startTime": self.start_time}
        if self.connection_id is not None:
            out["connectionId"] = self.connection_id
            out["connectionStartTime"] = self.connection_start
        return out

    def touch(self) -> None:
        self.last_activity = time.monotonic()


class SessionManager:
    """The sessions of one local context (all Browser bindings of a runtime share the limit, as an account does)."""

    def __init__(self, binding: str = "BROWSER", max_sessions: int | None = None) -> None:
        self.binding = binding
        env_limit = os.environ.get("FLAREBIND_BROWSER_MAX_SESSIONS")
        self.max_sessions = max_sessions or (int(env_limit) if env_limit else DEFAULT_MAX_SESSIONS)
        self.sessions: dict[str, Session] = {}
        self.history: list[dict[str, Any]] = []
        self._launching = 0
        self._idle_task: asyncio.Task[None] | None = None
        self._closed = False

    # -- acquire / close -----------------------------------------------------------------------------------------

    async def acquire(self, keep_alive_ms: int | None = None) -> Session:
        if self._closed:
            raise RuntimeError("the Browser binding was disposed")
        if len(self.sessions) + self._launching >= self.max_sessions:
            raise TooManySessions()
        keep = DEFAULT_KEEP_ALIVE_MS if keep_alive_ms is None else max(0, min(int(keep_alive_ms), MAX_KEEP_ALIVE_MS))
        self._launching += 1
        try:
            chrome = await launch_chrome(self.binding)
        finally:
            self._launching -= 1
        if self._closed:  # disposed while Chromium was starting: it must not outlive the runtime
            await asyncio.to_thread(chrome.stop)
            raise RuntimeError("the Browser binding was disposed")
        session = Session(chrome, keep or DEFAULT_KEEP_ALIVE_MS)
        self.sessions[session.id] = session
        self._ensure_idle_watch()
        return session

    async def close(self, session_id: str, reason: int = 1, text: str = "NormalClosure") -> bool:
        session = self.sessions.get(session_id)
        if session is None or session.closing:
            return False
        session.closing = True
        socket = session.socket
        session.socket = None
        if socket is not None:
            await socket.detach()
        await asyncio.to_thread(session.chrome.stop)
        # listed until the process tree is gone, so "no session" means "no Chromium"
        if self.sessions.pop(session_id, None) is None:
            return True
        self.history.insert(
            0,
            {
                "sessionId": session.id,
                "startTime": session.start_time,
                "endTime": int(time.time() * 1000),
                "closeReason": reason,
                "closeReasonText": text,
            },
        )
        del self.history[HISTORY_LENGTH:]
        return True

    async def aclose(self) -> None:
        """Close every session (dev exit, reload, dispose); no Chromium survives this."""
        self._closed = True
        task, self._idle_task = self._idle_task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        for session_id in list(self.sessions):
            await self.close(session_id, 1, "NormalClosure")

    async def close_all(self) -> None:
        """Close every session but keep the manager usable (a reload)."""
        for session_id in list(self.sessions):
            await self.close(session_id, 1, "NormalClosure")

    # -- queries -------------------------------------------------------------------------------------------------

    def active(self) -> list[dict[str, Any]]:
        self._reap_dead()
        return [s.info() for s in self.sessions.values()]

    def limits(self) -> dict[str, Any]:
        self._reap_dead()
        free = max(0, self.max_sessions - len(self.sessions) - self._launching)
        wait = 0
        if free == 0 and self.sessions:
            # the soonest an idle session can time out and free a slot
            now = time.monotonic()
            wait = max(
                0, min(int((s.last_activity + s.keep_alive_ms / 1000 - now) * 1000) for s in self.sessions.values())
            )
        return {
            "activeSessions": [{"id": s.id} for s in self.sessions.values()],
            "maxConcurrentSessions": self.max_sessions,
            "allowedBrowserAcquisitions": free,
            "timeUntilNextAllowedBrowserAcquisition": wait,
        }

    def _reap_dead(self) -> None:
        for session in list(self.sessions.values()):
            if not session.closing and not session.chrome.alive():
                # Chromium went away on its own (crash, killed): record it and clean up what is left
                self.sessions.pop(session.id, None)
                session.chrome.stop()
                self.history.insert(
                    0,
                    {
                        "sessionId": session.id,
                        "startTime": session.start_time,
                        "endTime": int(time.time() * 1000),
                        "closeReason": 2,
                        "closeReasonText": "BrowserClosed",
                    },
                )

    # -- keep-alive ----------------------------------------------------------------------------------------------

    def _ensure_idle_watch(self) -> None:
        if self._idle_task is None or self._idle_task.done():
            self._idle_task = asyncio.get_running_loop().create_task(self._watch_idle())

    async def _watch_idle(self) -> None:
        while self.sessions:
            await asyncio.sleep(IDLE_CHECK_SECONDS)
            now = time.monotonic()
            self._reap_dead()
            for session in list(self.sessions.values()):
                if now - session.last_activity > session.keep_alive_ms / 1000:
                    await self.close(session.id, 3, "BrowserIdle")

    # -- DevTools ------------------------------------------------------------------------------------------------

    async def connect(self, session_id: str) -> DevtoolsSocket:
        session = self.sessions.get(session_id)
        if session is None or not session.chrome.alive():
            raise KeyError(session_id)
        if session.socket is not None:
            raise ConnectionError("WebSocket already initialized")
        import websockets

        upstream = await websockets.connect(session.chrome.ws_endpoint, max_size=None, ping_interval=None)
        socket = DevtoolsSocket(self, session, upstream)
        session.socket = socket
        session.connection_id = str(uuid.uuid4())
        session.connection_start = int(time.time() * 1000)
        session.touch()
        return socket


def frame(payload: bytes) -> bytes:
    """The binding's legacy framing: 4-byte little-endian length, then the message."""
    return struct.pack("<I", len(payload)) + payload


def unframe(data: bytes) -> bytes:
    (length,) = struct.unpack("<I", data[:4])
    return data[4 : 4 + length]


class DevtoolsSocket:
    """The client end of ``/v1/connectDevtools``: a WebSocket-like object over the session's Chromium.

    ``await send(frame)`` / ``await receive()`` carry length-framed DevTools messages; ``"ping"`` only keeps the
    session alive; ``Browser.close`` ends the session (the process tree is stopped, not just asked to quit).
    """

    def __init__(self, manager: SessionManager, session: Session, upstream: Any) -> None:
        self._manager = manager
        self._session = session
        self._upstream = upstream
        self._closing: asyncio.Queue[bytes] = asyncio.Queue()
        self.session_id = session.id
        self.closed = False

    async def send(self, data: bytes | str) -> None:
        if self.closed:
            raise ConnectionError("WebSocket is closed")
        raw = data.encode() if isinstance(data, str) else bytes(data)
        self._session.touch()
        if raw == b"ping":
            return
        message = unframe(raw)
        try:
            command = json.loads(message)
        except ValueError:
            command = None
        if isinstance(command, dict) and command.get("method") == "Browser.close" and not command.get("sessionId"):
            # answer first (puppeteer waits for it), then stop the whole tree ourselves
            await self._closing.put(frame(json.dumps({"id": command.get("id"), "result": {}}).encode()))
            await self._manager.close(self._session.id, 1, "NormalClosure")
            return
        await self._upstream.send(message.decode("utf-8"))

    async def receive(self) -> bytes:
        """The next framed message from Chromium; raises ``ConnectionError`` once the connection is gone."""
        if not self._closing.empty():
            return self._closing.get_nowait()
        if self.closed:
            raise ConnectionError("WebSocket is closed")
        try:
            message = await self._upstream.recv()
        except Exception as exc:
            self.closed = True
            if not self._closing.empty():  # Browser.close: its answer, then the end
                return self._closing.get_nowait()
            raise ConnectionError("WebSocket is closed") from exc
        self._session.touch()
        return frame(message.encode("utf-8") if isinstance(message, str) else message)

    async def close(self) -> None:
        """Disconnect (puppeteer's ``disconnect()``): the session stays until its keep-alive runs out."""
        if self._session.socket is self:
            self._session.socket = None
            self._session.connection_id = None
            self._session.connection_start = None
        await self.detach()

    async def detach(self) -> None:
        self.closed = True
        try:
            await self._upstream.close()
        except Exception:
            pass
