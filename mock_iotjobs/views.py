"""Read-only snapshots of the mock's state, for assertions in tests.

The handle's ``jobs()``, ``executions()`` and ``things()`` return these plain,
frozen dataclasses.  They are copies taken under the backend's lock: holding
one never blocks the mock, and later calls never change it.  Timestamps are
epoch seconds (floats) on the mock's clock.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from .backend.events.notifications import Notification

if TYPE_CHECKING:
    from .backend.jobs.model import Job, JobExecution
    from .backend.registry.things import Thing
    from .backend.security.certificates import Certificate

__all__ = ["CertificateView", "ExecutionView", "JobView", "Notification", "ThingView"]


@dataclass(frozen=True)
class JobView:
    """A job as it stands.

    ``counts`` maps every execution status (``"QUEUED"``, ``"IN_PROGRESS"``,
    ``"SUCCEEDED"``, ``"FAILED"``, ``"REJECTED"``, ``"CANCELED"``,
    ``"TIMED_OUT"``, ``"REMOVED"``) to the number of things whose latest
    execution has it, as ``jobProcessDetails`` reports them.  ``waiting`` is
    the number of targeted things a paced rollout has not notified yet.
    """

    job_id: str
    arn: str
    status: str
    target_selection: str
    targets: Tuple[str, ...]
    counts: Dict[str, int]
    created_at: float
    last_updated_at: float
    completed_at: Optional[float]
    description: Optional[str]
    document: Optional[str]
    force_canceled: Optional[bool]
    reason_code: Optional[str]
    comment: Optional[str]
    waiting: int
    config: Dict[str, Any]

    @classmethod
    def of(cls, job: "Job") -> "JobView":
        rollout = job.rollout
        return cls(
            job_id=job.job_id,
            arn=job.arn,
            status=job.status,
            target_selection=job.target_selection,
            targets=tuple(job.targets),
            counts=dict(job.counts),
            created_at=job.created_at,
            last_updated_at=job.last_updated_at,
            completed_at=job.completed_at,
            description=job.description,
            document=job.document,
            force_canceled=job.force_canceled,
            reason_code=job.reason_code,
            comment=job.comment,
            waiting=len(rollout.waiting) if rollout is not None else 0,
            config=copy.deepcopy(job.config),
        )


@dataclass(frozen=True)
class ExecutionView:
    """One job execution on one thing (``execution_number`` counts retries and re-runs)."""

    job_id: str
    thing_name: str
    thing_arn: str
    status: str
    execution_number: int
    version_number: int
    status_details: Dict[str, str]
    queued_at: float
    started_at: Optional[float]
    last_updated_at: float
    force_canceled: Optional[bool]
    retry_attempt: int

    @classmethod
    def of(cls, execution: "JobExecution") -> "ExecutionView":
        return cls(
            job_id=execution.job_id,
            thing_name=execution.thing_name,
            thing_arn=execution.thing_arn,
            status=execution.status,
            execution_number=execution.execution_number,
            version_number=execution.version_number,
            status_details=dict(execution.status_details),
            queued_at=execution.queued_at,
            started_at=execution.started_at,
            last_updated_at=execution.last_updated_at,
            force_canceled=execution.force_canceled,
            retry_attempt=execution.retry_attempt,
        )


@dataclass(frozen=True)
class ThingView:
    """A thing and the thing groups it is a direct member of (in membership order),
    its thing type and its billing group (None when it has none)."""

    name: str
    arn: str
    attributes: Dict[str, str]
    version: int
    type_name: Optional[str]
    groups: Tuple[str, ...]
    billing_group: Optional[str] = None

    @classmethod
    def of(cls, thing: "Thing", groups: Tuple[str, ...] = ()) -> "ThingView":
        return cls(
            name=thing.name,
            arn=thing.arn,
            attributes=dict(thing.attributes),
            version=thing.version,
            type_name=thing.type_name,
            groups=groups,
            billing_group=thing.billing_group,
        )


@dataclass(frozen=True)
class CertificateView:
    """A device certificate: its id (the SHA-256 of its DER), status, PEM, the
    registered CA that signed it (None for the mock CA's own), and the things and
    policies attached to it."""

    certificate_id: str
    arn: str
    status: str
    mode: str
    pem: str
    ca_certificate_id: Optional[str]
    created_at: float
    things: Tuple[str, ...]
    policies: Tuple[str, ...]

    @classmethod
    def of(cls, cert: "Certificate", things: Tuple[str, ...], policies: Tuple[str, ...]) -> "CertificateView":
        return cls(
            certificate_id=cert.cert_id,
            arn=cert.arn,
            status=cert.status,
            mode=cert.mode,
            pem=cert.pem,
            ca_certificate_id=cert.ca_id,
            created_at=cert.created,
            things=things,
            policies=policies,
        )
