"""Shared helpers for the reliability suite: seeding, servers on free ports, a TCP proxy.

Nothing here sleeps to synchronise: servers are awaited with readiness polls on
``/healthz`` and the proxy hands its port back once it listens.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import add_manager, application_body, to_loan

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], bool], *, timeout: float = 30.0, what: str = "condition") -> None:
    """Poll ``predicate`` (a readiness check, not a fixed sleep) until it is true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def answers(url: str, expect: int = 200) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=1.0).status_code == expect
        except httpx.HTTPError:
            return False

    return check


@contextlib.contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[str]:
    """Run ``app`` on a real uvicorn server on a free localhost port; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False,
                            lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: server.started, what="uvicorn to start")
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class ServerProcess:
    """``loans serve`` as a subprocess (so it can be SIGKILLed) with its own environment."""

    def __init__(self, database_url: str, *, log_path: Path, extra_env: dict[str, str] | None = None) -> None:
        self.database_url = database_url
        self.log_path = log_path
        self.extra_env = extra_env or {}
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout: float = 60.0) -> None:
        env = {**os.environ, "LOANS_DATABASE_URL": self.database_url, "LOANS_DB_POOL_SIZE": "10",
               **self.extra_env}
        loans = Path(sys.executable).with_name("loans")
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(loans), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.log_path.parent,
            )
        wait_until(lambda: self._alive() and answers(self.base + "/healthz")(), timeout=timeout,
                   what=f"loans serve on {self.base}")

    def _alive(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"server exited with {self.proc.returncode}: {self.log_path.read_text()[-2000:]}")
        return True

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


class TcpProxy:
    """A localhost TCP forwarder whose outage (stop) and return (start) we control.

    ``stop`` closes the listener and every open connection, as if the database host
    went away; ``start`` listens again on the same port.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()

    def start(self) -> None:
        self._stop.clear()
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise AssertionError("proxy did not start")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        sel = selectors.DefaultSelector()
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.setblocking(False)
        sel.register(listener, selectors.EVENT_READ, None)
        peers: dict[socket.socket, socket.socket] = {}
        self._ready.set()
        try:
            while not self._stop.is_set():
                for key, _ in sel.select(timeout=0.05):
                    sock: socket.socket = key.fileobj  # type: ignore[assignment]
                    if sock is listener:
                        client, _ = listener.accept()
                        try:
                            upstream = socket.create_connection(self.target, timeout=3)
                        except OSError:
                            client.close()
                            continue
                        for s in (client, upstream):
                            s.setblocking(False)
                            sel.register(s, selectors.EVENT_READ, None)
                        peers[client], peers[upstream] = upstream, client
                        continue
                    other = peers.get(sock)
                    try:
                        data = sock.recv(65536)
                    except OSError:
                        data = b""
                    if not data or other is None:
                        self._close_pair(sel, peers, sock)
                        continue
                    try:
                        other.setblocking(True)
                        other.sendall(data)
                        other.setblocking(False)
                    except OSError:
                        self._close_pair(sel, peers, sock)
        finally:
            for s in list(peers):
                self._close_pair(sel, peers, s)
            sel.unregister(listener)
            listener.close()
            sel.close()

    @staticmethod
    def _close_pair(sel: selectors.BaseSelector, peers: dict[socket.socket, socket.socket],
                    sock: socket.socket) -> None:
        other = peers.pop(sock, None)
        for s in (sock, other):
            if s is None:
                continue
            peers.pop(s, None)
            with contextlib.suppress(KeyError, ValueError):
                sel.unregister(s)
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


def filer_body(scope: str, manager: str, **kw: Any) -> dict[str, Any]:
    """An application a key of ``scope`` may file: consumer in a branch, POS at a partner."""
    if scope.startswith("P"):
        kw = {"product": "pos_installment", "amount": "50000", "term": 12} | kw
    return application_body(manager, **kw)


def seed_world(client: TestClient, admin: dict[str, str], risk: dict[str, str],
               filers: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Managers for B01/B02/P01/P02 and, per filer scope, one application and one loan.

    ``filers`` maps a scope label ("B01", "P01", ...) to that scope's key. Returns ids per
    scope: ``{"B01": {"manager": ..., "application": ..., "loan": ...}, ...}``.
    """
    out: dict[str, Any] = {}
    for n, (scope, headers) in enumerate(sorted(filers.items())):
        manager = f"M-{scope}"
        kw = {"branch": scope} if scope.startswith("B") else {"partner": scope}
        add_manager(client, admin, manager, **kw)
        passport = f"45{n:02d} 6543{n:02d}"
        loan = to_loan(client, headers, risk, filer_body(scope, manager, passport=passport))
        pending = client.post("/v1/applications", headers=headers,
                              json=filer_body(scope, manager, passport=passport))
        assert pending.status_code == 201, pending.text
        out[scope] = {"manager": manager, "application": loan["application_id"], "loan": loan["id"],
                      "pending_application": pending.json()["id"]}
    return out


def seed_states(client: TestClient, filer: dict[str, str], *, scope: str,
                manager: str, other: dict[str, str], other_scope: str, other_manager: str) -> dict[str, int]:
    """One application of ``scope`` in every state a state-changing operation starts from.

    Returns ids by state: ``documents_required`` (filed without its income statement),
    ``referred`` (its passport filed through ``other`` first, a fraud referral),
    ``approved``, ``contract_issued`` and ``signed``. Needs the managers to exist (seed_world).
    """
    def file(body: dict[str, Any], headers: dict[str, str] = filer) -> dict[str, Any]:
        r = client.post("/v1/applications", headers=headers, json=body)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    out: dict[str, int] = {}
    incomplete = file(filer_body(scope, manager, passport="4601 100001", complete=False))
    assert incomplete["status"] == "documents_required", incomplete
    out["documents_required"] = incomplete["id"]
    file(filer_body(other_scope, other_manager, passport="4601 100002"), other)
    referred = file(filer_body(scope, manager, passport="4601 100002"))
    assert referred["status"] == "referred", referred
    out["referred"] = referred["id"]
    for n, state in enumerate(("approved", "contract_issued", "signed")):
        app = file(filer_body(scope, manager, passport=f"4601 20000{n}"))
        assert app["status"] == "approved", app
        for step in ("contract", "sign")[: n]:
            r = client.post(f"/v1/applications/{app['id']}/{step}", headers=filer)
            assert r.status_code == 200, r.text
        out[state] = app["id"]
    return out


class ErrorLog(logging.Handler):
    """Keeps the ``app.errors`` records that carry an exception (every 500 logs one)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.summaries: list[str] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        # summarised at once: by the time the response is read the exception's
        # __traceback__ may have been cleared by the framework
        if record.exc_info and record.exc_info[1] is not None:
            summary = exception_summary(record.exc_info[1], record.exc_info[2])
            with self._lock:
                self.summaries.append(summary)


def exception_summary(exc: BaseException, tb: TracebackType | None = None) -> str:
    """``Type: message`` of an exception and its causes, with the innermost project frame."""
    parts = []
    seen: BaseException | None = exc
    while seen is not None and len(parts) < 3:
        lines = [line.strip() for line in str(seen).strip().splitlines() if line.strip()]
        # pydantic's "For further information visit ..." lines say nothing about the case
        lines = [line for line in lines[:5] if not line.startswith(("For further", "(Background on", "[parameters:"))]
        # a database error's statement: its start says which table; the parameters stay out
        lines = [line[:90] + " ...]" if line.startswith("[SQL:") and len(line) > 90 else line for line in lines]
        message = " | ".join(lines)[:400]
        parts.append(f"{type(seen).__module__}.{type(seen).__qualname__}: {message}")
        seen = seen.__cause__ or seen.__context__
    where = ""
    for frame in traceback.extract_tb(tb or exc.__traceback__):
        rel = frame.filename.replace(str(REPO) + "/", "")
        if rel.startswith(("app/", "schemas/", "scoring/")):
            where = f" at {rel}:{frame.lineno} in {frame.name}"
    return " <- ".join(parts) + where
