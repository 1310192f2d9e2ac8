"""The conformance suite's Python runner (conformance/README.md): each case's state is written under a fresh prefix,
its steps run through gamut_redis.protocol, and the replies, published messages and the state after are compared.

    python3 clients/python/tests/conformance.py redis://127.0.0.1:6379 [conformance/cases]
"""
import glob
import json
import os
import re
import sys
import uuid

import redis

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    from gamut_redis import protocol as p  # the installed package
except ImportError:
    sys.path.insert(0, os.path.dirname(HERE))  # the source tree
    from gamut_redis import protocol as p

CASES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(HERE))), "conformance", "cases")


def _s(v):
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else v


def _sub(value, prefix):
    if isinstance(value, str):
        return value.replace("$P", prefix)
    if isinstance(value, list):
        return [_sub(v, prefix) for v in value]
    if isinstance(value, dict):
        return {_sub(k, prefix): _sub(v, prefix) for k, v in value.items()}
    return value


# --- operations: one protocol operation each, replies in the suite's normalised shapes --------------------------
def _ops(scripts, prefix):
    gk = p.GlobalKeys(prefix)

    def q(step):
        return p.QueueKeys(prefix, step["queue"])

    def take(s):
        jobs, due, _ = p.take(scripts, q(s), s["worker"], s["max"], s.get("maxPayloadBytes", 16 * 1024 * 1024),
                           s.get("deadMax", 10000), s.get("failedTtlMs", 604800000))
        out = []
        for j in jobs:
            if j["kind"] == "r":
                out.append({"raw": _s(j["raw"])})
            else:
                m, to, rb, fl = j["text"]
                job = {"id": j["id"], "fence": j["fence"], "name": j["name"], "payload": _s(j["payload"]),
                       "maxAttempts": m, "timeoutMs": to, "backoff": rb, "failures": fl}
                if j.get("previousSpan"):
                    job["previousSpan"] = j["previousSpan"]
                out.append(job)
        return {"jobs": out, "nextDueMs": due}

    return {
        "enqueue": lambda s: p.enqueue(scripts, q(s), s["jobs"]),
        "take": take,
        "complete": lambda s: p.complete(scripts, q(s), s["worker"], s["outcomes"], s.get("resultTtlMs", 3600000),
                                         s.get("failedTtlMs", 604800000), s.get("deadMax", 10000)),
        "adopt": lambda s: p.adopt(scripts, q(s), s["worker"], s["raw"].encode(), {
            "id": s["id"], "name": s["name"], "payloadBytes": s["payload"].encode(), "maxAttempts": s["maxAttempts"],
            "timeoutMs": s["timeoutMs"], "createdAt": s["createdAt"]}, s["duplicateEntry"], s.get("deadMax", 10000)),
        "rawdead": lambda s: p.rawdead(scripts, q(s), s["worker"], s["raw"].encode(), s["entry"], s.get("deadMax", 10000)),
        "heartbeat": lambda s: sorted(p.heartbeat(scripts, q(s), s["worker"], s["ttlMs"], s["info"])),
        "scan": lambda s: p.scan(scripts, q(s)),
        "reap": lambda s: p.reap(scripts, q(s), s["worker"], s.get("maxLost", 5), s.get("failedTtlMs", 604800000),
                                 s.get("deadMax", 10000), s.get("resultTtlMs", 3600000)),
        "reclaim": lambda s: p.reclaim(scripts, q(s), s["worker"], s["entries"]),
        "deregister": lambda s: p.deregister(scripts, q(s), s["worker"]),
        "cancel": lambda s: p.cancel(scripts, q(s), gk, s["id"], s.get("resultTtlMs", 3600000)),
        "watch": lambda s: [_s(x) for x in p.watch(scripts, q(s), s["id"], s["channel"])],
        "progress": lambda s: p.progress(scripts, q(s), s["worker"], s["id"], s["fence"], s["body"]),
    }


# --- state ------------------------------------------------------------------------------------------------------
def _write(r, key, spec):
    if "hash" in spec:
        r.hset(key, mapping=spec["hash"])
    elif "list" in spec:
        r.rpush(key, *spec["list"])
    elif "set" in spec:
        r.sadd(key, *spec["set"])
    elif "zset" in spec:
        r.zadd(key, {m: float(s) for m, s in spec["zset"].items()})
    elif "string" in spec:
        r.set(key, spec["string"])


def _read(r, key):
    t = _s(r.type(key))
    if t == "hash":
        return {"hash": {_s(k): _s(v) for k, v in r.hgetall(key).items()}}
    if t == "list":
        return {"list": [_s(v) for v in r.lrange(key, 0, -1)]}
    if t == "set":
        return {"set": sorted(_s(v) for v in r.smembers(key))}
    if t == "zset":
        return {"zset": {_s(m): s for m, s in r.zrange(key, 0, -1, withscores=True)}}
    if t == "string":
        return {"string": _s(r.get(key))}
    return {t: None}


class Mismatch(AssertionError):
    pass


def match(expected, actual, window, where):
    """Compares with the suite's placeholders: $any, $now / $now+N (Redis ms within the step window), $re:REGEX,
    {"$json": X} (a string holding JSON that matches X)."""
    if isinstance(expected, dict) and set(expected) == {"$json"}:
        try:
            actual = json.loads(actual)
        except (TypeError, ValueError):
            raise Mismatch(f"{where}: expected JSON, got {actual!r}")
        return match(expected["$json"], actual, window, where)
    if isinstance(expected, str) and expected == "$any":
        return
    if isinstance(expected, str) and expected.startswith("$now"):
        offset = int(expected[5:]) if len(expected) > 4 else 0
        try:
            v = float(actual)
        except (TypeError, ValueError):
            raise Mismatch(f"{where}: expected a time, got {actual!r}")
        if not window[0] + offset <= v <= window[1] + offset:
            raise Mismatch(f"{where}: {v} is not within [{window[0] + offset}, {window[1] + offset}]")
        return
    if isinstance(expected, str) and expected.startswith("$re:"):
        if not isinstance(actual, str) or not re.search(expected[4:], actual):
            raise Mismatch(f"{where}: {actual!r} does not match {expected[4:]!r}")
        return
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(expected) != set(actual):
            raise Mismatch(f"{where}: expected fields {sorted(expected)}, got {actual!r}")
        for k in expected:
            match(expected[k], actual[k], window, f"{where}.{k}")
        return
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(expected) != len(actual):
            raise Mismatch(f"{where}: expected {expected!r}, got {actual!r}")
        for i, (e, a) in enumerate(zip(expected, actual)):
            match(e, a, window, f"{where}[{i}]")
        return
    if isinstance(expected, (int, float)) and not isinstance(expected, bool) and isinstance(actual, (int, float)):
        if float(expected) != float(actual):
            raise Mismatch(f"{where}: expected {expected!r}, got {actual!r}")
        return
    if expected != actual:
        raise Mismatch(f"{where}: expected {expected!r}, got {actual!r}")


def _redis_ms(r):
    s, us = r.time()
    return s * 1000 + us // 1000


def run_case(r, scripts, case):
    prefix = "cf" + uuid.uuid4().hex[:10]
    case = _sub(case, prefix)
    ops = _ops(scripts, prefix)
    for key, spec in case.get("before", {}).items():
        _write(r, key, spec)
    ps = r.pubsub(ignore_subscribe_messages=True)
    ps.psubscribe(prefix + ":*")
    ps.get_message(timeout=5)  # the psubscribe confirmation
    window = [_redis_ms(r), 0]
    for i, step in enumerate(case["steps"]):
        where = f"step {i + 1} ({step['op']})"
        try:
            reply = ops[step["op"]](step)
            if "error" in step:
                raise Mismatch(f"{where}: expected an error starting {step['error']!r}, got {reply!r}")
        except redis.ResponseError as e:
            if "error" not in step or not str(e).startswith(step["error"]):
                raise Mismatch(f"{where}: {e}")
            reply = None
        window[1] = _redis_ms(r)
        if "reply" in step:
            match(step["reply"], reply, window, where + " reply")
        # Everything the step published arrives before this sentinel (one connection delivers in order).
        sentinel = prefix + ":sentinel"
        r.publish(sentinel, "end")
        got = []
        while True:
            m = ps.get_message(timeout=10)
            if m is None:
                raise Mismatch(f"{where}: the sentinel message never came")
            if m["type"] != "pmessage":
                continue
            if _s(m["channel"]) == sentinel:
                break
            got.append({"channel": _s(m["channel"]), "message": _s(m["data"])})
        if "published" in step:
            exp = step["published"]
            if len(exp) != len(got):
                raise Mismatch(f"{where}: expected {len(exp)} messages, got {got!r}")
            for k, (e, g) in enumerate(zip(exp, got)):
                match(e["channel"], g["channel"], window, f"{where} message {k} channel")
                if "message" in e:
                    match(e["message"], g["message"], window, f"{where} message {k}")
                else:
                    head, _, body = g["message"].partition("\n")
                    match(e["header"], head, window, f"{where} message {k} header")
                    match({"$json": e["json"]}, body, window, f"{where} message {k} body")
    ps.close()
    keys = sorted(_s(k) for k in r.scan_iter(match=prefix + ":*", count=1000) if _s(k) != prefix + ":layout")
    after = case.get("after", {})
    if keys != sorted(after):
        raise Mismatch(f"keys after: expected {sorted(after)}, got {keys}")
    for key, spec in after.items():
        actual = _read(r, key)
        kind = next(k for k in spec if k != "ttl")
        match({kind: spec[kind]}, actual, window, key)
        if "ttl" in spec:
            ttl = r.pttl(key)
            if spec["ttl"] and ttl <= 0:
                raise Mismatch(f"{key}: expected an expiry, got PTTL {ttl}")
            if not spec["ttl"] and ttl != -1:
                raise Mismatch(f"{key}: expected no expiry, got PTTL {ttl}")
    for k in keys:
        r.delete(k)


def load_cases(folder=CASES):
    cases = []
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        with open(path, encoding="utf-8") as f:
            for c in json.load(f):
                c["file"] = os.path.basename(path)
                cases.append(c)
    return cases


def main(argv):
    url = argv[1] if len(argv) > 1 else "redis://127.0.0.1:6379"
    folder = argv[2] if len(argv) > 2 else CASES
    r = redis.Redis.from_url(url)
    scripts = p.Scripts(r)
    failed = 0
    cases = load_cases(folder)
    for c in cases:
        try:
            run_case(r, scripts, c)
            print(f"pass  {c['file']}: {c['name']}")
        except Mismatch as e:
            failed += 1
            print(f"FAIL  {c['file']}: {c['name']}\n      {e}")
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
