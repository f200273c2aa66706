"""The sandbox's zygote: a process that isolates itself once, then forks one child per job.

Runs as ``python -I -S _sandbox_zygote.py`` with an empty environment, started by
``sandbox.py``; it imports nothing outside the standard library and nothing of the server.

Set-up, once (each step reported back in the ``ready`` message, so the server can say
what isolation it really got on this machine):

1. the modules user code may import are imported now, while files are still reachable;
2. new network namespace (no interface but a down loopback: no route anywhere, the
   server's own 127.0.0.1 included) and a new mount namespace, via ``unshare(2)``; as a
   non-root user a user namespace first, mapping the user to root inside it;
3. ``chroot`` into the empty working directory: no file of the host is reachable;
4. as real root, every privilege dropped to ``nobody``; ``no_new_privs`` set.

Then per job a forked child, which keeps nothing between jobs: rlimits (address space,
CPU seconds, no file writes, no new processes), lowest CPU priority, an audit hook that
refuses files, sockets, processes, signals, ctypes and imports of modules not loaded in
step 1, stdout captured. A wall clock per child is kept here: past it the child is killed.

Protocol on stdin/stdout: frames of a 4-byte big-endian length and a JSON object.
In: ``{"id", "code", "entry", "args", "kwargs", "env", "timeout", "memory"}``. Out: ``{"id", "ok", "value"
| "error", "kind", "stdout", "duration"}``; kinds: ``ok``, ``error``, ``timeout``,
``memory``, ``crash``, ``invalid``.
"""

from __future__ import annotations

import ctypes
import io
import json
import os
import resource
import selectors
import signal
import struct
import sys
import time
import traceback
import types
from typing import Any

# Modules user code can import (step 1); anything else is refused with this list.
ALLOWED_MODULES = (
    "base64", "bisect", "collections", "copy", "dataclasses", "datetime", "decimal",
    "difflib", "enum", "fractions", "functools", "hashlib", "heapq", "itertools", "json",
    "math", "operator", "random", "re", "statistics", "string", "textwrap", "typing",
    "unicodedata",
)
MAX_RESULT = 1 << 20  # bytes of one job's result
MAX_STDOUT = 64 << 10  # characters of captured print output kept
NOBODY = 65534
_CLONE_NEWNS, _CLONE_NEWUSER, _CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000
_PR_SET_PDEATHSIG, _PR_SET_NO_NEW_PRIVS = 1, 38
# Audit events a job may raise; every other event of these families is refused.
_REFUSED_PREFIXES = ("open", "os.", "shutil.", "socket.", "subprocess.", "ctypes.", "_posixsubprocess",
                     "pty.", "resource.setrlimit", "sys.addaudithook", "signal.", "syslog.",
                     "glob.", "tempfile.", "mmap.", "fcntl.", "msvcrt.", "winreg.", "webbrowser.",
                     "urllib.", "http.", "ftplib.", "smtplib.", "poplib.", "imaplib.", "nntplib.",
                     "telnetlib.", "sqlite3.", "pathlib.", "code.", "pdb.", "cpython.")


def _write_frame(fd: int, message: dict[str, Any]) -> None:
    data = json.dumps(message, separators=(",", ":"), allow_nan=False).encode()
    view = memoryview(struct.pack(">I", len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks = b""
    while len(chunks) < n:
        chunk = os.read(fd, n - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return chunks


# -- set-up ------------------------------------------------------------------------------
def _isolate() -> dict[str, Any]:
    """Steps 2-4; each reported, none fatal: the server states what it got."""
    report: dict[str, Any] = {}
    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid = os.getuid(), os.getgid()
    flags = _CLONE_NEWNET | _CLONE_NEWNS | (0 if uid == 0 else _CLONE_NEWUSER)
    if libc.unshare(flags) == 0:
        if uid != 0:
            _map_user(uid, gid)
        report["network_namespace"] = True
    else:
        report["network_namespace"] = False
        report["namespace_error"] = os.strerror(ctypes.get_errno())
    try:
        os.chroot(".")
        os.chdir("/")
        report["chroot"] = True
    except OSError as exc:
        report["chroot"] = False
        report["chroot_error"] = exc.strerror
    if os.getuid() == 0 and uid == 0:
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            report["user"] = "nobody"
        except OSError as exc:
            report["user"] = f"root (could not drop: {exc.strerror})"
    else:
        report["user"] = f"uid {uid}"
    report["no_new_privs"] = libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
    return report


def _map_user(uid: int, gid: int) -> None:
    for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
        with open(f"/proc/self/{name}", "w") as handle:
            handle.write(text)


# -- one job, in the forked child ------------------------------------------------------------
def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "import":
        name = str(args[0])
        if name not in sys.modules:
            raise ImportError(f"module {name!r} is not available in the sandbox; "
                              f"available: {', '.join(ALLOWED_MODULES)}")
    elif event.startswith(_REFUSED_PREFIXES):
        what = "network access" if event.startswith("socket.") else "file access" \
            if event == "open" else f"{event!r}"
        raise PermissionError(f"{what} is not allowed in the sandbox")


def _entry_point(namespace: dict[str, Any], entry: str | None) -> Any:
    """``entry`` when the code defines it, else the last function the code defines."""
    if entry and callable(namespace.get(entry)):
        return namespace[entry]
    defined = [v for v in namespace.values()
               if isinstance(v, types.FunctionType) and v.__code__.co_filename == "<code>"]
    if not defined:
        raise LookupError("the code defines no function to call")
    return defined[-1]


def _user_traceback(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<code>"]
    lines = [f"line {f.lineno}, in {f.name}" for f in frames[-3:]]
    return f" ({'; '.join(lines)})" if lines else ""


def _run_job(job: dict[str, Any], result_fd: int) -> None:
    memory, timeout = int(job["memory"]), float(job["timeout"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(timeout) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    captured = io.StringIO()
    sys.stdout = sys.stderr = captured
    # The job's own environment (a tool's variables), set before the audit hook refuses putenv.
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in (job.get("env") or {}).items()})
    started = time.monotonic()
    message: dict[str, Any]
    sys.addaudithook(_audit)
    try:
        namespace: dict[str, Any] = {"__name__": "__sandbox__", "__builtins__": __builtins__}
        exec(compile(job["code"], "<code>", "exec"), namespace)
        value = _entry_point(namespace, job.get("entry"))(*job["args"], **job.get("kwargs", {}))
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"the function returned a {type(value).__name__}, which is not "
                            f"JSON ({exc})") from None
        message = {"ok": True, "kind": "ok", "value": value}
    except MemoryError:
        message = {"ok": False, "kind": "memory",
                   "error": f"out of memory (limit {memory >> 20} MiB)"}
    except SyntaxError as exc:
        message = {"ok": False, "kind": "error", "error": f"SyntaxError: {exc.msg} (line {exc.lineno})"}
    except BaseException as exc:  # user code may raise anything, SystemExit included
        message = {"ok": False, "kind": "error",
                   "error": f"{type(exc).__name__}: {exc}"[:2000] + _user_traceback(exc)}
    message.update(stdout=captured.getvalue()[:MAX_STDOUT], duration=time.monotonic() - started)
    data = json.dumps(message, separators=(",", ":"), allow_nan=False).encode()
    if len(data) > MAX_RESULT:
        data = json.dumps({"ok": False, "kind": "invalid", "duration": message["duration"],
                           "error": f"the result is larger than {MAX_RESULT >> 10} KiB"}).encode()
    view = memoryview(data)
    while view:
        view = view[os.write(result_fd, view):]


def _child(job: dict[str, Any], result_fd: int) -> None:
    # Dies with the zygote, however the zygote ends (a sleeping job has no CPU limit to hit).
    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # No way back to the zygote's protocol: stdin and stdout become a pipe without reader.
    sink_r, sink_w = os.pipe()
    os.close(sink_r)
    for fd in (0, 1, 2):
        os.dup2(sink_w, fd)
    os.close(sink_w)
    try:
        _run_job(job, result_fd)
    finally:
        os._exit(0)


# -- the zygote loop -------------------------------------------------------------------------
class _Running:
    def __init__(self, job_id: str, pid: int, fd: int, deadline: float) -> None:
        self.job_id, self.pid, self.fd, self.deadline = job_id, pid, fd, deadline
        self.data = b""
        self.timed_out = self.overflow = False


def _outcome(child: _Running, status: int, started: float, timeout: float) -> dict[str, Any]:
    duration = time.monotonic() - started
    if child.overflow:
        return {"ok": False, "kind": "invalid", "duration": duration,
                "error": f"the result is larger than {MAX_RESULT >> 10} KiB"}
    if child.timed_out:
        return {"ok": False, "kind": "timeout", "error": f"timed out after {timeout:g} s",
                "duration": duration}
    if child.data:
        try:
            result: dict[str, Any] = json.loads(child.data)
            return result
        except ValueError:
            return {"ok": False, "kind": "crash", "error": "the code wrote an unreadable result",
                    "duration": duration}
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return {"ok": False, "kind": "timeout", "duration": duration,
                    "error": f"used more than {int(timeout) + 1} s of CPU time"}
        return {"ok": False, "kind": "crash", "duration": duration,
                "error": f"crashed ({signal.Signals(sig).name})"}
    return {"ok": False, "kind": "crash", "duration": duration,
            "error": f"exited without a result (status {os.WEXITSTATUS(status)})"}


def serve() -> None:
    for name in ALLOWED_MODULES:
        __import__(name)
    os.nice(19)  # user code never competes with the server for the CPU
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    report = _isolate()
    _write_frame(1, {"ready": True, "isolation": report})
    selector = selectors.DefaultSelector()
    selector.register(0, selectors.EVENT_READ, None)
    running: dict[int, tuple[_Running, float, float]] = {}
    while True:
        now = time.monotonic()
        wait = min((c.deadline for c, _, _ in running.values()), default=now + 3600) - now
        for key, _ in selector.select(max(wait, 0)):
            if key.data is None:
                if not _accept(selector, running):
                    _kill_all(running)
                    return
            else:
                _collect(selector, running, key.data)
        now = time.monotonic()
        for child, _, _ in running.values():
            if now >= child.deadline and not child.timed_out:
                child.timed_out = True
                os.kill(child.pid, signal.SIGKILL)


def _accept(selector: selectors.BaseSelector, running: dict[int, tuple[_Running, float, float]]) -> bool:
    header = _read_exact(0, 4)
    if header is None:
        return False
    raw = _read_exact(0, struct.unpack(">I", header)[0])
    if raw is None:
        return False
    job = json.loads(raw)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(job, write_fd)
    os.close(write_fd)
    started = time.monotonic()
    child = _Running(job["id"], pid, read_fd, started + float(job["timeout"]))
    running[read_fd] = (child, started, float(job["timeout"]))
    selector.register(read_fd, selectors.EVENT_READ, child)
    return True


def _collect(selector: selectors.BaseSelector, running: dict[int, tuple[_Running, float, float]],
             child: _Running) -> None:
    chunk = os.read(child.fd, 65536)
    if chunk:
        if not child.overflow:
            child.data += chunk
        if len(child.data) > MAX_RESULT + 4096 and not child.overflow:
            # Written by hand past the result's own cap: the child is not playing by the rules.
            child.overflow = True
            child.data = b""
            os.kill(child.pid, signal.SIGKILL)
        return
    selector.unregister(child.fd)
    os.close(child.fd)
    _, status = os.waitpid(child.pid, 0)
    _, started, timeout = running.pop(child.fd)
    _write_frame(1, {**_outcome(child, status, started, timeout), "id": child.job_id})


def _kill_all(running: dict[int, tuple[_Running, float, float]]) -> None:
    for child, _, _ in running.values():
        os.kill(child.pid, signal.SIGKILL)
        os.waitpid(child.pid, 0)


if __name__ == "__main__":
    serve()
