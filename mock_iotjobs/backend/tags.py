"""Tags, kept per resource ARN."""

from __future__ import annotations

from typing import Dict, List


class TagStore:
    def __init__(self) -> None:
        self.by_arn: Dict[str, Dict[str, str]] = {}

    def set(self, arn: str, tags: List[Dict[str, str]]) -> None:
        current = self.by_arn.setdefault(arn, {})
        for tag in tags:
            current[tag["Key"]] = tag.get("Value", "")

    def remove(self, arn: str, keys: List[str]) -> None:
        current = self.by_arn.get(arn, {})
        for key in keys:
            current.pop(key, None)

    def list(self, arn: str) -> List[Dict[str, str]]:
        return [{"Key": k, "Value": v} for k, v in self.by_arn.get(arn, {}).items()]

    def drop(self, arn: str) -> None:
        self.by_arn.pop(arn, None)
