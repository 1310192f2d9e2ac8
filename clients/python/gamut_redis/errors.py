"""How a job's end reaches a waiting producer when it is not a result: one error per stable code (docs/protocol.md)."""
from .protocol import GamutError


class JobError(GamutError):
    """A job did not succeed. ``code`` is the stable error code (failed, timeout, crashed, dead, cancelled, lost)."""

    code = "failed"

    def __init__(self, job_id, queue, message):
        super().__init__(message)
        self.job_id = job_id
        self.queue = queue


class JobFailedError(JobError):
    """The job raised (code ``failed``, or ``crashed`` when its process died). ``error`` is the ``e`` object:
    ``type`` (the language's own type name), ``message``, ``stack``."""

    def __init__(self, job_id, queue, code, error):
        super().__init__(job_id, queue, f"job {job_id} failed ({code}): {error.get('type', '?')}: {error.get('message', '')}")
        self.code = code
        self.error = error
        self.type = error.get("type")


class JobTimeoutError(JobError):
    """The job ran past its timeout (code ``timeout``)."""

    code = "timeout"

    def __init__(self, job_id, queue, message, error=None):
        super().__init__(job_id, queue, f"job {job_id} timed out: {message}")
        self.error = error or {}


class JobDeadLetteredError(JobError):
    """The job was dead-lettered (code ``dead``); ``reason`` is the dead-letter reason (unknown-job, bad-payload...)."""

    code = "dead"

    def __init__(self, job_id, queue, reason, message):
        super().__init__(job_id, queue, f"job {job_id} was dead-lettered ({reason}): {message}")
        self.reason = reason


class JobCancelledError(JobError):
    """The job was cancelled (code ``cancelled``)."""

    code = "cancelled"

    def __init__(self, job_id, queue):
        super().__init__(job_id, queue, f"job {job_id} on queue '{queue}' was cancelled")


class JobLostError(JobError):
    """The job's record is gone (code ``lost``): Redis lost it, or it expired."""

    code = "lost"

    def __init__(self, job_id, queue):
        super().__init__(job_id, queue, f"job {job_id} on queue '{queue}' has no record: Redis lost it or it expired")
