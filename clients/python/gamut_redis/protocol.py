"""Gamut's Redis protocol (layout 1): key names, the scripts, and one function per protocol operation.

Everything here follows docs/redis-protocol.md; the client and the worker are built on these functions, and the
conformance runner (tests/conformance.py) calls them by operation name.
"""
import json
import os
import random
import re
import time

import redis

#: The layout version this package reads and writes (the ``P:layout`` key).
LAYOUT_VERSION = "1"
#: The job envelope version (docs/protocol.md).
ENVELOPE_VERSION = 1

DEFAULT_PREFIX = "gamut"
DEFAULT_QUEUE = "default"

_PREFIX_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_QUEUE_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
_NAME_RE = re.compile(r"^[A-Za-z0-9._:+-]{1,200}$")

SCRIPT_NAMES = (
    "enqueue", "take", "complete", "adopt", "rawdead", "scan", "reap", "heartbeat",
    "deregister", "cancel", "watch", "progress", "reclaim",
)
_SCRIPT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts")


class GamutError(Exception):
    """Base of this package's errors."""


class LayoutError(GamutError):
    """The keys under the prefix are in a layout version this package does not speak."""


class ProtocolInputError(GamutError, ValueError):
    """A name, id or argument that the protocol does not allow."""


def check_prefix(prefix):
    if not isinstance(prefix, str) or not _PREFIX_RE.match(prefix):
        raise ProtocolInputError(f"prefix {prefix!r} is not valid: use 1 to 64 of A-Z a-z 0-9 . _ - :")
    return prefix


def check_queue(queue):
    if not isinstance(queue, str) or not _QUEUE_RE.match(queue):
        raise ProtocolInputError(f"queue {queue!r} is not valid: use 1 to 100 of A-Z a-z 0-9 . _ -")
    return queue


def check_id(job_id):
    if not isinstance(job_id, str) or not _ID_RE.match(job_id):
        raise ProtocolInputError(f"job id {job_id!r} is not valid: use 1 to 200 of A-Z a-z 0-9 . _ -")
    return job_id


def check_name(name):
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ProtocolInputError(f"job name {name!r} is not valid: use 1 to 200 of A-Z a-z 0-9 . _ - : +")
    return name


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id():
    """A ULID: 48 bits of Unix ms then 80 random bits, 26 characters of Crockford base32 (time-ordered)."""
    n = (int(time.time() * 1000) << 80) | random.getrandbits(80)
    out = []
    for _ in range(26):
        out.append(_CROCKFORD[n & 31])
        n >>= 5
    return "".join(reversed(out))


class GlobalKeys:
    """The keys and channels of an application that belong to no queue."""

    def __init__(self, prefix):
        self.prefix = check_prefix(prefix)
        self.layout = prefix + ":layout"
        self.queues = prefix + ":queues"
        self.workers = prefix + ":workers"
        self.ctl_prefix = prefix + ":ctl:"

    def worker_info(self, worker):
        return f"{self.prefix}:worker:{worker}"

    def reply(self, client):
        return f"{self.prefix}:reply:{client}"

    def ctl(self, worker):
        return self.ctl_prefix + worker


class QueueKeys:
    """The keys of one queue: all start with ``P:{Q}:`` (one Redis Cluster slot)."""

    def __init__(self, prefix, queue):
        check_prefix(prefix)
        self.queue = check_queue(queue)
        tag = f"{prefix}:{{{queue}}}:"
        self.tag = tag
        self.ready = tag + "queue"
        self.delayed = tag + "delayed"
        self.stats = tag + "stats"
        self.dead = tag + "dead"
        self.workers = tag + "workers"
        self.dups = tag + "dups"
        self.raw = tag + "raw"
        self.paused = tag + "paused"
        self.rate = tag + "rate"
        self.rate_log = tag + "rate:log"
        self.job_prefix = tag + "job:"
        self.active_prefix = tag + "active:"
        self.hb_prefix = tag + "hb:"
        self.cancels_prefix = tag + "cancels:"
        self.wake = f"{prefix}:wake:{queue}"

    def job(self, job_id):
        return self.job_prefix + job_id

    def active(self, worker):
        return self.active_prefix + worker

    def hb(self, worker):
        return self.hb_prefix + worker

    def cancels(self, worker):
        return self.cancels_prefix + worker


def load_script_source(name):
    """A script as sent to Redis: prelude.lua, a newline, then the script's own file (docs/redis-protocol.md)."""
    with open(os.path.join(_SCRIPT_DIR, "prelude.lua"), encoding="utf-8") as f:
        prelude = f.read()
    with open(os.path.join(_SCRIPT_DIR, name + ".lua"), encoding="utf-8") as f:
        body = f.read()
    return prelude + "\n" + body


class Scripts:
    """The protocol's scripts registered on one redis-py client (EVALSHA, falling back to EVAL/SCRIPT LOAD)."""

    def __init__(self, r):
        self._scripts = {name: r.register_script(load_script_source(name)) for name in SCRIPT_NAMES}

    def call(self, name, keys, args, client=None):
        return self._scripts[name](keys=keys, args=args, client=client)


def check_layout(r, prefix):
    """Stores the layout version when missing, then refuses another one (every client and worker, at start)."""
    key = GlobalKeys(prefix).layout
    try:
        r.set(key, LAYOUT_VERSION, nx=True)
    except redis.ResponseError as e:
        # A full Redis (OOM) or one refusing writes for a moment: read what is there.
        if not (str(e).startswith("OOM") or "READONLY" in str(e)):
            raise
    stored = r.get(key)
    if stored is not None and _text(stored) != LAYOUT_VERSION:
        raise LayoutError(
            f"the Gamut keys under '{prefix}:' are in layout version '{_text(stored)[:40]}' ({key}), and this client "
            f"speaks version {LAYOUT_VERSION}: it would misread them. Use a client that speaks that version, or "
            f"another prefix")


def _text(v):
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else ("" if v is None else str(v))


def _b(v):
    if v is None:
        return b""
    if isinstance(v, bytes):
        return v
    if isinstance(v, str):
        return v.encode("utf-8")
    if isinstance(v, bool):
        return b"1" if v else b"0"
    if isinstance(v, (int, float)):
        return str(v).encode("ascii")
    return json.dumps(v, separators=(",", ":")).encode("utf-8")


def format_backoff(initial_ms=100, max_ms=30000, multiplier=2.0, jitter=0.2, retry_on_timeout=False):
    """The record's ``rb`` field: ``initialMs,maxMs,multiplier,jitter,retryOnTimeout``."""
    def num(x):
        return str(int(x)) if float(x).is_integer() else repr(float(x))
    return f"{int(initial_ms)},{int(max_ms)},{num(multiplier)},{num(jitter)},{1 if retry_on_timeout else 0}"


def parse_backoff(text):
    """(initialMs, maxMs, multiplier, jitter, retryOnTimeout) from ``rb``; the defaults when absent or malformed."""
    default = (100, 30000, 2.0, 0.2, False)
    if not text:
        return default
    parts = _text(text).split(",")
    if len(parts) != 5:
        return default
    try:
        return (min(max(int(parts[0]), 0), 86400000), min(max(int(parts[1]), 0), 86400000),
                min(max(float(parts[2]), 1.0), 100.0), min(max(float(parts[3]), 0.0), 1.0), parts[4] == "1")
    except ValueError:
        return default


def retry_delay_ms(failures, backoff, rand=random.random):
    """The delay before the retry that follows ``failures`` failed attempts (failures >= 1), computed by the worker:
    min(initial * multiplier^(failures-1), max) * (1 + (2u-1) * jitter), u uniform in [0,1), at least 0."""
    initial, maximum, multiplier, jitter, _ = backoff
    ms = min(initial * multiplier ** (failures - 1), maximum)
    if jitter > 0:
        ms *= 1 + (rand() * 2 - 1) * jitter
    return max(0, int(ms))


# --- operations (docs/redis-protocol.md; the conformance suite names them) ---------------------------------------

def enqueue(scripts, q, jobs, client=None):
    """``jobs``: dicts with id, name, payload (bytes/str), and optionally delayMs, maxAttempts, backoff (the ``rb``
    text), timeoutMs, watchers. Returns one reply per job: 'created' or the existing job's state."""
    args = [q.job_prefix, len(jobs), q.wake]
    for j in jobs:
        extra = []
        m = int(j.get("maxAttempts") or 1)
        if m > 1:
            extra += ["m", m]
            if j.get("backoff"):
                extra += ["rb", j["backoff"]]
        if j.get("timeoutMs"):
            extra += ["to", max(1, int(j["timeoutMs"]))]
        if j.get("watchers"):
            extra += ["x", j["watchers"]]
        delay = int(j.get("delayMs") or 0)
        args += [check_id(j["id"]), check_name(j["name"]), _b(j["payload"]), max(1, delay) if delay > 0 else 0,
                 len(extra) // 2] + extra
    return [_text(x) for x in scripts.call("enqueue", [q.ready, q.delayed, q.stats], args, client)]


def take(scripts, q, worker, max_jobs, max_payload_bytes=16 * 1024 * 1024, dead_max=10000, failed_ttl_ms=604800000,
         client=None):
    """Returns (jobs, nextDueMs or None, rateWaitMs or None); a job is a dict: kind 'j' (id, fence, name, payload, maxAttempts,
    timeoutMs, backoff, failures, traceparent, tracestate) or kind 'r' (raw entry bytes). Takes nothing while the
    queue is paused (the ``paused`` key exists). The queue's rate limit (``rate``) is kept by the script; when it
    allowed no start, rateWaitMs is how long until it allows the next (relative: wait on this machine's clock)."""
    reply = scripts.call("take", [q.ready, q.delayed, q.active(worker), q.stats, q.dead, q.paused, q.rate, q.rate_log],
                         [q.job_prefix, worker, max_jobs, max_payload_bytes, dead_max, failed_ttl_ms, q.queue], client)
    jobs = []
    for row in reply[0]:
        if _text(row[0]) == "j":
            jobs.append({
                "kind": "j", "id": _text(row[1]), "fence": int(row[2]), "name": _text(row[3]), "payload": row[4],
                "maxAttempts": int(row[5]) if row[5] not in (b"", "", None) else 1,
                "timeoutMs": int(row[6]) if row[6] not in (b"", "", None) else None,
                "backoff": _text(row[7]) or None,
                "failures": int(row[8]) if row[8] not in (b"", "", None) else 0,
                "traceparent": _text(row[9]) if len(row) > 9 and row[9] else None,
                "tracestate": _text(row[10]) if len(row) > 10 and row[10] else None,
                "previousSpan": _text(row[11]) if len(row) > 11 and row[11] else None,
                "text": [_text(x) for x in row[5:9]],  # m, to, rb, fl as stored ('' when absent)
            })
        else:
            jobs.append({"kind": "r", "raw": row[1]})
    due = reply[1]
    wait = reply[2] if len(reply) > 2 else None
    return (jobs, int(float(_text(due))) if due not in (b"", "", None) else None,
            int(wait) if wait not in (b"", "", None) else None)


def complete(scripts, q, worker, outcomes, result_ttl_ms=3600000, failed_ttl_ms=604800000, dead_max=10000,
             client=None):
    """``outcomes``: dicts with id, fence, kind (ok retry fail dead cancel back), body, arg, and optionally span (the
    delivery's traceparent). Returns per outcome
    'ok', 'duplicate', 'already' or 'missing'."""
    args = [q.job_prefix, worker, len(outcomes), result_ttl_ms, failed_ttl_ms, dead_max, q.queue, q.wake]
    for o in outcomes:
        args += [o["id"], int(o["fence"]), o["kind"], _b(o.get("body")), _b(o.get("arg"))]
    if any(o.get("span") for o in outcomes):
        # Optional trailing arguments: each delivery's span (traceparent), stored with a retry for the next one's link.
        args += [o.get("span") or "" for o in outcomes]
    keys = [q.active(worker), q.ready, q.delayed, q.stats, q.dead, q.dups]
    return [_text(x) for x in scripts.call("complete", keys, args, client)]


def adopt(scripts, q, worker, raw, envelope, duplicate_entry, dead_max=10000, client=None):
    """Replaces a raw entry in ``active:W`` by a job record (fence 1). Returns 'ok', 'gone' or 'duplicate-id'."""
    timeout = envelope.get("timeoutMs")
    args = [raw, worker, envelope["id"], envelope["name"], envelope["payloadBytes"], envelope.get("maxAttempts", 1),
            "" if timeout is None else int(timeout), envelope.get("createdAt") or 0, duplicate_entry, dead_max]
    return _text(scripts.call("adopt", [q.active(worker), q.stats, q.dead, q.job(envelope["id"])], args, client))


def rawdead(scripts, q, worker, raw, entry, dead_max=10000, client=None):
    return int(scripts.call("rawdead", [q.active(worker), q.dead, q.stats], [raw, entry, dead_max], client))


def heartbeat(scripts, q, worker, ttl_ms, info, client=None):
    """Beats and returns (and clears) the ids of running jobs to cancel."""
    return [_text(x) for x in scripts.call("heartbeat", [q.hb(worker), q.workers, q.cancels(worker)],
                                           [worker, int(ttl_ms), _b(info)], client)]


def scan(scripts, q, client=None):
    return sorted(_text(x) for x in scripts.call("scan", [q.workers], [q.hb_prefix], client))


def reap(scripts, q, worker, max_lost=5, failed_ttl_ms=604800000, dead_max=10000, result_ttl_ms=3600000, client=None):
    """Returns [requeued, deadLettered, dropped] or [-1] when the worker's heartbeat is back."""
    keys = [q.active(worker), q.ready, q.hb(worker), q.stats, q.dead, q.workers, q.cancels(worker), q.raw]
    args = [q.job_prefix, worker, max_lost, failed_ttl_ms, dead_max, q.queue, q.wake, result_ttl_ms]
    return [int(x) for x in scripts.call("reap", keys, args, client)]


def reclaim(scripts, q, worker, entries, client=None):
    return int(scripts.call("reclaim", [q.active(worker), q.ready, q.stats], [q.job_prefix, worker, q.wake] + list(entries),
                            client))


def deregister(scripts, q, worker, client=None):
    return int(scripts.call("deregister", [q.hb(worker), q.workers, q.active(worker), q.cancels(worker)], [worker], client))


def cancel(scripts, q, gk, job_id, result_ttl_ms=3600000, client=None):
    """Returns 'cancelled', 'cancelling', 'missing', or the state of an ended job."""
    return _text(scripts.call("cancel", [q.job(job_id), q.ready, q.delayed, q.stats],
                              [job_id, result_ttl_ms, q.cancels_prefix, gk.ctl_prefix, q.queue], client))


def watch(scripts, q, job_id, channel, client=None):
    """Returns [state] while pending, [state, result, error] when ended, ['missing']."""
    reply = scripts.call("watch", [q.job(job_id)], [channel], client)
    return [reply[0].decode() if isinstance(reply[0], bytes) else reply[0]] + list(reply[1:])


def progress(scripts, q, worker, job_id, fence, body, client=None):
    return int(scripts.call("progress", [q.job(job_id)], [int(fence), worker, _b(body), q.queue, job_id], client))


# --- errors -----------------------------------------------------------------------------------------------------

#: The stable error codes (docs/protocol.md) and the .NET type names older Gamut workers send without a code.
DEAD_LETTER_TYPE = "Gamut.Redis.DeadLetter"
TIMEOUT_TYPE = "Gamut.Jobs.JobTimeoutException"


def error_body(code, type_name, message, stack=None, reason=None):
    e = {"code": code, "type": type_name}
    if reason is not None:
        e["reason"] = reason
    e["message"] = message
    if stack:
        e["stack"] = stack
    return json.dumps(e, separators=(",", ":"), ensure_ascii=False)


def error_code(error):
    """The stable code of an ``e`` JSON object: its ``code``, else derived from its ``type``."""
    if not isinstance(error, dict):
        return "failed"
    code = error.get("code")
    if isinstance(code, str) and code:
        return code
    t = error.get("type")
    if t == DEAD_LETTER_TYPE:
        return "dead"
    if t == TIMEOUT_TYPE:
        return "timeout"
    return "failed"


def dead_entry(queue, job_id, name, reason, detail, attempts=0, raw=None):
    e = {}
    if job_id is not None:
        e["id"] = job_id
    e["queue"] = queue
    if name is not None:
        e["name"] = name
    e["reason"] = reason
    e["detail"] = detail
    if attempts > 0:
        e["attempts"] = attempts
    e["at"] = int(time.time() * 1000)
    if raw is not None:
        e["entry"] = "".join(chr(b) if 0x20 <= b < 0x7F else "?" for b in raw[:200])
    return json.dumps(e, separators=(",", ":"), ensure_ascii=False)
