"""``flarebind dev``: serve a Worker over HTTP with uvicorn and reload it when its code or config changes.

Reloads keep local state (the bindings' files stay; unchanged bindings even keep their objects). A broken edit prints
the error and the last good version keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import click

from flarebind.config.diagnostics import ConfigError
from flarebind.errors import FlarebindError
from flarebind.runtime.asgi_app import RuntimeApp
from flarebind.runtime.durable_objects.migrations import DurableObjectConfigError
from flarebind.runtime.loader import WorkerLoadError
from flarebind.runtime.runtime import Runtime, runtime_options_for

CONFIG_SIDE_FILES = (".dev.vars", ".env")
IGNORED_DIRS = {".wrangler", "__pycache__", ".venv", "node_modules", ".git", ".venv-workers"}


def _echo(text: str, err: bool = False) -> None:
    click.echo(text, err=err)


def _make_server(app: Any, host: str, port: int, on_started: Callable[[], None], *, ws_compression: bool = True) -> Any:
    import uvicorn

    from flarebind.runtime.http_limits import limited_protocol_class

    class DevUvicorn(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:
                on_started()

        @contextlib.contextmanager
        def capture_signals(self) -> Generator[None, None, None]:
            # like uvicorn's, but without re-raising the signal afterwards: Ctrl+C is a clean exit 0 for dev
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            handled = (signal.SIGINT, signal.SIGTERM)
            original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
            try:
                yield
            finally:
                for sig, handler in original.items():
                    signal.signal(sig, handler)

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        loop="none",
        http=limited_protocol_class(),  # httptools with Cloudflare's head limits and a head read timeout
        ws=_websocket_protocol(),  # WebSocket upgrades (the websockets library, imported on first use)
        # workerd negotiates permessage-deflate from 2023-08-15 (web_socket_compression) unless
        # no_web_socket_compression is set; before that date it refuses every offer
        ws_per_message_deflate=ws_compression,
        timeout_graceful_shutdown=2,
        server_header=False,
        proxy_headers=False,  # no proxy in front of a dev server; skips a middleware per request
    )
    return DevUvicorn(config)


def _websocket_protocol() -> Any:
    from flarebind.runtime.websockets.asgi import LazyWebSocketProtocol

    return LazyWebSocketProtocol


class DevError(click.ClickException):
    """Printed as wrangler prints errors (``✘ [ERROR] …``), exit code 1."""

    def show(self, file: Any = None) -> None:
        from flarebind.output import error

        error(self.message)


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind the listening socket up front, so a taken port is a clear error (Miniflare's words) before serving."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not 0: accepted sockets inherit it, and asyncio sets TCP_NODELAY only on sockets whose proto
    # says TCP. Without it a response's body waited ~40 ms behind its head (Nagle + the client's delayed ACK) on
    # every keep-alive request after the first.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise DevError(
                f"Address already in use ({host}:{port}). Please check that you are not already running a server "
                "on this address or specify a different port with --port."
            ) from None
        raise DevError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


class DevServer:
    """One ``flarebind dev`` session: the runtime, the HTTP server and the file watchers."""

    def __init__(
        self,
        config: Any,
        *,
        env: str | None = None,
        ip: str = "127.0.0.1",
        port: int = 8787,
        persist_to: str | None = None,
        local: bool = False,
        vars: dict[str, str] | None = None,
        test_scheduled: bool = False,
        inspect: bool = False,
        show_table: Callable[[Any], None] | None = None,
        watch: bool = True,
        allow_production_remote: bool = False,
        others: list[Any] | None = None,
    ) -> None:
        self.config = config
        self.others = list(others or [])  # configs of the other Workers (-c a -c b); the first is `config`
        self.other_runtimes: list[Runtime] = []
        self.env = env
        self.ip = ip
        self.port = port
        self.persist_to = persist_to
        self.local = local
        self.vars = vars or {}
        self.test_scheduled = test_scheduled
        self.inspect = inspect
        self.show_table = show_table or (lambda config: None)
        self.watch = watch
        self.allow_production_remote = allow_production_remote
        self.runtime: Runtime | None = None
        self._stop = asyncio.Event()
        self._url = ""

    def _runtime_options(self, config: Any) -> dict[str, Any]:
        return runtime_options_for(config, persist_to=self.persist_to, local=self.local, vars=self.vars)

    async def run(self) -> None:
        listener = bind_socket(self.ip, self.port)
        try:
            runtime = Runtime(**self._runtime_options(self.config))
        except DurableObjectConfigError as exc:  # e.g. [[migrations]] that cannot apply: an error, not a traceback
            listener.close()
            raise DevError(str(exc)) from None
        runtime.config = self.config
        runtime.tolerate_load_errors = True
        runtime.inspect = self.inspect
        self.runtime = runtime
        try:
            try:
                await self._start_others(runtime)
                await runtime.ready
            except FlarebindError as exc:
                # e.g. a remote binding without credentials: one error line, not a traceback
                raise DevError(str(exc)) from None
            if runtime.load_error is not None:
                _echo(f"✘ [ERROR] {runtime.load_error}\n", err=True)
            app = RuntimeApp(runtime, test_scheduled=self.test_scheduled)
            url_host = f"[{self.ip}]" if ":" in self.ip else self.ip
            self._url = f"http://{url_host}:{self.port}"

            def started() -> None:
                self._announce()
                if runtime.worker is None and not runtime.assets_only:
                    # not "Ready": the Worker failed to import; every request gets the error page until an edit
                    # fixes it (reload_code then prints "Ready on")
                    _echo(f"✘ The Worker failed to load; serving its error on {self._url} until it is fixed")
                else:
                    _echo(f"Ready on {self._url}")

            server = _make_server(
                app, self.ip, self.port, started, ws_compression=runtime.compat.enabled("web_socket_compression")
            )
            watchers = (
                [
                    asyncio.ensure_future(self._watch_code()),
                    asyncio.ensure_future(self._watch_config()),
                    asyncio.ensure_future(self._watch_binding_files()),
                ]
                if self.watch
                else []
            ) + [asyncio.ensure_future(self._heartbeat())]
            for task in watchers:
                task.add_done_callback(_report_watcher_failure)
            # each watcher sets up its OS watches synchronously in its first step: let them take it before
            # "Ready" is printed, or an edit made right after it could go unseen
            for _ in range(3):
                await asyncio.sleep(0)
            try:
                await server.serve(sockets=[listener])
            finally:
                self._stop.set()
                for task in watchers:
                    task.cancel()
                await asyncio.gather(*watchers, return_exceptions=True)
        finally:
            listener.close()
            await runtime.dispose()
            await self._stop_others()

    # -- several Workers ------------------------------------------------------------------------------------------

    async def _start_others(self, primary: Runtime) -> None:
        """Register every Worker by name for service bindings and start the non-primary ones (their own bindings
        and state folder)."""
        from flarebind.runtime.services.registry import register_worker

        if self.config.name:
            register_worker(self.config.name, primary)
        for config in self.others:
            other = Runtime(**self._runtime_options(config))
            other.config = config
            other.tolerate_load_errors = True
            self.other_runtimes.append(other)
            if config.name:
                register_worker(config.name, other)
        for other in self.other_runtimes:
            await other.ready
            if other.load_error is not None:
                _echo(f"✘ [ERROR] {other.load_error}\n", err=True)

    def _worker_names(self) -> list[str]:
        return [c.name for c in [self.config, *self.others] if c is not None and c.name]

    def _announce(self) -> None:
        """Put this session's Workers in the dev registry, for service bindings from other flarebind dev processes."""
        from flarebind.runtime.services import devregistry

        host = "127.0.0.1" if self.ip in ("0.0.0.0", "::", "") else self.ip
        for name in self._worker_names():
            try:
                announced = devregistry.announce(name, host, self.port)
            except OSError as exc:  # an unwritable registry folder must not stop the dev server
                _echo(f"▲ [WARNING] could not write the dev registry ({exc}); other dev sessions won't see {name!r}")
                continue
            if not announced:
                _echo(f"▲ [WARNING] Worker {name!r} is already registered by another running dev session", err=True)

    async def _heartbeat(self) -> None:
        from flarebind.runtime.services import devregistry

        while True:
            await asyncio.sleep(devregistry.REFRESH_SECONDS)
            with contextlib.suppress(OSError):
                devregistry.touch(self._worker_names())

    async def _stop_others(self) -> None:
        from flarebind.runtime.services import devregistry
        from flarebind.runtime.services.registry import unregister_worker

        for name in self._worker_names():
            with contextlib.suppress(OSError):
                devregistry.withdraw(name)

        for other in self.other_runtimes:
            await other.dispose()
            if other.config is not None and other.config.name:
                unregister_worker(other.config.name, other)
        if self.config.name:
            unregister_worker(self.config.name, self.runtime)

    # -- reload ---------------------------------------------------------------------------------------------------

    def reload_code(self, changed: list[str]) -> None:
        assert self.runtime is not None
        started = time.perf_counter()
        names = ", ".join(sorted({Path(p).name for p in changed}))
        runtime = self._runtime_for(changed)
        was_broken = runtime.worker is None
        try:
            runtime.reload()
        except WorkerLoadError as exc:
            keep = "the last good version keeps serving" if runtime.worker is not None else "fix it to serve"
            _echo(f"✘ [ERROR] {exc}\n\n({names} changed; {keep})\n", err=True)
            return
        _echo(f"⎔ Reloaded {names} ({(time.perf_counter() - started) * 1000:.0f}ms)")
        if was_broken and runtime.worker is not None:
            _echo(f"Ready on {self._url}")

    async def reload_config(self) -> None:
        from flarebind.config.read import load_config
        from flarebind.output import print_diagnostics

        assert self.runtime is not None
        config, diagnostics = load_config(self.config.path, self.env)
        allow = self.allow_production_remote
        guard = [] if config is None else config.production_refusal(local=self.local, allow=allow)
        if config is None or guard or any(d.is_error for d in diagnostics):
            print_diagnostics(diagnostics + guard, self.config.path)
            _echo("(configuration has errors; the previous configuration keeps serving)\n", err=True)
            return
        if diagnostics:
            print_diagnostics(diagnostics, config.path)
        try:
            options = self._runtime_options(config)
            options.pop("local", None)
            self.config = config
            self.runtime.config = config
            await self.runtime.set_options(**options)
        except WorkerLoadError as exc:
            _echo(f"✘ [ERROR] {exc}\n", err=True)
            return
        except Exception as exc:  # a binding that cannot be built with the new settings
            _echo(f"✘ [ERROR] {type(exc).__name__}: {exc}\n", err=True)
            return
        _echo("⎔ Configuration changed; reloaded")
        self.show_table(config)

    def _runtime_for(self, changed: list[str]) -> Runtime:
        """The Worker whose source folder holds the changed files (the primary unless another one's does)."""
        assert self.runtime is not None
        for other in self.other_runtimes:
            root = other.main.parent
            if any(root in Path(p).resolve().parents for p in changed):
                return other
        return self.runtime

    def _code_roots(self) -> list[Path]:
        assert self.runtime is not None
        return [self.runtime.main.parent, *(other.main.parent for other in self.other_runtimes)]

    def _config_files(self) -> set[Path]:
        directory = Path(self.config.dir)
        files = {Path(self.config.path).resolve()}
        for name in CONFIG_SIDE_FILES:
            files.add((directory / name).resolve())
            if self.env:
                files.add((directory / f"{name}.{self.env}").resolve())
        return files

    async def _watch_code(self) -> None:
        from watchfiles import Change

        from flarebind.runtime.watch import FileWatcher

        def only_python(change: Change, path: str) -> bool:
            p = Path(path)
            return p.suffix == ".py" and not (IGNORED_DIRS & set(p.parts))

        watcher = FileWatcher(*self._code_roots(), watch_filter=only_python, step_ms=20)  # watching from here on
        async for changes in watcher.changes(self._stop):
            by_worker: dict[int, list[str]] = {}  # with several Workers, each reloads for its own files
            for _, path in changes:
                by_worker.setdefault(id(self._runtime_for([path])), []).append(path)
            for paths in by_worker.values():
                self.reload_code(paths)

    async def _watch_config(self) -> None:
        from flarebind.runtime.watch import FileWatcher

        files = self._config_files()
        watcher = FileWatcher(
            Path(self.config.dir),
            watch_filter=lambda c, p: Path(p).resolve() in files,
            recursive=False,
            step_ms=20,
        )
        async for changes in watcher.changes(self._stop):
            if changes:
                await self.reload_config()

    async def _watch_binding_files(self) -> None:
        # files bindings declare (BindingType.path_fields): an edit rebuilds only the bindings that read it
        from flarebind.runtime.watch import FileWatcher

        assert self.runtime is not None
        files = self.runtime.watched_files()
        if not files:
            return
        watcher = FileWatcher(
            *sorted({p.parent for p in files}),
            watch_filter=lambda c, p: Path(p).resolve() in files,
            recursive=False,
            step_ms=20,
        )
        async for changes in watcher.changes(self._stop):
            files = self.runtime.watched_files()
            names = sorted({n for _, p in changes for n in files.get(Path(p).resolve(), [])})
            if not names:
                continue
            try:
                await self.runtime.rebuild_bindings(names)
            except Exception as exc:  # a plugin that cannot read the edited file: the previous binding is gone
                _echo(f"✘ [ERROR] {type(exc).__name__}: {exc}\n", err=True)
                continue
            _echo(f"⎔ Reloaded binding{'s' if len(names) > 1 else ''} {', '.join(names)} (a file it reads changed)")


def _report_watcher_failure(task: asyncio.Future[Any]) -> None:
    if task.cancelled() or task.exception() is None:
        return
    exc = task.exception()
    _echo(f"✘ [ERROR] file watching stopped ({type(exc).__name__}: {exc}); restart to pick up changes\n", err=True)


def _use_fast_loop() -> None:
    # The dev server runs on a WebLoop: handlers may call run_until_complete / asyncio.run re-entrantly, as Pyodide
    # allows (Cloudflare's SDK tests run pytest inside fetch). FLAREBIND_UVLOOP=1 trades that for uvloop's speed
    # (libuv roughly halves the server's per-request cost); libuv cannot be re-entered.
    if os.environ.get("FLAREBIND_UVLOOP") == "1":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
            return
    from flarebind.runtime.sdk.webloop import WebLoopPolicy

    asyncio.set_event_loop_policy(WebLoopPolicy())


def run_dev_server(server: DevServer) -> None:
    _use_fast_loop()
    try:
        asyncio.run(server.run())
    except KeyboardInterrupt:
        pass
    except ConfigError as exc:  # found while starting, e.g. queues.consumers checked by the queue broker
        from flarebind.output import print_diagnostics

        print_diagnostics(exc.diagnostics, exc.file)
        sys.stdout.flush()
        raise SystemExit(1) from None
    sys.stdout.flush()
