"""Importing this package registers every implemented operation.

Handlers are split by domain, the same domains as ``backend/``.
"""

from . import endpoint, tags  # noqa: F401
from .jobs import device, executions, jobs, templates  # noqa: F401
from .registry import dynamic_groups, groups, indexing, things  # noqa: F401
from .security import ca_certificates, certificates, principals  # noqa: F401
