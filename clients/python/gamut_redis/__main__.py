"""gamut-py: a Python worker (``worker``) or producer (``enqueue``) on Gamut's Redis protocol.

  python3 -m gamut_redis worker --redis URL [--prefix P] [--queues Q1,Q2] [-j N] [--id W] [--load module] ...
  python3 -m gamut_redis enqueue --redis URL [--prefix P] [--queue Q] [--wait] NAME JSON...
"""
import argparse
import importlib
import json
import logging
import sys

from . import protocol as p
from .client import Client
from .errors import JobError
from .worker import Worker


def main(argv=None):
    ap = argparse.ArgumentParser(prog="gamut-py", description="A Python worker or producer for Gamut on Redis")
    sub = ap.add_subparsers(dest="command", required=True)
    w = sub.add_parser("worker", help="run jobs: gamut.command and the functions of --load modules")
    w.add_argument("--redis", default="redis://127.0.0.1:6379")
    w.add_argument("--prefix", default=p.DEFAULT_PREFIX)
    w.add_argument("--queues", "-q", default=p.DEFAULT_QUEUE)
    w.add_argument("--jobs", "-j", type=int, default=4, help="concurrent jobs (threads)")
    w.add_argument("--id")
    w.add_argument("--load", action="append", default=[],
                   help="a module whose GAMUT_JOBS dict (name -> function) is registered")
    w.add_argument("--heartbeat-interval", type=float, default=1.0)
    w.add_argument("--heartbeat-ttl", type=float, default=5.0)
    w.add_argument("--shutdown-timeout", type=float, default=30.0)
    e = sub.add_parser("enqueue", help="enqueue one job per JSON payload")
    e.add_argument("--redis", default="redis://127.0.0.1:6379")
    e.add_argument("--prefix", default=p.DEFAULT_PREFIX)
    e.add_argument("--queue", default=p.DEFAULT_QUEUE)
    e.add_argument("--wait", action="store_true", help="wait for the results and print them, one JSON a line")
    e.add_argument("name")
    e.add_argument("payloads", nargs="+")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="gamut-py: %(message)s")
    try:
        if a.command == "worker":
            functions = {}
            for m in a.load:
                functions.update(getattr(importlib.import_module(m), "GAMUT_JOBS", {}))
            Worker(a.redis, a.prefix, a.queues.split(","), a.jobs, a.id, functions, a.heartbeat_interval,
                   a.heartbeat_ttl, a.shutdown_timeout).run()
            return 0
        payloads = []
        for text in a.payloads:
            try:
                payloads.append(json.loads(text))
            except ValueError as err:
                print(f"gamut-py: the payload {text[:60]!r} is not JSON: {err}", file=sys.stderr)
                return 2
        with Client(a.redis, a.prefix, a.queue) as c:
            handles = c.enqueue_many(a.name, payloads, wait=a.wait)
            status = 0
            for h in handles:
                if not a.wait:
                    print(h.id)
                    continue
                try:
                    print(json.dumps(c.result(h)))
                except JobError as err:
                    print(f"gamut-py: {err}", file=sys.stderr)
                    status = 1
            return status
    except p.GamutError as err:
        print(f"gamut-py: {err}", file=sys.stderr)
        return 2
    except ImportError as err:
        print(f"gamut-py: --load: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
