"""Shadows in the OTA loop: devices report the firmware they run to their shadow,
and the backend picks the next rollout's targets by what the shadows report.

The backend asks fleet indexing (``shadow.reported.firmware``), so it needs the
index in ``REGISTRY_AND_SHADOW`` mode; :func:`enable_shadow_index` turns it on.
"""

from __future__ import annotations

import json
from typing import Any, List


def enable_shadow_index(iot: Any) -> None:
    iot.update_indexing_configuration(thingIndexingConfiguration={"thingIndexingMode": "REGISTRY_AND_SHADOW"})


def report_firmware(data: Any, thing: str, version: str) -> int:
    """What a device does after installing an update: report the version it runs.
    Returns the shadow's new version."""
    payload = json.dumps({"state": {"reported": {"firmware": version}}})
    answer = json.loads(data.update_thing_shadow(thingName=thing, payload=payload)["payload"].read())
    return int(answer["version"])


def things_running(iot: Any, version: str) -> List[str]:
    """Names of the things whose shadow reports ``version``, all pages."""
    names: List[str] = []
    params = {"queryString": f'shadow.reported.firmware:"{version}"', "maxResults": 100}
    while True:
        page = iot.search_index(**params)
        names += [thing["thingName"] for thing in page["things"]]
        if not page.get("nextToken"):
            return names
        params["nextToken"] = page["nextToken"]


def roll_out_to_old_firmware(iot: Any, job_id: str, old: str, new: str) -> List[str]:
    """Create a SNAPSHOT job for every thing still on ``old``; returns the targets."""
    targets = things_running(iot, old)
    if targets:
        arns = [iot.describe_thing(thingName=name)["thingArn"] for name in targets]
        iot.create_job(jobId=job_id, targets=arns, document=json.dumps({"firmware": new}))
    return targets
