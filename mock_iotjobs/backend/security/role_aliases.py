"""Role aliases: names devices use to get AWS credentials for an IAM role from the
IoT credentials provider (the mock stores them; it issues no credentials)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ...protocol.errors import already_exists, invalid_request, not_found
from ..arns import iot_arn

if TYPE_CHECKING:
    from ..state import Backend

# AWS: credentials are valid for 3,600 seconds unless the alias says otherwise.
DEFAULT_DURATION = 3600
_ROLE_ARN = re.compile(r"arn:aws(?:-cn|-us-gov)?:iam::\d{12}:role/[\w+=,.@/-]+")


@dataclass
class RoleAlias:
    name: str
    arn: str
    seq: int
    role_arn: str
    owner: str
    duration: int
    created_at: float
    last_modified: float

    def describe(self) -> Dict[str, Any]:
        return {
            "roleAlias": self.name,
            "roleAliasArn": self.arn,
            "roleArn": self.role_arn,
            "owner": self.owner,
            "credentialDurationSeconds": self.duration,
            "creationDate": self.created_at,
            "lastModifiedDate": self.last_modified,
        }


def _check_role_arn(role_arn: str) -> None:
    if not _ROLE_ARN.fullmatch(role_arn):
        raise invalid_request(f"{role_arn} is not a valid IAM role ARN.")


class RoleAliases:
    def __init__(self, backend: "Backend") -> None:
        self._backend = backend
        self.by_name: Dict[str, RoleAlias] = {}

    def arn_for(self, name: str) -> str:
        return iot_arn(self._backend.region, self._backend.account_id, f"rolealias/{name}")

    def get(self, name: str) -> RoleAlias:
        alias = self.by_name.get(name)
        if alias is None:
            raise not_found(f"Role alias {name} does not exist.")
        return alias

    def listing(self, ascending: bool) -> List[RoleAlias]:
        return sorted(self.by_name.values(), key=lambda a: a.seq, reverse=not ascending)

    def create(self, name: str, role_arn: str, duration: Optional[int]) -> RoleAlias:
        existing = self.by_name.get(name)
        if existing is not None:
            raise already_exists(f"Role alias {name} already exists.", resource_id=name, resource_arn=existing.arn)
        _check_role_arn(role_arn)
        now = self._backend.now()
        alias = RoleAlias(
            name=name,
            arn=self.arn_for(name),
            seq=self._backend.next_seq(),
            role_arn=role_arn,
            owner=self._backend.account_id,
            duration=DEFAULT_DURATION if duration is None else duration,
            created_at=now,
            last_modified=now,
        )
        self.by_name[name] = alias
        return alias

    def update(self, name: str, role_arn: Optional[str], duration: Optional[int]) -> RoleAlias:
        alias = self.get(name)
        if role_arn is not None:
            _check_role_arn(role_arn)
            alias.role_arn = role_arn
        if duration is not None:
            alias.duration = duration
        alias.last_modified = self._backend.now()
        return alias

    def delete(self, name: str) -> None:
        alias = self.get(name)
        del self.by_name[name]
        self._backend.tags.drop(alias.arn)
