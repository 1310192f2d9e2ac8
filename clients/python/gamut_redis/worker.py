"""The worker side: take jobs from Gamut queues, run command jobs and Python functions registered by name, record
their outcomes (fenced), beat, reap dead workers, and leave cleanly (docs/redis-protocol.md, "Being a worker")."""
import inspect
import json
import logging
import os
import queue as _queue
import signal
import socket
import threading
import time
import traceback

import redis

from . import command
from . import envelope as env
from . import protocol as p

log = logging.getLogger("gamut_redis.worker")


class JobContext:
    """What a function gets as its second argument (when it takes two): the job, its attempt, a cancel flag."""

    def __init__(self, worker, q, job):
        self.job_id = job["id"]
        self.name = job["name"]
        self.queue = q.queue
        self.attempt = job["fence"]
        self.cancelled = job["cancel"]
        self._worker, self._q, self._fence = worker, q, job["fence"]

    def progress(self, fraction=None, message=None):
        """Reports progress to the job's watchers (fenced: ignored once the job is no longer this worker's)."""
        body = {}
        if fraction is not None:
            body["fraction"] = fraction
        if message is not None:
            body["message"] = message
        return p.progress(self._worker._scripts, self._q, self._worker.id, self.job_id, self._fence,
                          json.dumps(body, separators=(",", ":")))


class Worker:
    """A Gamut worker in Python. ``functions``: name -> callable(payload) or callable(payload, context)."""

    def __init__(self, url="redis://127.0.0.1:6379", prefix=p.DEFAULT_PREFIX, queues=(p.DEFAULT_QUEUE,), concurrency=4,
                 worker_id=None, functions=None, heartbeat_interval=1.0, heartbeat_ttl=5.0, shutdown_timeout=30.0,
                 max_lost=5, result_ttl_ms=3600000, failed_ttl_ms=604800000, dead_max=10000,
                 max_payload_bytes=16 * 1024 * 1024, commands=True):
        self.prefix = p.check_prefix(prefix)
        self.queues = [p.QueueKeys(prefix, q) for q in queues]
        self._byname = {q.queue: q for q in self.queues}
        self.concurrency = int(concurrency)
        if self.concurrency < 1:
            raise p.ProtocolInputError("concurrency must be at least 1")
        self.id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{p.new_id()[-6:].lower()}"
        p.check_queue(self.id)
        self._redis = redis.Redis.from_url(url)
        p.check_layout(self._redis, prefix)
        self._scripts = p.Scripts(self._redis)
        self._global = p.GlobalKeys(prefix)
        self._functions = {}
        self._commands = commands
        for name, fn in (functions or {}).items():
            self.register(name, fn)
        self.interval, self.ttl = heartbeat_interval, heartbeat_ttl
        self.shutdown_timeout = shutdown_timeout
        self._opts = dict(max_lost=max_lost, result_ttl_ms=result_ttl_ms, failed_ttl_ms=failed_ttl_ms, dead_max=dead_max,
                          max_payload_bytes=max_payload_bytes)
        self._cond = threading.Condition()
        self._wake = False
        self._stopping = threading.Event()
        self._running = {}        # (queue, id) -> job dict
        self._busy = 0
        self._outcomes = _queue.Queue()
        self._pending_outcomes = 0
        self._suspects = {}
        self._started = int(time.time() * 1000)
        self.counters = {"succeeded": 0, "failed": 0, "retried": 0, "dead": 0, "cancelled": 0, "fenced": 0}

    def register(self, name, fn):
        """Registers a function under a job name; only registered names run (plus gamut.command)."""
        p.check_name(name)
        try:
            takes_context = len([a for a in inspect.signature(fn).parameters.values()
                                 if a.kind in (a.POSITIONAL_ONLY, a.POSITIONAL_OR_KEYWORD)]) >= 2
        except (TypeError, ValueError):
            takes_context = False
        self._functions[name] = (fn, takes_context)
        return fn

    def job(self, name):
        """Decorator form of ``register``."""
        return lambda fn: self.register(name, fn)

    # --- main loop -------------------------------------------------------------------------------------------------
    def run(self, install_signals=True):
        """Serves until ``stop()`` or SIGTERM/SIGINT, then shuts down gracefully."""
        if install_signals and threading.current_thread() is threading.main_thread():
            for s in (signal.SIGTERM, signal.SIGINT):
                signal.signal(s, lambda *_: self.stop())
        self._beat()
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(self._global.ctl(self.id), *[q.wake for q in self.queues])
        threads = [threading.Thread(target=self._listen, name="gamut-listen", daemon=True),
                   threading.Thread(target=self._maintain, name="gamut-beat", daemon=True),
                   threading.Thread(target=self._record, name="gamut-record", daemon=True)]
        for t in threads:
            t.start()
        self._threads = threads
        self._pool = [threading.Thread(target=self._slot, name=f"gamut-slot-{i}", daemon=True) for i in range(self.concurrency)]
        self._ready = _queue.Queue()
        for t in self._pool:
            t.start()
        log.info("worker %s serves %s with %d slots", self.id, ",".join(q.queue for q in self.queues), self.concurrency)
        try:
            self._take_loop()
        finally:
            self._shutdown()

    def stop(self):
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()

    def _take_loop(self):
        while not self._stopping.is_set():
            with self._cond:
                while self._busy >= self.concurrency and not self._stopping.is_set():
                    self._cond.wait()
                free = self.concurrency - self._busy
                self._wake = False
            if self._stopping.is_set():
                return
            took, next_due = 0, None
            for q in self.queues:
                if free - took <= 0:
                    break
                try:
                    jobs, due, rate_wait = p.take(self._scripts, q, self.id, free - took, self._opts["max_payload_bytes"],
                                                  self._opts["dead_max"], self._opts["failed_ttl_ms"])
                except redis.RedisError as e:
                    log.warning("worker %s: take failed: %s", self.id, e)
                    self._stopping.wait(0.5)
                    continue
                if rate_wait is not None:
                    # The queue's rate limit allows the next start in rate_wait ms (a relative wait: no clock skew).
                    allowed = time.time() * 1000 + rate_wait
                    due = allowed if due is None else min(due, allowed)
                if due is not None:
                    next_due = due if next_due is None else min(next_due, due)
                for job in jobs:
                    took += 1
                    with self._cond:
                        self._busy += 1
                    self._ready.put((q, job))
            if took == 0:
                wait = 1.0
                if next_due is not None:
                    wait = min(wait, max(0.0, next_due / 1000.0 - time.time()))
                with self._cond:
                    if not self._wake and not self._stopping.is_set():
                        self._cond.wait(wait)

    def _listen(self):
        ctl = self._global.ctl(self.id).encode()
        while not self._stopping.is_set():
            try:
                m = self._pubsub.get_message(timeout=0.5)
            except (redis.RedisError, ValueError, AttributeError):
                if self._stopping.is_set():
                    return
                time.sleep(0.2)
                continue
            if not m or m["type"] != "message":
                continue
            if m["channel"] == ctl:
                parts = m["data"].decode("utf-8", "replace").split(" ")
                if len(parts) == 3 and parts[0] == "cancel":
                    self._cancel_running(parts[1], parts[2])
            else:
                with self._cond:
                    self._wake = True
                    self._cond.notify_all()

    def _cancel_running(self, queue, job_id):
        job = self._running.get((queue, job_id))
        if job is not None:
            job["cancelRequested"] = True
            job["cancel"].set()

    # --- running ---------------------------------------------------------------------------------------------------
    def _slot(self):
        while True:
            item = self._ready.get()
            if item is None:
                return
            q, job = item
            try:
                self._run_one(q, job)
            except Exception:  # a bug here must not lose the slot
                log.exception("worker %s: job %s could not be run", self.id, job.get("id"))
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _run_one(self, q, job):
        if job["kind"] == "r":
            job = self._adopt(q, job["raw"])
            if job is None:
                return
        job["cancel"] = threading.Event()
        key = (q.queue, job["id"])
        self._running[key] = job
        try:
            outcome = self._execute(q, job)
        finally:
            self._running.pop(key, None)
        if job.get("handedBack"):
            return  # the 'back' outcome was recorded at shutdown; this late one is dropped
        outcome["id"], outcome["fence"] = job["id"], job["fence"]
        self._submit(q, outcome)

    def _submit(self, q, outcome):
        with self._cond:
            self._pending_outcomes += 1
        self._outcomes.put((q, outcome))

    def _adopt(self, q, raw):
        try:
            e = env.read(raw, self._opts["max_payload_bytes"])
            if e["format"] != "json":
                raise env.EnvelopeError("invalid-field", f"the payload format '{e['format'][:40]}' is not this worker's 'json'")
        except env.EnvelopeError as err:
            entry = p.dead_entry(q.queue, None, None, err.reason, str(err), raw=raw)
            if p.rawdead(self._scripts, q, self.id, raw, entry, self._opts["dead_max"]) == 1:
                self.counters["dead"] += 1
            return None
        dup = p.dead_entry(q.queue, e["id"], e["name"], "duplicate-id",
                           f"a job with the id {e['id']} already exists; the raw entry was not run", raw=raw)
        verdict = p.adopt(self._scripts, q, self.id, raw, e, dup, self._opts["dead_max"])
        if verdict != "ok":
            return None
        return {"kind": "j", "id": e["id"], "fence": 1, "name": e["name"], "payload": e["payloadBytes"],
                "maxAttempts": e["maxAttempts"], "timeoutMs": e["timeoutMs"], "backoff": None, "failures": 0}

    def _execute(self, q, job):
        name = job["name"]
        if name == command.NAME and self._commands:
            fn, takes_context = None, False
        elif name in self._functions:
            fn, takes_context = self._functions[name]
        else:
            return self._dead(q, job, "unknown-job",
                              f"no job is registered under the name '{name[:200]}' on worker {self.id}; only registered jobs run")
        try:
            payload = json.loads(job["payload"]) if job["payload"] else None
        except ValueError as e:
            return self._dead(q, job, "bad-payload", f"The input of job {name} is not valid JSON: {e}")
        timeout = job["timeoutMs"] / 1000.0 if job["timeoutMs"] else None
        timed_out = threading.Event()
        timer = None
        if timeout is not None:
            def expire():
                timed_out.set()
                job["cancel"].set()
            timer = threading.Timer(timeout, expire)
            timer.daemon = True
            timer.start()
        try:
            if fn is None:
                result = command.run(payload, job["cancel"])
            elif timeout is None:
                result = fn(payload, JobContext(self, q, job)) if takes_context else fn(payload)
            else:
                box = {}

                def call():
                    try:
                        box["r"] = fn(payload, JobContext(self, q, job)) if takes_context else fn(payload)
                    except BaseException as ex:  # carried to the slot thread
                        box["e"] = ex
                t = threading.Thread(target=call, daemon=True)
                t.start()
                while t.is_alive() and not job["cancel"].is_set():
                    t.join(0.05)
                if t.is_alive():
                    # A function cannot be stopped from outside: stop waiting for it (it runs on, outside the slots).
                    raise command.Cancelled()
                if "e" in box:
                    raise box["e"]
                result = box.get("r")
            body = json.dumps(result, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
            if len(body) > self._opts["max_payload_bytes"]:
                return self._failure(q, job, "failed", "Gamut.Jobs.JobSerializationException",
                                     f"The result is {len(body)} bytes, over the limit", None, retryable=False)
            return {"kind": "ok", "body": body, "arg": b""}
        except command.Cancelled:
            if job.get("handedBack"):
                return {"kind": "back"}
            if timed_out.is_set() and not job.get("cancelRequested"):
                return self._timed_out(q, job, timeout)
            return {"kind": "cancel"}
        except command.CommandError as e:
            return self._failure(q, job, "failed", e.type_name, str(e), None, retryable=True)
        except Exception as e:
            t = type(e)
            type_name = t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
            return self._failure(q, job, "failed", type_name, str(e), traceback.format_exc(), retryable=True)
        finally:
            if timer is not None:
                timer.cancel()

    def _failure(self, q, job, code, type_name, message, stack, retryable):
        body = p.error_body(code, type_name, message, stack)
        failures = job["failures"] + 1
        backoff = p.parse_backoff(job["backoff"])
        if retryable and failures < job["maxAttempts"]:
            return {"kind": "retry", "body": body, "arg": str(p.retry_delay_ms(failures, backoff))}
        entry = p.dead_entry(q.queue, job["id"], job["name"], "timeout" if code == "timeout" else "failed",
                             f"{type_name}: {message}", failures)
        return {"kind": "fail", "body": body, "arg": entry}

    def _timed_out(self, q, job, timeout):
        message = f"Job {job['name']} ({job['id']}) timed out after {timeout:g} s"
        backoff = p.parse_backoff(job["backoff"])
        if backoff[4]:
            return self._failure(q, job, "timeout", "TimeoutError", message, None, retryable=True)
        return self._failure(q, job, "timeout", "TimeoutError", message, None, retryable=False)

    def _dead(self, q, job, reason, detail):
        body = p.error_body("dead", p.DEAD_LETTER_TYPE, detail, reason=reason)
        entry = p.dead_entry(q.queue, job["id"], job["name"], reason, detail, job["fence"])
        return {"kind": "dead", "body": body, "arg": entry}

    # --- recording -------------------------------------------------------------------------------------------------
    def _record(self):
        while True:
            first = self._outcomes.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < 500:
                try:
                    item = self._outcomes.get_nowait()
                except _queue.Empty:
                    break
                if item is None:
                    self._outcomes.put(None)
                    break
                batch.append(item)
            by_queue = {}
            for q, o in batch:
                by_queue.setdefault(q.queue, (q, []))[1].append(o)
            for q, outcomes in by_queue.values():
                self._complete(q, outcomes)
            with self._cond:
                self._pending_outcomes -= len(batch)
                self._cond.notify_all()

    def _complete(self, q, outcomes):
        while True:
            try:
                verdicts = p.complete(self._scripts, q, self.id, outcomes, self._opts["result_ttl_ms"],
                                      self._opts["failed_ttl_ms"], self._opts["dead_max"])
                break
            except redis.ConnectionError as e:
                # Every outcome is idempotent on (id, fence): 'already' answers a retried call.
                log.warning("worker %s: recording outcomes failed, retrying: %s", self.id, e)
                time.sleep(0.5)
        for o, v in zip(outcomes, verdicts):
            if v in ("ok", "already"):
                k = {"ok": "succeeded", "retry": "retried", "fail": "failed", "dead": "dead", "cancel": "cancelled"}.get(o["kind"])
                if k:
                    self.counters[k] += 1
            elif v == "duplicate":
                self.counters["fenced"] += 1
                log.warning("worker %s: the outcome of job %s (fence %s) was refused: the job is no longer ours",
                            self.id, o["id"], o["fence"])

    # --- heartbeat and reaping -------------------------------------------------------------------------------------
    def _info(self):
        return json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "queues": ",".join(q.queue for q in self.queues),
                           "concurrency": self.concurrency, "running": self._busy, "started": self._started,
                           "isolation": "threads", "language": "python"}, separators=(",", ":"))

    def _beat(self):
        info = self._info()
        for q in self.queues:
            for job_id in p.heartbeat(self._scripts, q, self.id, int(self.ttl * 1000), info):
                self._cancel_running(q.queue, job_id)
        pipe = self._redis.pipeline(transaction=False)
        pipe.hset(self._global.worker_info(self.id), "info", info)
        pipe.pexpire(self._global.worker_info(self.id), int(self.ttl * 1000))
        pipe.zadd(self._global.workers, {self.id: int(time.time() * 1000)})
        pipe.sadd(self._global.queues, *[q.queue for q in self.queues])
        try:
            pipe.execute()
        except redis.ResponseError:
            pass  # a full Redis refuses what only `status` shows; the beat above went through

    def _maintain(self):
        while not self._stopping.wait(self.interval):
            try:
                self._beat()
                self._reap()
            except redis.RedisError as e:
                self._suspects.clear()
                log.debug("worker %s: beat or reap failed: %s", self.id, e)

    def _reap(self):
        now = time.monotonic()
        for q in self.queues:
            silent = set(p.scan(self._scripts, q))
            for k in [k for k in self._suspects if k[0] == q.queue and k[1] not in silent]:
                del self._suspects[k]
            for w in silent:
                if w == self.id:
                    continue
                since = self._suspects.get((q.queue, w))
                if since is None:
                    self._suspects[(q.queue, w)] = now
                    continue
                if now - since < 2 * self.interval:
                    continue
                r = p.reap(self._scripts, q, w, self._opts["max_lost"], self._opts["failed_ttl_ms"], self._opts["dead_max"],
                           self._opts["result_ttl_ms"])
                del self._suspects[(q.queue, w)]
                if r[0] >= 0:
                    self._redis.zrem(self._global.workers, w)
                    log.warning("worker %s: worker %s on queue %s is gone; %d jobs back in the queue, %d dead-lettered",
                                self.id, w, q.queue, r[0], r[1])

    # --- shutdown --------------------------------------------------------------------------------------------------
    def _shutdown(self):
        deadline = time.monotonic() + self.shutdown_timeout
        with self._cond:
            while self._busy > 0 and time.monotonic() < deadline:
                self._cond.wait(min(0.5, max(0.0, deadline - time.monotonic())))
        # Still running past the timeout: hand them back to the queue (the fence still guards a late result).
        for (qname, _), job in list(self._running.items()):
            job["handedBack"] = True
            job["cancel"].set()
            self._submit(self._byname[qname], {"id": job["id"], "fence": job["fence"], "kind": "back"})
        # Taken but never started (a take raced the stop): hand those back too.
        while True:
            try:
                item = self._ready.get_nowait()
            except _queue.Empty:
                break
            if item is not None and item[1]["kind"] == "j":
                self._submit(item[0], {"id": item[1]["id"], "fence": item[1]["fence"], "kind": "back"})
        for _ in self._pool:
            self._ready.put(None)
        with self._cond:
            while self._pending_outcomes > 0:
                self._cond.wait(0.5)
        self._outcomes.put(None)
        for q in self.queues:
            try:
                p.deregister(self._scripts, q, self.id)
            except redis.RedisError:
                pass
        try:
            self._redis.zrem(self._global.workers, self.id)
            self._redis.delete(self._global.worker_info(self.id))
        except redis.RedisError:
            pass
        self._threads[0].join(2)  # the listener, before its connection closes
        try:
            self._pubsub.close()
        except (redis.RedisError, AttributeError):
            pass
        log.info("worker %s stopped: %s", self.id, self.counters)
