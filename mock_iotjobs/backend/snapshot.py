"""A plain, JSON-ready picture of one backend's whole state.

Used by server mode's ``GET /_mock_iotjobs/state`` and by tests that prove a
refused call changed nothing (compare a snapshot before and after).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, Dict

from .jobs.model import Job, JobExecution

if TYPE_CHECKING:
    from .state import Backend


def _execution(execution: JobExecution) -> Dict[str, Any]:
    return {
        "thingName": execution.thing_name,
        "thingArn": execution.thing_arn,
        "executionNumber": execution.execution_number,
        "status": execution.status,
        "statusDetails": dict(execution.status_details),
        "queuedAt": execution.queued_at,
        "startedAt": execution.started_at,
        "lastUpdatedAt": execution.last_updated_at,
        "versionNumber": execution.version_number,
        "forceCanceled": execution.force_canceled,
        "retryAttempt": execution.retry_attempt,
        "inProgressDeadline": execution.in_progress_deadline,
        "stepDeadline": execution.step_deadline,
    }


def _job(job: Job) -> Dict[str, Any]:
    return {
        "jobId": job.job_id,
        "jobArn": job.arn,
        "status": job.status,
        "targetSelection": job.target_selection,
        "targets": list(job.targets),
        "targetGroups": list(job.target_groups),
        "document": job.document,
        "documentSource": job.document_source,
        "description": job.description,
        "createdAt": job.created_at,
        "lastUpdatedAt": job.last_updated_at,
        "completedAt": job.completed_at,
        "forceCanceled": job.force_canceled,
        "reasonCode": job.reason_code,
        "comment": job.comment,
        "config": job.config,
        "counts": dict(job.counts),
        "waiting": [name for name, _ in job.rollout.waiting] if job.rollout is not None else [],
        "executions": {
            key: [_execution(e) for e in history] for key, history in job.history.items()
        },
    }


def _plain(value: Any) -> Any:
    """JSON-ready: bytes (command payloads, binary parameters and results) as base64."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def snapshot(backend: "Backend") -> Dict[str, Any]:
    groups = backend.groups.by_name
    return {
        "things": [thing.describe() for thing in backend.things.by_name.values()],
        "thingGroups": [
            {
                "name": g.name,
                "arn": g.arn,
                "parent": g.parent,
                "version": g.version,
                "properties": g.properties(),
                "members": list(g.members),
                "children": list(g.children),
            }
            for g in groups.values()
        ],
        "thingTypes": [t.describe() for t in backend.thing_types.by_name.values()],
        "billingGroups": [
            {**g.describe(), "members": list(g.members)} for g in backend.billing_groups.by_name.values()
        ],
        "eventConfigurations": backend.event_configurations.describe(),
        "jobs": [_job(job) for job in backend.jobs.by_id.values()],
        "jobTemplates": [t.describe() for t in backend.templates.by_id.values()],
        "tags": {arn: dict(tags) for arn, tags in backend.tags.by_arn.items() if tags},
        "commands": [_plain(c.describe()) for c in backend.commands.by_id.values()],
        "commandExecutions": [_plain(e.describe()) for e in backend.command_executions.by_id.values()],
        "notifications": {
            thing: len(messages) for thing, messages in backend.notifications.by_thing.items()
        },
        "events": len(backend.notifications.events),
        "shadows": [
            {"thingName": thing, "shadowName": name or None, **shadow.document()}
            for (thing, name), shadow in backend.shadows.live.items()
        ],
        "retainedMessages": [m.topic for m in backend.retained.listing()],
        "indexing": backend.indexing.describe_configuration(),
        "pendingTimers": backend.scheduler.pending(),
        # Public material only: the mock never keeps a device's private key, and its CA key stays out.
        "certificates": [cert.describe() for cert in backend.certificates.by_id.values()],
        "caCertificates": [
            {**ca.describe(), "registrationConfig": dict(ca.registration_config)}
            for ca in backend.ca_certificates.by_id.values()
        ],
        "thingPrincipals": {
            thing: {principal: a.kind for principal, a in attached.items()}
            for thing, attached in backend.principals.by_thing.items()
        },
        "policies": _policies(backend),
        "roleAliases": [a.describe() for a in backend.role_aliases.by_name.values()],
        "domainConfigurations": [c.describe() for c in backend.domain_configurations.by_name.values()],
        "topicRules": [dict(r.describe(), ruleArn=r.arn) for r in backend.topic_rules.by_name.values()],
    }


def _policies(backend: "Backend") -> Dict[str, Any]:
    policies = backend.policies
    return {
        policy.name: {
            "arn": policy.arn,
            "defaultVersionId": policy.default_id,
            "generationId": policy.generation_id,
            "versions": {str(v.version_id): v.document for v in policy.versions.values()},
            "targets": [target for _, target in policies.targets_of(policy.name)],
        }
        for policy in policies.by_name.values()
    }
