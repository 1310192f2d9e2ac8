"""The Python client and worker on a real Redis: functions by name, retries, timeouts, dead letters, cancel,
raw envelopes, the layout check, graceful shutdown; and the envelope and backoff rules."""
import json
import shutil
import threading
import unittest
import uuid

import support
from gamut_redis import (Client, JobCancelledError, JobDeadLetteredError, JobFailedError, JobTimeoutError, LayoutError,
                         Worker)
from gamut_redis import envelope as env
from gamut_redis import protocol as p


class EnvelopeAndBackoffTests(unittest.TestCase):
    def test_an_envelope_is_judged_with_the_dead_letter_reason(self):
        cases = [(b"\xef\xbb\xbf{}", "not-json"), (b"[1]", "wrong-shape"), (b'{"v":1,"id":"a","name":"n"}', "missing-field"),
                 (b'{"v":2,"id":"a","name":"n","payload":1}', "unsupported-version"),
                 (b'{"v":1,"id":"a b","name":"n","payload":1}', "invalid-field"),
                 (b'{"v":1,"v":1,"id":"a","name":"n","payload":1}', "invalid-field"),
                 (b'{"v":1,"id":"a","name":"n","payload":1,"attempt":1.0}', "invalid-field")]
        for raw, reason in cases:
            with self.assertRaises(env.EnvelopeError, msg=raw) as e:
                env.read(raw)
            self.assertEqual(reason, e.exception.reason, raw)

    def test_a_valid_envelope_keeps_its_payload_and_defaults(self):
        e = env.read(b'{"v":1,"id":"a1","name":"n","payload":{"x":[1,2]},"x-mine":true}')
        self.assertEqual((b'{"x":[1,2]}', 1, 1, None, 0), (e["payloadBytes"], e["attempt"], e["maxAttempts"], e["timeoutMs"], e["createdAt"]))

    def test_the_backoff_is_exponential_capped_and_jittered(self):
        b = p.parse_backoff("100,1000,2,0,0")
        self.assertEqual([100, 200, 400, 800, 1000], [p.retry_delay_ms(f, b) for f in range(1, 6)])
        jittered = p.parse_backoff("100,30000,2,0.5,0")
        self.assertEqual(50, p.retry_delay_ms(1, jittered, rand=lambda: 0.0))
        self.assertEqual(p.parse_backoff(None), p.parse_backoff("garbage"))


@unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
class ClientWorkerTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = support.server()

    def setUp(self):
        self.prefix = "py" + uuid.uuid4().hex[:10]
        self.attempts = {}
        self.release = threading.Event()

        def flaky(x, ctx):
            self.attempts[ctx.job_id] = ctx.attempt
            if ctx.attempt < 3:
                raise ValueError(f"attempt {ctx.attempt}")
            return x

        def stuck(x, ctx):
            self.release.wait(support.GUARD)
            return "late"

        self.worker = Worker(self.redis.url, self.prefix, ["q"], 4, "w-test", {
            "add": lambda x: x["a"] + x["b"], "flaky": flaky, "stuck": stuck, "boom": lambda x: 1 / 0},
            heartbeat_interval=0.2, heartbeat_ttl=1.0, shutdown_timeout=0.2)
        self.thread = threading.Thread(target=self.worker.run, kwargs={"install_signals": False})
        self.thread.start()
        self.client = Client(self.redis.url, self.prefix, "q")

    def tearDown(self):
        self.release.set()
        self.worker.stop()
        self.thread.join(support.GUARD)
        self.client.close()

    def test_functions_registered_by_name_return_their_results(self):
        hs = self.client.enqueue_many("add", [{"a": i, "b": i} for i in range(200)])
        self.assertEqual([2 * i for i in range(200)], self.client.results(hs, timeout=support.GUARD))

    def test_the_queues_rate_limit_holds_for_a_python_worker(self):
        # 4 starts per 500 ms (protocol section 13), counted on the records' start stamps (Redis' clock), not on time.
        r = self.redis.client()
        r.hset(f"{self.prefix}:{{q}}:rate", mapping={"n": 4, "ms": 500})
        hs = self.client.enqueue_many("add", [{"a": i, "b": 0} for i in range(16)])
        self.assertEqual(list(range(16)), self.client.results(hs, timeout=support.GUARD))
        starts = sorted(int(r.hget(f"{self.prefix}:{{q}}:job:{h.id}", "st")) for h in hs)
        worst = max(sum(1 for t in starts if s <= t < s + 500) for s in starts)
        self.assertLessEqual(worst, 4, f"a 500 ms window holds {worst} starts: {starts}")

    def test_a_failing_job_is_retried_with_backoff_until_it_succeeds(self):
        h = self.client.enqueue("flaky", 7, max_attempts=3, backoff={"initial_ms": 10, "max_ms": 20, "multiplier": 2, "jitter": 0})
        self.assertEqual(7, self.client.result(h, timeout=support.GUARD))
        s = self.client.status(h)
        self.assertEqual((3, 2), (s["deliveries"], s["failures"]))

    def test_a_failure_carries_its_code_and_type(self):
        with self.assertRaises(JobFailedError) as e:
            self.client.result(self.client.enqueue("boom", None), timeout=support.GUARD)
        self.assertEqual(("failed", "ZeroDivisionError"), (e.exception.code, e.exception.type))
        entry = json.loads(self.redis.client().lindex(f"{self.prefix}:{{q}}:dead", 0))
        self.assertEqual(("failed", "boom"), (entry["reason"], entry["name"]))

    def test_a_job_past_its_timeout_ends_with_the_timeout_code(self):
        with self.assertRaises(JobTimeoutError):
            self.client.result(self.client.enqueue("stuck", None, timeout_ms=100), timeout=support.GUARD)

    def test_an_unknown_name_is_dead_lettered(self):
        with self.assertRaises(JobDeadLetteredError) as e:
            self.client.result(self.client.enqueue("nobody.home", 1), timeout=support.GUARD)
        self.assertEqual("unknown-job", e.exception.reason)

    def test_a_queued_job_is_cancelled_at_once_and_a_running_one_through_its_worker(self):
        delayed = self.client.enqueue("add", {"a": 1, "b": 1}, delay_ms=3_600_000)
        self.assertEqual("cancelled", self.client.cancel(delayed))
        with self.assertRaises(JobCancelledError):
            self.client.result(delayed, timeout=support.GUARD)
        running = self.client.enqueue("gamut.command", {"executable": "sleep", "arguments": ["60"]})
        support.wait_until(lambda: (self.client.status(running) or {}).get("state") == "running", "the job runs")
        self.assertEqual("cancelling", self.client.cancel(running))
        with self.assertRaises(JobCancelledError):
            self.client.result(running, timeout=support.GUARD)

    def test_a_raw_envelope_pushed_with_lpush_is_adopted_and_run(self):
        r = self.redis.client()
        r.lpush(f"{self.prefix}:{{q}}:queue", env.build("add", {"a": 2, "b": 3}, job_id="raw-1"))
        support.wait_until(lambda: r.hget(f"{self.prefix}:{{q}}:job:raw-1", "s") == b"succeeded", "the raw job succeeds")
        self.assertEqual(5, self.client.result(("q", "raw-1"), timeout=support.GUARD))
        r.lpush(f"{self.prefix}:{{q}}:queue", b'{"v":9}')
        support.wait_until(lambda: r.llen(f"{self.prefix}:{{q}}:dead") == 1, "the bad envelope is dead-lettered")
        self.assertEqual("unsupported-version", json.loads(r.lindex(f"{self.prefix}:{{q}}:dead", 0))["reason"])

    def test_a_worker_stopping_hands_back_a_job_that_outlives_its_shutdown_timeout(self):
        h = self.client.enqueue("stuck", None)
        support.wait_until(lambda: (self.client.status(h) or {}).get("state") == "running", "the job runs")
        self.worker.stop()
        self.thread.join(support.GUARD)
        s = self.client.status(h)
        self.assertEqual(("queued", 1), (s["state"], s["deliveries"]))
        r = self.redis.client()
        self.assertFalse(r.exists(f"{self.prefix}:{{q}}:hb:w-test", f"{self.prefix}:{{q}}:active:w-test"))
        self.assertFalse(r.sismember(f"{self.prefix}:{{q}}:workers", "w-test"))

    def test_keys_in_another_layout_version_are_refused(self):
        r = self.redis.client()
        r.set("other" + self.prefix + ":layout", "2")
        with self.assertRaises(LayoutError):
            Client(self.redis.url, "other" + self.prefix)
        with self.assertRaises(LayoutError):
            Worker(self.redis.url, "other" + self.prefix)
        self.assertEqual(b"1", r.get(self.prefix + ":layout"))


def tearDownModule():
    support.stop_server()
