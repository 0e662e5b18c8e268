"""Several node processes on one port and one store (``cerkit node serve --workers N``).

One Python process signs, checks and answers under one interpreter lock, so it uses one core
at most (docs/node.md, Performance). Workers are replicas on one machine: each is a full node
process (its own tree, rebuilt from the store, extended by what the others append, as for
replicas on one PostgreSQL database), and they share the store, the key and the saved
checkpoint file, which are built for several writers (``BEGIN IMMEDIATE`` on SQLite, an
exclusive lock around the checkpoint file).

The supervisor binds the port and forks the workers before it opens anything else. Each
worker listens on a socket of its own bound to the same port with ``SO_REUSEPORT``, so the
kernel spreads connections evenly over them; the supervisor's own socket holds the port but
never listens, so no connection waits on it. ``SIGTERM`` or ``SIGINT`` to the supervisor
stops every worker gracefully (each drains its queue); a worker that dies on its own stops
the others, and the supervisor exits with an error for the service manager to restart it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from collections.abc import Callable
from types import FrameType
from typing import Final

from cerkit.errors import OperationalError, Reason, UsageError

#: Exit status of the supervisor when a worker stopped on its own.
WORKER_DIED: Final[int] = 70  # EX_SOFTWARE
_BACKLOG: Final[int] = 2048


def listening_socket(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A socket bound to ``(host, port)`` and listening (``port`` 0: any free port)."""
    sock = _bound(host, port, reuse_port)
    sock.listen(_BACKLOG)  # queue early connections while the app starts
    return sock


def _bound(host: str, port: int, reuse_port: bool) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OperationalError(
            f"cannot bind {host}:{port}: {exc.strerror or exc}", Reason.IO_ERROR
        ) from None
    return sock


def check_workers(workers: int) -> None:
    """Refuse a worker count this platform or this value cannot give."""
    if workers < 1:
        raise UsageError(f"--workers must be at least 1, not {workers}")
    if workers > 1 and not (hasattr(os, "fork") and hasattr(socket, "SO_REUSEPORT")):
        raise UsageError("--workers above 1 needs fork() and SO_REUSEPORT (Linux, macOS, BSD)")


#: ``worker(number, listen)``: build the node, then call ``listen()`` for its socket once
#: ready to serve, and serve on it until stopped.
Worker = Callable[[int, Callable[[], socket.socket]], None]


def run_workers(
    host: str, port: int, workers: int, worker: Worker
) -> tuple[int, Callable[[], int]]:
    """Hold ``(host, port)`` and fork ``workers`` processes, each running ``worker``; return
    the bound port once every worker listens, and a function that waits for the workers and
    returns the supervisor's exit status.

    Raises:
        OperationalError: the port cannot be bound, or a worker stopped before it listened
            (the others are stopped).
    """
    holder = _bound(host, port, reuse_port=True)  # bound, never listening: holds the port
    bound = holder.getsockname()[1]
    pids: list[int] = []
    for number in range(workers):
        ready_read, ready_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker
            os.close(ready_read)
            holder.close()
            _worker_main(host, bound, number, ready_write, worker)
        os.close(ready_write)
        pids.append(pid)
        ready = os.read(ready_read, 1) == b"."  # empty: the worker stopped before listening
        os.close(ready_read)
        if not ready:
            _stop(pids)
            _reap(pids)
            holder.close()
            raise OperationalError(f"node worker {number} stopped before it listened")
    return bound, lambda: _supervise(pids, holder)


def _worker_main(host: str, port: int, number: int, ready: int, worker: Worker) -> None:
    """A worker's whole life: build, listen, say so, serve, exit (never return to the caller)."""

    def listen() -> socket.socket:
        sock = listening_socket(host, port, reuse_port=True)
        os.write(ready, b".")
        os.close(ready)
        return sock

    status = 0
    try:
        worker(number, listen)
    except KeyboardInterrupt:  # SIGINT (Ctrl-C) re-raised by uvicorn after its shutdown
        pass
    except OperationalError as exc:
        print(f"cerkit node worker {number}: {exc.reason}: {exc.message}", file=sys.stderr)
        status = 1
    except BaseException as exc:  # a worker must never unwind into the supervisor's code
        print(f"cerkit node worker {number}: {type(exc).__name__}: {exc}", file=sys.stderr)
        status = 1
    finally:
        sys.stderr.flush()
        sys.stdout.flush()
    os._exit(status)


def _supervise(pids: list[int], holder: socket.socket) -> int:
    """Wait for the workers: a signal stops them all; so does any one stopping first."""
    stopping = False

    def forward(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        _stop(pids, signal.SIGTERM)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    status = 0
    try:
        alive = set(pids)
        while alive:
            try:
                pid, code = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            alive.discard(pid)
            if not stopping:
                stopping = True
                print(
                    f"cerkit node: worker {pid} stopped ({_describe(code)}); stopping the others",
                    file=sys.stderr,
                    flush=True,
                )
                status = WORKER_DIED
                _stop(list(alive), signal.SIGTERM)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        holder.close()
    return status


def _describe(code: int) -> str:
    if os.WIFSIGNALED(code):
        return f"killed by signal {os.WTERMSIG(code)}"
    return f"exit status {os.waitstatus_to_exitcode(code)}"


def _stop(pids: list[int], signum: int = signal.SIGTERM) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def _reap(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
