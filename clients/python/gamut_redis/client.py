"""The producer side: enqueue jobs for Gamut workers (of any language), await their results, cancel, read status."""
import datetime
import json
import threading
import time

import redis

from . import protocol as p
from .errors import JobCancelledError, JobDeadLetteredError, JobFailedError, JobLostError, JobTimeoutError

_ENDED = ("succeeded", "failed", "dead", "cancelled")


class JobHandle(tuple):
    """Where a job is: (queue, id)."""

    def __new__(cls, queue, job_id):
        return tuple.__new__(cls, (queue, job_id))

    @property
    def queue(self):
        return self[0]

    @property
    def id(self):
        return self[1]


def _json_bytes(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _ms_to_datetime(v):
    if v in (None, b"", ""):
        return None
    return datetime.datetime.fromtimestamp(int(v) / 1000, tz=datetime.timezone.utc)


class Client:
    """A Gamut producer on one Redis (``redis://`` URL). Checks the layout version at start.

    ``enqueue``/``enqueue_many`` return handles; ``result`` waits for one (subscribe, then re-read the record, as the
    protocol asks); ``cancel`` and ``status`` act on a handle.
    """

    def __init__(self, url="redis://127.0.0.1:6379", prefix=p.DEFAULT_PREFIX, queue=p.DEFAULT_QUEUE, batch=1000):
        self.prefix = p.check_prefix(prefix)
        self.queue = p.check_queue(queue)
        self._redis = redis.Redis.from_url(url)
        p.check_layout(self._redis, prefix)
        self._scripts = p.Scripts(self._redis)
        self._global = p.GlobalKeys(prefix)
        self._queues = {}
        self._known = set()
        self.client_id = "py-" + p.new_id().lower()
        self.reply_channel = self._global.reply(self.client_id)
        self._batch = batch
        self._lock = threading.Lock()
        self._replies = {}          # (queue, id) -> (kind, body) for replies that came before anyone waited
        self._waiting = {}          # (queue, id) -> threading.Event
        self._pubsub = None
        self._subscribed = threading.Event()
        self._generation = 0        # bumped at every (re)subscription: waiters re-read the record then
        self._listener = None
        self._closed = False

    # --- enqueue ---------------------------------------------------------------------------------------------------
    def _q(self, queue):
        queue = queue or self.queue
        k = self._queues.get(queue)
        if k is None:
            k = self._queues[queue] = p.QueueKeys(self.prefix, queue)
        return k

    def enqueue(self, name, payload=None, **options):
        """Enqueues one job; see ``enqueue_many`` for the options. Returns its handle."""
        return self.enqueue_many(name, [payload], **options)[0]

    def enqueue_many(self, name, payloads, queue=None, ids=None, max_attempts=1, timeout_ms=None, delay_ms=0,
                     backoff=None, wait=True, raw_payload=False):
        """Enqueues one job per payload (JSON-serialised unless ``raw_payload``), in batches of one script call each.

        ``wait`` (default): the jobs carry this client's reply channel, so ``result`` hears of them without a
        ``watch``. ``backoff``: a dict of initial_ms, max_ms, multiplier, jitter, retry_on_timeout. An id that
        already has a job is not enqueued again (idempotent): its handle is returned all the same.
        """
        p.check_name(name)
        q = self._q(queue)
        if wait:
            self._ensure_listening()
        rb = p.format_backoff(**backoff) if backoff else None
        handles = []
        jobs = []
        for i, payload in enumerate(payloads):
            job_id = ids[i] if ids is not None else p.new_id()
            jobs.append({
                "id": job_id, "name": name, "payload": payload if raw_payload else _json_bytes(payload),
                "delayMs": delay_ms, "maxAttempts": max_attempts, "timeoutMs": timeout_ms, "backoff": rb,
                "watchers": self.reply_channel if wait else None,
            })
            handles.append(JobHandle(q.queue, job_id))
        for start in range(0, len(jobs), self._batch):
            p.enqueue(self._scripts, q, jobs[start:start + self._batch])
        if q.queue not in self._known:
            self._redis.sadd(self._global.queues, q.queue)
            self._known.add(q.queue)
        return handles

    # --- results ---------------------------------------------------------------------------------------------------
    def _ensure_listening(self):
        with self._lock:
            if self._listener is not None:
                return
            self._pubsub = self._redis.pubsub(ignore_subscribe_messages=False)
            self._pubsub.subscribe(self.reply_channel)
            self._listener = threading.Thread(target=self._listen, name="gamut-replies", daemon=True)
            self._listener.start()
        self._subscribed.wait(30)

    def _listen(self):
        while not self._closed:
            try:
                message = self._pubsub.get_message(timeout=1.0)
            except (redis.ConnectionError, redis.TimeoutError, ValueError, AttributeError):
                if self._closed:
                    return
                time.sleep(0.2)
                try:
                    self._pubsub.subscribe(self.reply_channel)
                except redis.RedisError:
                    pass
                continue
            if message is None:
                continue
            if message["type"] == "subscribe":
                # (Re)subscribed: a message may have been lost meanwhile, so every waiter re-reads its record.
                with self._lock:
                    self._generation += 1
                    events = list(self._waiting.values())
                self._subscribed.set()
                for e in events:
                    e.set()
                continue
            if message["type"] != "message":
                continue
            data = message["data"]
            nl = data.find(b"\n")
            if nl < 0:
                continue
            head = data[:nl].decode("ascii", "replace").split(" ")
            if len(head) != 3 or head[0] == "progress":
                continue
            key = (head[1], head[2])
            with self._lock:
                self._replies[key] = (head[0], data[nl + 1:])
                e = self._waiting.get(key)
            if e is not None:
                e.set()

    def result(self, handle, timeout=None):
        """Waits for a job's end and returns its result (JSON-decoded), or raises JobFailedError, JobTimeoutError,
        JobDeadLetteredError, JobCancelledError, JobLostError. ``timeout`` (seconds) raises TimeoutError."""
        self._ensure_listening()
        key = (handle[0], handle[1])
        q = self._q(handle[0])
        deadline = None if timeout is None else time.monotonic() + timeout
        event = threading.Event()
        with self._lock:
            self._waiting[key] = event
        try:
            while True:
                event.clear()
                with self._lock:
                    reply = self._replies.pop(key, None)
                if reply is not None:
                    return self._decode(handle, q, reply[0], reply[1])
                # Re-read the record (after subscribing: a message sent before we listened is not lost this way).
                w = p.watch(self._scripts, q, handle[1], self.reply_channel)
                state = w[0]
                if state == "missing":
                    raise JobLostError(handle[1], handle[0])
                if state in _ENDED:
                    body = w[2] if state != "succeeded" else w[1]
                    return self._decode(handle, q, "succeeded" if state == "succeeded" else state, body)
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(f"job {handle[1]} on queue '{handle[0]}' did not end within {timeout} s")
                # Wait for the reply; re-read now and then as a guard (a record that expired, a lost message).
                event.wait(5.0 if remaining is None else min(5.0, remaining))
        finally:
            with self._lock:
                self._waiting.pop(key, None)
                self._replies.pop(key, None)

    def results(self, handles, timeout=None):
        """The results of many jobs, in order (each as ``result``)."""
        return [self.result(h, timeout) for h in handles]

    def _decode(self, handle, q, kind, body):
        if kind == "succeeded":
            return json.loads(body) if body else None
        if kind == "done":
            r = self._redis.hget(q.job(handle[1]), "r")
            if r is None:
                raise JobLostError(handle[1], handle[0])
            return json.loads(r) if r else None
        if kind == "cancelled":
            raise JobCancelledError(handle[1], handle[0])
        try:
            error = json.loads(body) if body else {}
        except ValueError:
            error = {"message": body.decode("utf-8", "replace")}
        code = p.error_code(error)
        if kind == "dead" or code == "dead":
            raise JobDeadLetteredError(handle[1], handle[0], error.get("reason") or "dead", error.get("message", ""))
        if code == "timeout":
            raise JobTimeoutError(handle[1], handle[0], error.get("message", ""), error)
        raise JobFailedError(handle[1], handle[0], code, error)

    # --- cancel and status -----------------------------------------------------------------------------------------
    def cancel(self, handle):
        """'cancelled' (it was queued or delayed), 'cancelling' (its worker is told), 'missing', or its end state."""
        return p.cancel(self._scripts, self._q(handle[0]), self._global, handle[1])

    def status(self, handle):
        """The job's record as a dict (None when there is none)."""
        f = self._redis.hmget(self._q(handle[0]).job(handle[1]),
                              ["s", "n", "a", "fl", "l", "w", "c", "st", "fin", "e", "g", "cx", "m", "to"])
        if f[0] is None:
            return None
        t = p._text
        return {
            "state": t(f[0]), "name": t(f[1]) if f[1] is not None else None,
            "deliveries": int(f[2] or 0), "failures": int(f[3] or 0), "lost": int(f[4] or 0),
            "worker": t(f[5]) if f[5] is not None else None,
            "createdAt": _ms_to_datetime(f[6]), "startedAt": _ms_to_datetime(f[7]), "finishedAt": _ms_to_datetime(f[8]),
            "error": json.loads(f[9]) if f[9] else None, "progress": json.loads(f[10]) if f[10] else None,
            "cancelRequested": f[11] is not None, "maxAttempts": int(f[12] or 1),
            "timeoutMs": int(f[13]) if f[13] else None,
        }

    def close(self):
        self._closed = True
        if self._listener is not None:
            self._listener.join(3)
        if self._pubsub is not None:
            try:
                self._pubsub.close()
            except redis.RedisError:
                pass
        self._redis.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
