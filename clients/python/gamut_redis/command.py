"""The built-in job ``gamut.command`` (docs/protocol.md, "The command job"): run a command as data, return its outcome."""
import base64
import datetime
import os
import signal
import subprocess
import threading
import time

NAME = "gamut.command"
DEFAULT_GRACE_SECONDS = 5.0


class CommandError(Exception):
    """A command job that fails (not a non-zero exit, which is an outcome): ``type_name`` is what the ``e`` JSON says."""

    def __init__(self, type_name, message):
        super().__init__(message)
        self.type_name = type_name


def _get(spec, name):
    # Gamut's JSON is camelCase and read case-insensitively.
    if name in spec:
        return spec[name]
    lower = name.lower()
    for k, v in spec.items():
        if isinstance(k, str) and k.lower() == lower:
            return v
    return None


def _rfc3339(t):
    return datetime.datetime.fromtimestamp(t, tz=datetime.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _seconds(value, name):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != value or value == float("inf"):
        raise CommandError("System.ArgumentOutOfRangeException", f"{name} must be a finite number, zero or more")
    return float(value)


def _kill_group(proc, grace):
    """SIGTERM to the command's process group, then SIGKILL after the grace period."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def run(spec, cancelled=None):
    """Runs a command spec (a dict decoded from the payload); returns the outcome dict. ``cancelled``: a
    threading.Event that stops the command (its process group) — the job then ends as cancelled (raises
    ``Cancelled``)."""
    if not isinstance(spec, dict):
        raise CommandError("Gamut.Jobs.JobSerializationException", "the input of job gamut.command is not an object")
    exe = _get(spec, "executable")
    if not isinstance(exe, str) or not exe or "\0" in exe:
        raise CommandError("System.ArgumentException", "executable must be a non-empty string without NUL")
    args = _get(spec, "arguments") or []
    if not isinstance(args, list) or not all(isinstance(a, str) and "\0" not in a for a in args):
        raise CommandError("System.ArgumentException", "arguments must be a list of strings without NUL")
    shell = _get(spec, "shell")
    argv = [shell, "-c", exe] + args if shell else [exe] + args
    env = dict(os.environ)
    for k, v in (_get(spec, "environment") or {}).items():
        if "=" in k or not k:
            raise CommandError("System.ArgumentException", f"environment name '{k}' must be non-empty without '='")
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    stdin = _get(spec, "stdin")
    stdin = base64.b64decode(stdin) if stdin else b""
    timeout = _seconds(_get(spec, "timeoutSeconds"), "timeoutSeconds")
    grace = _seconds(_get(spec, "graceSeconds"), "graceSeconds")
    grace = DEFAULT_GRACE_SECONDS if grace is None else grace
    limit = _get(spec, "outputLimitBytes")
    start = time.time()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=_get(spec, "workingDirectory"), env=env, start_new_session=True, close_fds=True)
    except FileNotFoundError as e:
        raise CommandError("Gamut.Processes.CommandNotFoundException", f"{exe}: command not found ({e.strerror})")
    except PermissionError as e:
        raise CommandError("Gamut.Processes.CommandPermissionException", f"{exe}: permission denied ({e.strerror})")
    except OSError as e:
        raise CommandError("Gamut.Processes.CommandStartException", f"{exe} could not start: {e}")
    out, err = bytearray(), bytearray()
    over = threading.Event()

    def pump(stream, buf):
        while True:
            chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
            if not chunk:
                break
            buf.extend(chunk)
            if limit is not None and len(buf) > limit and not over.is_set():
                over.set()
                _kill_group(proc, 0)
        stream.close()

    pumps = [threading.Thread(target=pump, args=(proc.stdout, out), daemon=True),
             threading.Thread(target=pump, args=(proc.stderr, err), daemon=True)]
    for t in pumps:
        t.start()

    def feed():
        try:
            if stdin:
                proc.stdin.write(stdin)
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    threading.Thread(target=feed, daemon=True).start()
    timed_out = False
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        try:
            proc.wait(0.05 if cancelled is not None or deadline is not None else None)
            break
        except subprocess.TimeoutExpired:
            pass
        if cancelled is not None and cancelled.is_set():
            _kill_group(proc, grace)
            proc.wait()
            for t in pumps:
                t.join()
            raise Cancelled()
        if deadline is not None and time.monotonic() >= deadline:
            timed_out = True
            _kill_group(proc, grace)
            proc.wait()
            break
    for t in pumps:
        t.join()
    end = time.time()
    if over.is_set():
        raise CommandError("Gamut.Processes.OutputLimitExceededException",
                           f"{exe} wrote more than its output limit of {limit} bytes")
    rc = proc.returncode
    sig = -rc if rc < 0 else None
    return {
        "exitCode": 128 + sig if sig else rc,
        "signal": sig,
        "timedOut": timed_out,
        "stdout": base64.b64encode(bytes(out)).decode("ascii"),
        "stderr": base64.b64encode(bytes(err)).decode("ascii"),
        "startTime": _rfc3339(start),
        "endTime": _rfc3339(end),
        "durationMs": round((end - start) * 1000, 3),
    }


class Cancelled(Exception):
    """The job was cancelled while it ran."""
