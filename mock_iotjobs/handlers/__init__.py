"""Importing this package registers every implemented operation."""

from . import device, endpoint, job_executions, jobs, things  # noqa: F401
