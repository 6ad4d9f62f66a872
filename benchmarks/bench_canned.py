"""Canned answers for the Stubber and wire-floor backends.

Each answer is written once in wire form (what the service sends: epoch
numbers for timestamps) and turned into botocore's parsed form (datetimes)
for the Stubber by walking the operation's output shape.  The bodies mirror
what AWS (and mock_iotjobs) send for the same calls, so the floor pays for
the same amount of parsing as a real answer.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Dict, List, Optional

from dateutil.tz import tzlocal

ACCOUNT = "123456789012"
REGION = "us-east-1"
ARN = f"arn:aws:iot:{REGION}:{ACCOUNT}"
NOW = 1795434501.298
JOB_ID = "ota-1"
GROUP = "fleet"
PAGE = 250  # the scenario's maxResults, also ListJobExecutionsForJob's default
DOCUMENT = json.dumps({"operation": "ota", "url": "https://example.com/firmware-2.1.bin", "version": "2.1"})

_THING = {
    "thingName": "dev-00000",
    "thingArn": f"{ARN}:thing/dev-00000",
    "thingId": "5b1f4a0e-7a6c-4d0e-9a4f-0c8e5e3f2a11",
}

_EXECUTION_SUMMARY = {
    "status": "QUEUED",
    "queuedAt": NOW,
    "lastUpdatedAt": NOW,
    "executionNumber": 1,
    "retryAttempt": 0,
}

_JOB = {
    "jobArn": f"{ARN}:job/{JOB_ID}",
    "jobId": JOB_ID,
    "targetSelection": "SNAPSHOT",
    "status": "COMPLETED",
    "targets": [f"{ARN}:thinggroup/{GROUP}"],
    "createdAt": NOW,
    "lastUpdatedAt": NOW + 12.5,
    "completedAt": NOW + 12.5,
    "jobProcessDetails": {
        "numberOfCanceledThings": 0,
        "numberOfSucceededThings": 2000,
        "numberOfFailedThings": 0,
        "numberOfRejectedThings": 0,
        "numberOfQueuedThings": 0,
        "numberOfInProgressThings": 0,
        "numberOfRemovedThings": 0,
        "numberOfTimedOutThings": 0,
    },
    "isConcurrent": False,
}

# One answer per operation (wire form); ListJobExecutionsForJob is paged, see pages().
WIRE: Dict[str, Dict[str, Any]] = {
    "CreateThing": dict(_THING),
    "DescribeThing": {**_THING, "defaultClientId": "dev-00000", "attributes": {}, "version": 1},
    "CreateThingGroup": {
        "thingGroupName": GROUP,
        "thingGroupArn": f"{ARN}:thinggroup/{GROUP}",
        "thingGroupId": "9d2c7e1a-3b4f-4c5d-8e6f-7a8b9c0d1e2f",
    },
    "AddThingToThingGroup": {},
    "CreateJob": {"jobArn": f"{ARN}:job/{JOB_ID}", "jobId": JOB_ID},
    "DescribeJob": {"job": _JOB},
    "StartNextPendingJobExecution": {
        "execution": {
            "jobId": JOB_ID,
            "thingName": "dev-00000",
            "status": "IN_PROGRESS",
            "queuedAt": int(NOW),
            "startedAt": int(NOW),
            "lastUpdatedAt": int(NOW),
            "versionNumber": 2,
            "executionNumber": 1,
            "jobDocument": DOCUMENT,
        }
    },
    "UpdateJobExecution": {},
    "GetPendingJobExecutions": {
        "inProgressJobs": [],
        "queuedJobs": [
            {
                "jobId": JOB_ID,
                "queuedAt": int(NOW),
                "lastUpdatedAt": int(NOW),
                "versionNumber": 1,
                "executionNumber": 1,
            }
        ],
    },
}


def pages(fleet_size: int) -> List[Dict[str, Any]]:
    """ListJobExecutionsForJob pages for a fleet of ``fleet_size``; tokens are 'p1', 'p2', ..."""
    out: List[Dict[str, Any]] = []
    start = 0
    while True:
        count = min(PAGE, fleet_size - start)
        page: Dict[str, Any] = {
            "executionSummaries": [
                {"thingArn": f"{ARN}:thing/dev-{i:05d}", "jobExecutionSummary": dict(_EXECUTION_SUMMARY)}
                for i in range(start, start + count)
            ]
        }
        start += count
        if start < fleet_size:
            page["nextToken"] = f"p{len(out) + 1}"
        out.append(page)
        if start >= fleet_size:
            return out


def wire_body(answer: Dict[str, Any]) -> bytes:
    return json.dumps(answer, separators=(",", ":")).encode()


def parsed(shape: Any, value: Any) -> Any:
    """The wire-form ``value`` as botocore would parse it against ``shape``."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        return {key: parsed(shape.members.get(key), item) for key, item in value.items()}
    if kind == "list":
        return [parsed(shape.member, item) for item in value]
    if kind == "map":
        return {key: parsed(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        return datetime.datetime.fromtimestamp(value, tzlocal())
    return value


def parsed_answers(client: Any, operation: str, fleet_size: Optional[int] = None) -> List[Dict[str, Any]]:
    """Parsed-form answers for ``operation`` (every page for the paged listing)."""
    output = client.meta.service_model.operation_model(operation).output_shape
    wire = pages(fleet_size or 1) if operation == "ListJobExecutionsForJob" else [WIRE[operation]]
    return [parsed(output, answer) for answer in wire]
