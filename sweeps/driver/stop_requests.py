"""Why a launcher stops before its sweep is over, and how it stops in bounded time.

Three things end a run early: Ctrl-C or SIGTERM (what Kubernetes sends), the Ray cluster going
away, and a full disk (sweeps.driver.disk_guard). Each asks for a stop once, with its reason
(sweeps.stop_reasons: the exit status) and the line to print; the first request wins. During Tune's run the request is passed to Tune, which
saves its state and stops the trials; before it, the main thread gets a KeyboardInterrupt.

The launcher installs the handlers (``install``). Python runs a signal handler only when the main
thread gets back to Python code, which a call blocked in Ray's C++ core may not do for minutes;
so the signal also wakes a watcher thread (``signal.set_wakeup_fd``), and whatever happens to the
main thread, the process ends ``GRACE_S[reason]`` seconds after the request with its status and
line. A second Ctrl-C ends it at once. A sweep run from Python (``stoppable_python_run``) stops
the same way on its first Ctrl-C, but its process is never ended from here.
"""

from __future__ import annotations

import _thread
import contextlib
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sweeps.runtime import ray_control
from sweeps.stop_reasons import CLUSTER, DISK_FULL, INTERRUPTED, StopReason

# Seconds from a request to the hard end of the process. An interrupt must end within 10 s of
# the signal. With the cluster gone Tune cannot stop cleanly (freeing a trial's resources waits on
# the GCS), so its state as last saved is what remains; a moment lets a stop in progress finish.
# A full disk leaves Tune time to save its state in the reserve the guard kept free.
GRACE_S = {INTERRUPTED.name: 8.0, CLUSTER.name: 3.0, DISK_FULL.name: 30.0}


@dataclass
class Request:
    reason: StopReason
    message: str


class _State:
    request: Request | None = None
    cleanups: list[Callable[[], None]] = []
    in_tune_run = False
    installed = False  # the launcher's handlers, for the whole process
    in_python_run = False  # a sweep run from Python (sweeps.run) in the main thread
    sweep_thread: threading.Thread = threading.main_thread()
    resume_hint = "continue with --resume"


def requested() -> Request | None:
    """The stop asked for in this process, if any."""
    return _State.request


def set_resume_hint(hint: str) -> None:
    """What the interrupted line tells the user to do (it names the sweep's folder)."""
    _State.resume_hint = hint


def interrupted_line() -> str:
    return f"interrupted: {_State.resume_hint}"


def reset() -> None:
    """Forget an earlier run's request and clean-ups (a process that runs several sweeps)."""
    _State.request = None
    _State.in_tune_run = False
    _State.cleanups = []
    _State.sweep_thread = threading.current_thread()
    ray_control.forget_tune_stop()


def add_cleanup(cleanup: Callable[[], None]) -> None:
    """Something to do before the process ends without Ray's shutdown (``end_now``)."""
    _State.cleanups.append(cleanup)


def end_now(status: int, line: str | None = None) -> None:
    """Print ``line``, run the clean-ups and end the process with ``status``."""
    try:
        if line:
            print(line, file=sys.stderr, flush=True)
        sys.stdout.flush()
        for cleanup in _State.cleanups:
            cleanup()
    finally:
        os._exit(status)


class tune_run:
    """The span of ``Tuner.fit``: a stop is passed to Tune instead of interrupting Python."""

    def __enter__(self) -> tune_run:
        _State.in_tune_run = True
        if _State.request is not None:
            ray_control.ask_tune_to_stop()
        return self

    def __exit__(self, *exc: object) -> None:
        _State.in_tune_run = False


def request(reason: StopReason, message: str, *, interrupt_main: bool = True) -> None:
    """Ask the run to stop for ``reason``; only the first request counts. Outside Tune's run the
    main thread is interrupted, unless (a signal) its own handler does that."""
    if _State.request is not None:
        return
    _State.request = Request(reason, message)
    if _State.installed:
        _hard_stop_after(GRACE_S[reason.name], reason, message)
    if _State.in_tune_run:
        ray_control.ask_tune_to_stop()
    elif (
        interrupt_main
        and _State.sweep_thread is threading.main_thread()
        and threading.current_thread() is not threading.main_thread()
    ):
        # A sweep in another thread is never interrupted from outside: it asks Tune to stop
        # when its run begins (tune_run).
        _thread.interrupt_main()


def install() -> None:
    """Ctrl-C and SIGTERM stop the launcher as described above; call from the main thread."""
    if _State.installed:
        return
    name, value = ray_control.NO_TUNE_SIGINT_HANDLER
    os.environ[name] = value
    receiver, sender = socket.socketpair()
    sender.setblocking(False)
    signal.set_wakeup_fd(sender.fileno(), warn_on_full_buffer=False)
    _State.installed = True
    take_back_signals()
    threading.Thread(
        target=_watch_signals, args=(receiver, sender), name="stop-signals", daemon=True
    ).start()


def take_back_signals() -> None:
    """Install the handlers again: starting Ray's core in this process replaces the SIGTERM
    handler with its own, which prints a stack and ends the process."""
    if _State.installed or _State.in_python_run:
        handler = _python_handler if _State.installed else _python_run_handler
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, handler)


@contextlib.contextmanager
def stoppable_python_run() -> Iterator[None]:
    """A sweep run from Python (sweeps.run) in the main thread: while it runs, Ctrl-C (a
    notebook's interrupt) and SIGTERM stop it as they stop the launcher's, its state saved, and
    the caller's own handlers are back after it. Nothing here ends the process, unlike the
    launcher's watcher: a notebook's kernel outlives its sweeps, and a second Ctrl-C raises at
    once. A sweep in another thread is left alone (signals reach the main thread only)."""
    if _State.installed or threading.current_thread() is not threading.main_thread():
        yield
        return
    signums = (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1)  # Tune's run leaves its SIGUSR1
    saved = {signum: signal.getsignal(signum) for signum in signums}
    name, value = ray_control.NO_TUNE_SIGINT_HANDLER
    saved_switch = os.environ.get(name)
    os.environ[name] = value
    _State.in_python_run = True
    take_back_signals()
    try:
        yield
    finally:
        _State.in_python_run = False
        for signum, handler in saved.items():
            signal.signal(signum, handler)
        if saved_switch is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = saved_switch


def _python_run_handler(signum: int, frame: object) -> None:
    # The first signal during Tune's run asks it to stop and save; any other one raises here.
    if _State.request is None:
        request(INTERRUPTED, interrupted_line(), interrupt_main=False)
        if _State.in_tune_run:
            return
    raise KeyboardInterrupt


def _python_handler(signum: int, frame: object) -> None:
    # During Tune's run the watcher passes the stop to Tune; anywhere else Python code stops here.
    if not _State.in_tune_run:
        raise KeyboardInterrupt


def _watch_signals(receiver: socket.socket, sender: socket.socket) -> None:
    signals = 0
    while True:
        data = receiver.recv(64)
        for signum in data:
            if signum not in (signal.SIGINT, signal.SIGTERM):
                continue  # Tune's own SIGUSR1, and any other signal with a Python handler
            signals += 1
            if signals > 1:
                _end(INTERRUPTED, interrupted_line())
            request(INTERRUPTED, interrupted_line(), interrupt_main=False)


def _hard_stop_after(seconds: float, reason: StopReason, message: str) -> None:
    timer = threading.Timer(seconds, _end, args=(reason, message))
    timer.daemon = True
    timer.start()


def _end(reason: StopReason, message: str) -> None:
    """End the process now: files are written atomically and Tune saves its state as it goes,
    so what is on disk is the state as last saved."""
    end_now(reason.exit_status, message if reason is INTERRUPTED else f"error: {message}")
