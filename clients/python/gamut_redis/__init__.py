"""A Python client and worker for Gamut's Redis protocol (docs/redis-protocol.md, layout 1; docs/protocol.md, envelope 1)."""
from .client import Client, JobHandle
from .errors import (JobCancelledError, JobDeadLetteredError, JobError, JobFailedError, JobLostError,
                     JobTimeoutError)
from .protocol import LAYOUT_VERSION, GamutError, LayoutError, ProtocolInputError
from .worker import JobContext, Worker

__all__ = ["Client", "JobHandle", "Worker", "JobContext", "GamutError", "LayoutError", "ProtocolInputError",
           "JobError", "JobFailedError", "JobTimeoutError", "JobDeadLetteredError", "JobCancelledError", "JobLostError",
           "LAYOUT_VERSION"]
