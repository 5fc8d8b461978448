"""Background jobs: rows in the SQL store, claimed by workers through leases.

A job is written in the same transaction as the change that asks for it (`enqueue` takes the caller's
connection), so a committed change always has its job and a rolled-back one never does. A worker claims a
job by taking a lease; if the worker dies, the lease runs out and another worker takes the job over, so a
job runs again until it is done: handlers must be idempotent. Redis, when configured, only wakes workers.
"""

from obert.jobs.queue import (
    Job,
    JobState,
    claim,
    complete,
    enqueue,
    fail,
    get_job,
    heartbeat,
    job_from_row,
    list_jobs,
    release,
)
from obert.jobs.runner import JobContext, JobHandler, JobRunner, LeaseLost
from obert.jobs.schedule import Periodic, tick

__all__ = [
    "Job",
    "JobContext",
    "JobHandler",
    "JobRunner",
    "JobState",
    "LeaseLost",
    "Periodic",
    "claim",
    "complete",
    "enqueue",
    "fail",
    "get_job",
    "heartbeat",
    "job_from_row",
    "list_jobs",
    "release",
    "tick",
]
