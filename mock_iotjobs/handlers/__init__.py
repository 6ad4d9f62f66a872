"""Importing this package registers every implemented operation.

Handlers are split by domain, the same domains as ``backend/``.
"""

from . import endpoint, shadows, tags  # noqa: F401
from .commands import commands as command_handlers  # noqa: F401
from .commands import executions as command_execution_handlers  # noqa: F401
from .events import configurations  # noqa: F401
from .jobs import device, executions, jobs, templates  # noqa: F401
from .registry import billing_groups, dynamic_groups, groups, indexing, thing_types, things  # noqa: F401
from .rules import topic_rules  # noqa: F401
from .security import (  # noqa: F401
    authorization,
    ca_certificates,
    certificates,
    domain_configurations,
    policies,
    principals,
    role_aliases,
)
