"""The job envelope, version 1 (docs/protocol.md): build one, and judge one a foreign producer pushed."""
import base64
import json
import re
import time

from .protocol import ENVELOPE_VERSION, new_id

_ID = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
_NAME = re.compile(r"^[A-Za-z0-9._:+-]{1,200}$")
_FORMAT = re.compile(r"^[a-z0-9.+-]{1,32}$")
_TRACE = re.compile(r"^[0-9a-f-]{1,128}$")
_INT_MAX = 2**31 - 1


class EnvelopeError(ValueError):
    """An envelope refused; ``reason`` is the dead-letter reason (not-json, wrong-shape, missing-field, ...)."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


def build(name, payload, job_id=None, max_attempts=1, timeout_ms=None, created_at_ms=None, traceparent=None):
    env = {"v": ENVELOPE_VERSION, "id": job_id or new_id(), "name": name, "payload": payload}
    if max_attempts != 1:
        env["maxAttempts"] = max_attempts
    if timeout_ms is not None:
        env["timeoutMs"] = timeout_ms
    env["createdAt"] = int(time.time() * 1000) if created_at_ms is None else created_at_ms
    if traceparent:
        env["traceparent"] = traceparent
    return json.dumps(env, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _pairs(pairs):
    seen = {}
    for k, v in pairs:
        if k in ("v", "id", "name", "payload", "format", "attempt", "maxAttempts", "timeoutMs", "createdAt",
                 "traceparent") and k in seen:
            raise EnvelopeError("invalid-field", f"the field '{k}' appears twice")
        seen[k] = v
    return seen


def _int(env, field, lo, hi, default):
    if field not in env:
        return default
    v = env[field]
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise EnvelopeError("invalid-field", f"'{field}' must be an integer from {lo} to {hi}")
    return v


def read(raw, max_bytes=16 * 1024 * 1024):
    """Judges a raw entry; returns a dict with id, name, payloadBytes, format, attempt, maxAttempts, timeoutMs,
    createdAt (ms; 0 when absent), traceparent. Raises EnvelopeError with the dead-letter reason."""
    if len(raw) > max_bytes:
        raise EnvelopeError("too-large", f"the envelope is {len(raw)} bytes (limit {max_bytes})")
    if raw.startswith(b"\xef\xbb\xbf"):
        raise EnvelopeError("not-json", "a byte order mark")
    try:
        text = raw.decode("utf-8")
        env = json.loads(text, object_pairs_hook=_pairs, parse_constant=_no_constant, parse_float=_float)
    except EnvelopeError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise EnvelopeError("not-json", f"not one JSON document: {e}")
    if not isinstance(env, dict):
        raise EnvelopeError("wrong-shape", "valid JSON that is not an object")
    if "v" not in env:
        raise EnvelopeError("missing-field", "the field 'v' is missing")
    v = env["v"]
    if isinstance(v, bool) or not isinstance(v, int):
        raise EnvelopeError("invalid-field", "'v' must be an integer")
    if v != ENVELOPE_VERSION:
        raise EnvelopeError("unsupported-version", f"envelope version {v} (this worker reads {ENVELOPE_VERSION})")
    for f in ("id", "name", "payload"):
        if f not in env:
            raise EnvelopeError("missing-field", f"the field '{f}' is missing")
    if not isinstance(env["id"], str) or not _ID.match(env["id"]):
        raise EnvelopeError("invalid-field", "'id' must be 1-200 of A-Z a-z 0-9 . _ -")
    if not isinstance(env["name"], str) or not _NAME.match(env["name"]):
        raise EnvelopeError("invalid-field", "'name' must be 1-200 of A-Z a-z 0-9 . _ - : +")
    fmt = env.get("format", "json")
    if not isinstance(fmt, str) or not _FORMAT.match(fmt):
        raise EnvelopeError("invalid-field", "'format' must be 1-32 of a-z 0-9 . + -")
    tp = env.get("traceparent")
    if tp is not None and (not isinstance(tp, str) or not _TRACE.match(tp)):
        raise EnvelopeError("invalid-field", "'traceparent' must be 1-128 of 0-9 a-f -")
    timeout = env.get("timeoutMs")
    if timeout is not None:
        timeout = _int(env, "timeoutMs", 1, _INT_MAX, None)
    payload = env["payload"]
    if fmt == "json":
        payload_bytes = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    else:
        if not isinstance(payload, str):
            raise EnvelopeError("invalid-field", "a payload of a format other than json is a base64 string")
        try:
            payload_bytes = base64.b64decode(payload, validate=True)
        except ValueError:
            raise EnvelopeError("invalid-field", "the payload is not valid base64")
    return {
        "id": env["id"], "name": env["name"], "payloadBytes": payload_bytes, "format": fmt,
        "attempt": _int(env, "attempt", 1, _INT_MAX, 1), "maxAttempts": _int(env, "maxAttempts", 1, _INT_MAX, 1),
        "timeoutMs": timeout, "createdAt": _int(env, "createdAt", 0, 253402300799999, 0), "traceparent": tp,
    }


def _no_constant(name):
    raise EnvelopeError("not-json", f"{name} is not JSON")


def _float(text):
    return float(text)
