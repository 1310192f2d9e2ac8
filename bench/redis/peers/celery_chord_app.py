# Celery app for celery_chord.sh: Redis broker and result backend (the backend counts a chord's members in Redis).
import os
from celery import Celery
port = int(os.environ.get("REDIS_PORT", "6390"))
app = Celery("chord", broker=f"redis://127.0.0.1:{port}/0", backend=f"redis://127.0.0.1:{port}/0")
app.conf.worker_hijack_root_logger = False
app.conf.result_chord_join_timeout = 600
@app.task
def ident(x):
    return x
@app.task
def count(xs):
    return len(xs)
