"""Python and .NET side by side on one real Redis: jobs each way, a worker killed -9 mid-run, late results fenced."""
import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import unittest
import uuid

import support
from gamut_redis import Client


def out(result):
    return base64.b64decode(result["stdout"]).decode()


@unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
@unittest.skipUnless(support.have_gamut(), "the gamut CLI is not built (dotnet build Gamut.slnx -c Release)")
class InteropTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = support.server()

    def setUp(self):
        self.prefix = "py" + uuid.uuid4().hex[:10]
        self.procs = []
        self.dir = tempfile.mkdtemp(prefix="gamut-py-interop-")
        self.client = Client(self.redis.url, self.prefix, "q")

    def tearDown(self):
        # Release any job still blocked (the children of a killed worker), then stop every worker we started.
        for name in os.listdir(self.dir):
            if name.endswith(".taken"):
                open(os.path.join(self.dir, name[:-6] + ".release"), "w").close()
        for p in self.procs:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGCONT)
            support.stop_process(p)
        self.client.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, proc):
        self.procs.append(proc)
        return proc

    def blocking_job(self, i):
        """Blocks on its first delivery until released; on the next it answers at once."""
        m = os.path.join(self.dir, f"j{i}")
        script = ('m=$0; if [ -e "$m.taken" ]; then echo "again $1"; exit 0; fi; touch "$m.taken"; '
                  'while [ ! -e "$m.release" ]; do sleep 0.05; done; echo "first $1"')
        return {"executable": script, "shell": "/bin/sh", "arguments": [m, str(i)]}

    def taken(self, n):
        return len([f for f in os.listdir(self.dir) if f.endswith(".taken")]) >= n

    def test_a_python_producer_gets_1000_correct_results_from_dotnet_workers(self):
        for k in range(2):
            self.start(support.dotnet_worker(self.redis.url, self.prefix, "q", f"net{k}", jobs=4))
        handles = self.client.enqueue_many("gamut.command", [{"executable": "/bin/echo", "arguments": [str(i)]} for i in range(1000)])
        results = self.client.results(handles, timeout=support.GUARD)
        self.assertEqual([f"{i}\n" for i in range(1000)], [out(r) for r in results])
        self.assertTrue(all(r["exitCode"] == 0 and r["signal"] is None for r in results))

    def test_gamut_run_gets_1000_correct_results_from_python_workers(self):
        for k in range(2):
            self.start(support.python_worker(self.redis.url, self.prefix, "q", f"py{k}", jobs=4))
        run = subprocess.run([support.GAMUT, "run", "--redis", self.redis.url, "--prefix", self.prefix, "--queue", "q",
                              "-k", "echo", "x{}", ":::"] + [str(i) for i in range(1000)],
                             capture_output=True, timeout=support.GUARD)
        self.assertEqual(0, run.returncode, run.stderr.decode())
        self.assertEqual([f"x{i}" for i in range(1000)], run.stdout.decode().splitlines())

    def test_the_jobs_of_a_python_worker_killed_mid_run_are_finished_by_a_dotnet_worker(self):
        n = 4
        py = self.start(support.python_worker(self.redis.url, self.prefix, "q", "py-doomed", jobs=n))
        handles = self.client.enqueue_many("gamut.command", [self.blocking_job(i) for i in range(n)])
        support.wait_until(lambda: self.taken(n), "the Python worker runs every job")
        py.kill()
        py.wait()
        self.start(support.dotnet_worker(self.redis.url, self.prefix, "q", "net-heir", jobs=n))
        results = self.client.results(handles, timeout=support.GUARD)
        self.assertEqual([f"again {i}\n" for i in range(n)], [out(r) for r in results])
        for h in handles:
            s = self.client.status(h)
            self.assertEqual(("succeeded", 2, 1, "net-heir"), (s["state"], s["deliveries"], s["lost"], s["worker"]))

    def test_the_jobs_of_a_dotnet_worker_killed_mid_run_are_finished_by_a_python_worker(self):
        n = 4
        net = self.start(support.dotnet_worker(self.redis.url, self.prefix, "q", "net-doomed", jobs=n))
        handles = self.client.enqueue_many("gamut.command", [self.blocking_job(i) for i in range(n)])
        support.wait_until(lambda: self.taken(n), "the .NET worker runs every job")
        net.kill()
        net.wait()
        self.start(support.python_worker(self.redis.url, self.prefix, "q", "py-heir", jobs=n))
        results = self.client.results(handles, timeout=support.GUARD)
        self.assertEqual([f"again {i}\n" for i in range(n)], [out(r) for r in results])
        for h in handles:
            s = self.client.status(h)
            self.assertEqual(("succeeded", 2, 1, "py-heir"), (s["state"], s["deliveries"], s["lost"], s["worker"]))

    def test_a_bash_producer_written_from_the_docs_gets_results_from_a_python_worker(self):
        self.start(support.python_worker(self.redis.url, self.prefix, "q", "py-bash", jobs=2))
        script = os.path.join(support.REPO, "clients", "bash", "gamut-enqueue")
        run = subprocess.run([script, "-p", str(self.redis.port), "--prefix", self.prefix, "--queue", "q", "--wait",
                              "gamut.command", '{"executable":"echo","arguments":["from bash"]}', '{"executable":"false"}'],
                             capture_output=True, timeout=support.GUARD)
        self.assertEqual(0, run.returncode, run.stderr.decode())
        lines = run.stdout.decode().splitlines()
        self.assertEqual(2, len(lines))
        # One line per job, in the order they are seen to end.
        outcomes = sorted((json.loads(line.split(" ", 2)[2]) for line in lines), key=lambda o: o["exitCode"])
        self.assertEqual([(0, "from bash\n"), (1, "")], [(o["exitCode"], out(o)) for o in outcomes])

    def fenced_late_result(self, paused_start, heir_start, paused_id, heir_word):
        r = self.redis.client()
        m = os.path.join(self.dir, "late")
        # Each delivery marks that it started, waits to be released, then prints the worker's WHO.
        job = {"executable": 'touch "$0.$WHO"; while [ ! -e "$0.release" ]; do sleep 0.05; done; echo "$WHO"',
               "shell": "/bin/sh", "arguments": [m]}
        paused = self.start(paused_start())
        h = self.client.enqueue("gamut.command", job)
        paused_word = "python" if heir_word == "dotnet" else "dotnet"
        support.wait_until(lambda: os.path.exists(f"{m}.{paused_word}"), "the first worker runs the job")
        os.kill(paused.pid, signal.SIGSTOP)
        self.start(heir_start())
        support.wait_until(lambda: os.path.exists(f"{m}.{heir_word}"), "the second worker runs the job again")
        open(m + ".release", "w").close()
        self.assertEqual(heir_word + "\n", out(self.client.result(h, timeout=support.GUARD)))
        os.kill(paused.pid, signal.SIGCONT)
        dups = f"{self.prefix}:{{q}}:dups"
        support.wait_until(lambda: any(e.decode().startswith(f"{h.id} 1 {paused_id} ") for e in r.lrange(dups, 0, -1)),
                           "the paused worker's late result is refused")
        s = self.client.status(h)
        self.assertEqual(("succeeded", 2), (s["state"], s["deliveries"]))
        self.assertEqual(heir_word + "\n", out(self.client.result(h)))
        self.assertEqual(b"1", r.hget(f"{self.prefix}:{{q}}:stats", "duplicates"))
        r.close()

    def test_a_paused_python_workers_late_result_is_fenced(self):
        self.fenced_late_result(
            lambda: support.python_worker(self.redis.url, self.prefix, "q", "py-paused", jobs=1, env={"WHO": "python"}),
            lambda: support.dotnet_worker(self.redis.url, self.prefix, "q", "net-live", jobs=1, env={"WHO": "dotnet"}),
            "py-paused", "dotnet")

    def test_a_paused_dotnet_workers_late_result_is_fenced(self):
        self.fenced_late_result(
            lambda: support.dotnet_worker(self.redis.url, self.prefix, "q", "net-paused", jobs=1, env={"WHO": "dotnet"}),
            lambda: support.python_worker(self.redis.url, self.prefix, "q", "py-live", jobs=1, env={"WHO": "python"}),
            "net-paused", "python")


def tearDownModule():
    support.stop_server()


if __name__ == "__main__":
    unittest.main()
