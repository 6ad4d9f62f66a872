"""ARN construction in one place, so every resource's ARN has the same partition logic."""

from __future__ import annotations


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def iot_arn(region: str, account_id: str, resource: str) -> str:
    return f"arn:{partition(region)}:iot:{region}:{account_id}:{resource}"
