"""Rules on a job's configuration that botocore's model cannot express (checked before
anything changes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, Optional

from ...protocol.errors import invalid_request
from . import maintenance

MAX_TIMEOUT_MINUTES = 10080
MAX_STATUS_DETAILS = 10


def check_configs(p: Dict[str, Any]) -> None:
    timeout = (p.get("timeoutConfig") or {}).get("inProgressTimeoutInMinutes")
    if timeout is not None and not 1 <= timeout <= MAX_TIMEOUT_MINUTES:
        raise invalid_request(f"inProgressTimeoutInMinutes must be between 1 and {MAX_TIMEOUT_MINUTES}; got {timeout}.")
    rollout = p.get("jobExecutionsRolloutConfig") or {}
    rate = rollout.get("maximumPerMinute")
    if rate is not None and rate > 1000:
        raise invalid_request(f"maximumPerMinute must be at most 1000; got {rate}.")
    exponential = rollout.get("exponentialRate") or {}
    criteria = exponential.get("rateIncreaseCriteria")
    if criteria is not None and len([v for v in criteria.values() if v is not None]) != 1:
        raise invalid_request(
            "rateIncreaseCriteria must set exactly one of numberOfNotifiedThings or numberOfSucceededThings."
        )
    # botocore's docs: "up to one digit after the decimal (1.5, but not 1.55)".
    _check_decimals(exponential.get("incrementFactor"), 1, "incrementFactor")
    # ... and "up to two digits after the decimal (10.9 and 10.99, but not 10.999)".
    for criterion in (p.get("abortConfig") or {}).get("criteriaList") or []:
        _check_decimals(criterion.get("thresholdPercentage"), 2, "thresholdPercentage")


def _check_decimals(value: Optional[float], places: int, member: str) -> None:
    if value is None:
        return
    exponent = Decimal(repr(float(value))).normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        digits = "one digit" if places == 1 else f"{places} digits"
        raise invalid_request(f"{member} supports up to {digits} after the decimal point; got {value}.")


def check_maintenance(target_selection: str, spec: Dict[str, Any]) -> None:
    """Measured: maintenance windows (given directly or by a template) need a CONTINUOUS
    job and a schedulingConfig.startTime."""
    if not maintenance.windows(spec):
        return
    if target_selection == "SNAPSHOT":
        raise invalid_request("TargetSelection is invalid. MaintenanceWindow cannot be used with SNAPSHOT job.")
    if not (spec.get("schedulingConfig") or {}).get("startTime"):
        raise invalid_request("MaintenanceWindow cannot be used without StartTime of SchedulingConfig.")


def check_status_details(details: Optional[Dict[str, str]]) -> None:
    """The docs (CancelJobExecution): at most 10 name/value pairs; applied wherever a
    caller may set statusDetails."""
    if details is not None and len(details) > MAX_STATUS_DETAILS:
        raise invalid_request(
            f"statusDetails can hold at most {MAX_STATUS_DETAILS} name/value pairs; got {len(details)}."
        )
