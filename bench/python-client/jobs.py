"""The job the benchmark's Python workers run (loaded with --load jobs): it returns its input, like RQ's and Celery's peers."""


def noop(x):
    return x


GAMUT_JOBS = {"bench.noop": noop}
