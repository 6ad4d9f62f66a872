"""Importing this package registers every implemented operation."""

from . import device, endpoint, groups, job_executions, jobs, tags, templates, things  # noqa: F401
