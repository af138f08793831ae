"""Users' formulas read in worker processes, so that no formula can stall the server.

Reading a formula (``rmsprop_core.analyse_formula``: parse, check, build with sympy, differentiate,
evaluate once) runs sympy and big-number code that nothing in the process running it can
interrupt: in the server's own process, one formula could freeze every session. So the app reads
formulas here, in a small pool of worker processes started with the server (``app.py``):

- a worker (``python -m rmsprop_lab.formula_pool``) imports sympy once, then answers one request
  at a time, as JSON lines over its stdin and stdout, and is reused between requests;
- each request may use ``MAX_SECONDS`` of the worker's CPU time: a profiling timer (SIGPROF) stops
  it there, and RLIMIT_CPU (SIGXCPU, whole seconds) a second later should that timer fail; its
  address space is capped at its start-up size plus ``MEMORY_BYTES`` (Linux: read from /proc);
- a request goes to a worker that has finished starting when there is one;
- a worker that dies, runs out of memory or does not answer within ``WAIT_SECONDS`` of wall-clock
  time (a backstop only for one that hangs or is never scheduled) is killed, reaped and replaced,
  and the caller gets a :class:`FormulaError` naming the problem;
- meanwhile the caller's thread only waits on a pipe: the server's event loop and every other
  session keep running.

The answer is plain data (a ``FormulaAnalysis``); the caller builds the NumPy functions from it.
POSIX only (resource limits, signals, pipes in ``select``); the Docker image runs Linux.
"""

from __future__ import annotations

import atexit
import importlib
import json
import math
import os
import resource
import select
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from rmsprop_core.formula import (
    MAX_SECONDS,
    TOO_LARGE,
    TOO_LONG,
    FormulaAnalysis,
    FormulaError,
    checked_domain,
    checked_text,
)

WORKERS = 2
#: how far below the server's priority a worker runs: a formula's CPU time, and the workers' sympy
#: import as the server starts, yield to the pages' reruns (on two cores, the two workers' imports
#: and a first page view ran at once)
WORKER_NICENESS = 10
#: room for one formula's work above a worker's start-up size (sympy and NumPy loaded)
MEMORY_BYTES = 512 * 2**20
#: wall-clock backstop for a worker that hangs or is never scheduled; CPU time is the real limit
WAIT_SECONDS = 60.0
#: what a worker runs for each request, as "module:function"
JOB = "rmsprop_core.formula:analyse_formula"
_PACKAGES = str(Path(__file__).resolve().parent.parent)


class FormulaServiceBusy(FormulaError):
    """A formula left unread for a reason that may pass (a busy server, a worker that hung or did not
    start): no verdict on the formula, so not to be remembered as one."""


class _WorkerLost(Exception):
    """The worker stopped answering: it exited (``hung`` False) or the backstop ran out (True)."""

    def __init__(self, hung: bool):
        super().__init__("hung" if hung else "exited")
        self.hung = hung


class _Worker:
    """One worker process and the unread part of its replies."""

    def __init__(self, job: str):
        environment = {
            **os.environ,
            # one thread each: NumPy's thread pools would multiply the address space the cap counts
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGES, os.environ.get("PYTHONPATH")])),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-P", "-m", __name__, job],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=environment,
            bufsize=0,
            # its own session: a Ctrl-C meant for the server reaches the workers only as the server exits
            start_new_session=True,
        )
        self.ready = False
        self._unread = b""

    def has_started(self) -> bool:
        """Whether it has said it is ready (sympy imported), without waiting for it."""
        if not self.ready:
            try:
                self._reply(time.monotonic())  # what has arrived, without waiting
                self.ready = True
            except _WorkerLost:
                pass  # not yet; or it died, which the pool finds out when it uses it
        return self.ready

    @property
    def pid(self) -> int:
        return self.process.pid

    def ask(self, request: dict, deadline: float) -> dict:
        if not self.ready:
            self._reply(deadline)  # its "ready" line: sympy is imported
            self.ready = True
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
        except OSError:  # the pipe is broken: it has exited
            raise _WorkerLost(hung=False) from None
        return self._reply(deadline)

    def _reply(self, deadline: float) -> dict:
        """Its next reply, read as it arrives until ``deadline`` (time.monotonic)."""
        stream = self.process.stdout.fileno()
        while b"\n" not in self._unread:
            if not select.select([stream], [], [], max(deadline - time.monotonic(), 0))[0]:
                raise _WorkerLost(hung=True)
            chunk = os.read(stream, 1 << 16)
            if not chunk:
                raise _WorkerLost(hung=False)
            self._unread += chunk
        line, _, self._unread = self._unread.partition(b"\n")
        return json.loads(line)

    def stop(self) -> int:
        """Kill it if it still runs, reap it (no zombie is left) and return its exit status."""
        if self.process.poll() is None:
            self.process.kill()
        status = self.process.wait()
        self.process.stdin.close()
        self.process.stdout.close()
        return status


def _decoded(data: dict) -> FormulaAnalysis:
    def tree(node):
        return tuple(tree(part) if isinstance(part, list) else part for part in node)

    return FormulaAnalysis(
        title=data["title"],
        domain=tuple((float(low), float(high)) for low, high in data["domain"]),
        latex=data["latex"],
        value=tree(data["value"]),
        gradient=tuple(tree(part) for part in data["gradient"]),
        shared=tuple(tree(part) for part in data["shared"]),
    )


class FormulaPool:
    """``workers`` worker processes reading formulas with ``job`` (see the module's note)."""

    def __init__(self, workers: int = WORKERS, job: str = JOB):
        self.job = job
        self._lock = threading.Condition()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        for _ in range(workers):
            self._idle.append(self._started())

    def _started(self) -> _Worker:
        worker = _Worker(self.job)
        with self._lock:
            self._all.add(worker)
        return worker

    def _replaced(self, worker: _Worker) -> tuple[_Worker, int]:
        """A new worker in place of ``worker``, which is killed and reaped; and its exit status."""
        status = worker.stop()
        with self._lock:
            self._all.discard(worker)
        return self._started(), status

    def _taken(self) -> _Worker:
        """An idle worker, one that has started if any has; waits for one while all are busy."""
        with self._lock:
            if not self._lock.wait_for(lambda: self._idle, timeout=WAIT_SECONDS):
                raise FormulaServiceBusy("the server is busy reading other formulas; try again in a moment")
            worker = next((worker for worker in self._idle if worker.has_started()), self._idle[0])
            self._idle.remove(worker)
            return worker

    def _returned(self, worker: _Worker) -> None:
        with self._lock:
            self._idle.append(worker)
            self._lock.notify()

    def pids(self) -> list[int]:
        """The process ids of the workers, busy or idle."""
        with self._lock:
            return sorted(worker.pid for worker in self._all)

    def analyse(self, text: str, domain=None) -> FormulaAnalysis:
        """``analyse_formula(text, domain)``, run in a worker. Raises FormulaError saying what is wrong
        with the formula, or FormulaServiceBusy when it could not be read for now."""
        request = {"text": checked_text(text), "domain": checked_domain(domain)}
        worker = self._taken()
        try:
            if worker.process.poll() is not None:  # it died while idle (stopped from outside)
                worker, _ = self._replaced(worker)
            try:
                reply = worker.ask(request, time.monotonic() + WAIT_SECONDS)
            except _WorkerLost as lost:
                started = worker.ready
                worker, status = self._replaced(worker)
                raise _lost_error(lost, status, started) from None
            if reply.get("restart"):
                worker, _ = self._replaced(worker)
        finally:
            self._returned(worker)
        if "error" in reply:
            raise FormulaError(reply["error"])
        return _decoded(reply["analysis"])

    def close(self) -> None:
        """Stop every idle worker (a busy one exits when its request ends and the server has gone)."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._all.difference_update(idle)
        for worker in idle:
            worker.stop()


def _lost_error(lost: _WorkerLost, status: int, started: bool) -> FormulaError:
    if lost.hung:
        return FormulaServiceBusy(
            f"{TOO_LONG}: no answer within {WAIT_SECONDS:.0f} s (the server may be busy; try again)"
        )
    if not started:  # it stopped before it could take the request: nothing to say about the formula
        return FormulaServiceBusy("the formula reader could not start; try again in a moment")
    if status in (-signal.SIGPROF, -signal.SIGXCPU):
        return FormulaError(f"{TOO_LONG} (more than {MAX_SECONDS:g} s)")
    # killed past its memory cap (by the kernel, or aborted in C code on a failed allocation)
    return FormulaError(TOO_LARGE)


_shared: FormulaPool | None = None
_shared_lock = threading.Lock()


def shared() -> FormulaPool:
    """The server's pool, started by its first caller (app.py, as the server starts)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = FormulaPool()
            atexit.register(_shared.close)
        return _shared


# --- the worker's side ----------------------------------------------------------------------------


def _address_space() -> int | None:
    """This process's address space in bytes (Linux), or None where /proc does not tell."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _set_soft_limit(which: int, soft: int) -> None:
    _, hard = resource.getrlimit(which)
    resource.setrlimit(which, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def _lower_priority() -> None:
    """WORKER_NICENESS below the server. A worker leads a session of its own, and on Linux with
    scheduler autogroups (a new one per session) niceness ranks a process only within its group:
    the group's own niceness is what ranks it against the server."""
    os.nice(WORKER_NICENESS)
    try:
        with open("/proc/self/autogroup", "w") as autogroup:
            autogroup.write(str(WORKER_NICENESS))
    except OSError:  # no autogroups (other systems, or turned off): the process's niceness is the one
        pass


def serve(job_name: str) -> None:
    """A worker: answer requests from stdin with ``job_name`` until stdin closes."""
    _lower_priority()
    import sympy  # about a second of CPU, paid once here rather than by a request's budget

    module, _, function = job_name.partition(":")
    job = getattr(importlib.import_module(module), function)
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nothing else may write into the replies' pipe
    sys.stdout = sys.stderr
    for limit in (signal.SIGPROF, signal.SIGXCPU):
        signal.signal(limit, signal.SIG_DFL)  # past its CPU limit the kernel must stop it
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # and leave no core file behind
    baseline = _address_space()
    if baseline is not None:
        _set_soft_limit(resource.RLIMIT_AS, baseline + MEMORY_BYTES)

    def send(reply: dict) -> None:
        replies.write(json.dumps(reply).encode() + b"\n")

    send({"ready": True})
    for line in sys.stdin.buffer:
        request = json.loads(line)
        # the timer counts this process's CPU time to the tick; RLIMIT_CPU, in whole seconds, follows
        _set_soft_limit(resource.RLIMIT_CPU, math.ceil(_cpu_seconds() + MAX_SECONDS) + 1)
        signal.setitimer(signal.ITIMER_PROF, MAX_SECONDS)
        try:
            analysis = job(request["text"], request["domain"])
            reply = {
                "analysis": {
                    "title": analysis.title,
                    "domain": analysis.domain,
                    "latex": analysis.latex,
                    "value": analysis.value,
                    "gradient": analysis.gradient,
                    "shared": analysis.shared,
                }
            }
        except FormulaError as error:
            reply = {"error": str(error), "restart": isinstance(error.__cause__, MemoryError)}
        except MemoryError:
            reply = {"error": TOO_LARGE, "restart": True}
        except Exception:
            traceback.print_exc()  # a defect in the reader, for the server's log
            reply = {"error": "this formula could not be read (an internal error)", "restart": True}
        signal.setitimer(signal.ITIMER_PROF, 0)
        send(reply)
        if reply.get("restart"):
            return  # after a failed allocation or a defect, a fresh worker serves the next request
        sympy.core.cache.clear_cache()  # no request's memory outlives it


if __name__ == "__main__":
    serve(sys.argv[1] if len(sys.argv) > 1 else JOB)
