"""Shared by the Python tests: a real redis-server on a free loopback port, the built gamut CLI, worker processes."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import redis

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(CLIENT))
sys.path.insert(0, HERE)
# The installed package when ./test put it on PYTHONPATH; else the source tree.
try:
    import gamut_redis  # noqa: F401
except ImportError:
    sys.path.insert(0, CLIENT)

GAMUT = os.environ.get("GAMUT_CLI") or os.path.join(REPO, "src", "Gamut.Cli", "bin", "Release", "net10.0", "Gamut.Cli")
GUARD = 120.0  # a hang guard only: every wait below ends on an event


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="gamut-py-redis-")
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir, "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}"
        r = redis.Redis(port=self.port)
        wait_until(lambda: _pings(r), "redis-server answers")
        r.close()

    def client(self):
        return redis.Redis(port=self.port)

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def _pings(r):
    try:
        return r.ping()
    except redis.ConnectionError:
        return False


def wait_until(condition, what, guard=GUARD):
    """Waits for a condition re-checked on a short beat; the guard only stops a hang."""
    deadline = time.monotonic() + guard
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.02)


_server = None


def server():
    global _server
    if _server is None:
        _server = RedisServer()
    return _server


def stop_server():
    global _server
    if _server is not None:
        _server.stop()
        _server = None


def python_worker(url, prefix, queue, worker_id, jobs=4, env=None, ttl=1.0, interval=0.2, load=None):
    """A Python worker process (python3 -m gamut_redis worker)."""
    args = [sys.executable, "-m", "gamut_redis", "worker", "--redis", url, "--prefix", prefix, "--queues", queue,
            "-j", str(jobs), "--id", worker_id, "--heartbeat-ttl", str(ttl), "--heartbeat-interval", str(interval)]
    for m in load or []:
        args += ["--load", m]
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join(p for p in [HERE] + sys.path if p)
    e.update(env or {})
    return subprocess.Popen(args, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def dotnet_worker(url, prefix, queue, worker_id, jobs=4, env=None):
    """A .NET worker process (gamut worker)."""
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.Popen([GAMUT, "worker", "--redis", url, "--prefix", prefix, "--queues", queue, "-j", str(jobs),
                             "--id", worker_id], env=e, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def stop_process(proc, sig=signal.SIGTERM):
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stderr:
        proc.stderr.close()


def have_gamut():
    return os.access(GAMUT, os.X_OK)
