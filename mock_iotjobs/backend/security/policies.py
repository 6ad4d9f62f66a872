"""IoT policies, their versions and their attachments.

A policy keeps every stored version (document and parsed statements) and which
one is the default; the default version is the one in force for the targets the
policy is attached to.  Attachments are kept in both directions, each stamped
with a backend sequence number so listings are stable and paginate.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, List, Tuple

from ...protocol.errors import ServiceError, already_exists, limit_exceeded, not_found
from ..arns import iot_arn
from . import policy_targets
from .policy_documents import Statement, parse_policy_document

if TYPE_CHECKING:
    from ..state import Backend

# AWS quotas: 5 versions of a named policy; 10 policies attached to one target.
MAX_VERSIONS = 5
MAX_POLICIES_PER_TARGET = 10


@dataclass
class PolicyVersion:
    version_id: int
    document: str
    statements: List[Statement]
    created_at: float
    last_modified: float


@dataclass
class Policy:
    name: str
    arn: str
    seq: int
    created_at: float
    last_modified: float
    default_id: int
    generation_id: str
    versions: Dict[int, PolicyVersion] = field(default_factory=dict)
    # Version ids are never reused, even after a version is deleted.
    next_id: int = 2

    @property
    def default(self) -> PolicyVersion:
        return self.versions[self.default_id]


class Policies:
    def __init__(self, backend: "Backend") -> None:
        self._backend = backend
        self.by_name: Dict[str, Policy] = {}
        # Target → policy name → attachment sequence number, and the reverse.
        self._of_target: Dict[str, Dict[str, int]] = {}
        self._of_policy: Dict[str, Dict[str, int]] = {}

    # --- the interface other domains rely on ------------------------------------
    def attached_to(self, target: str) -> List[str]:
        """Names of the policies attached to ``target`` (a certificate ARN, thing group ARN, ...)."""
        entries = self._of_target.get(target, {})
        return sorted(entries, key=lambda name: entries[name])

    def forget_target(self, target: str) -> None:
        """Drop every attachment to ``target`` (it was deleted)."""
        self._backend.auth_epoch += 1
        for name in self._of_target.pop(target, {}):
            self._of_policy.get(name, {}).pop(target, None)

    # --- policies ---------------------------------------------------------------------
    def arn_for(self, name: str) -> str:
        return iot_arn(self._backend.region, self._backend.account_id, f"policy/{name}")

    def get(self, name: str) -> Policy:
        policy = self.by_name.get(name)
        if policy is None:
            raise not_found(f"Policy {name} does not exist.")
        return policy

    def listing(self, ascending: bool) -> List[Policy]:
        return sorted(self.by_name.values(), key=lambda p: p.seq, reverse=not ascending)

    def create(self, name: str, document: str) -> Policy:
        if name in self.by_name:
            existing = self.by_name[name]
            raise already_exists(f"Policy {name} already exists.", resource_id=name, resource_arn=existing.arn)
        statements = parse_policy_document(document)
        now = self._backend.now()
        policy = Policy(
            name=name,
            arn=self.arn_for(name),
            seq=self._backend.next_seq(),
            created_at=now,
            last_modified=now,
            default_id=1,
            generation_id="",
        )
        policy.versions[1] = PolicyVersion(1, document, statements, now, now)
        self._new_generation(policy)
        self.by_name[name] = policy
        return policy

    def delete(self, name: str) -> None:
        policy = self.get(name)
        if self._of_policy.get(name):
            raise ServiceError(
                "DeleteConflictException",
                f"The policy cannot be deleted as the policy is attached to one or more principals (name={name})",
            )
        if len(policy.versions) > 1:
            raise ServiceError(
                "DeleteConflictException",
                f"The policy cannot be deleted as versions other than the default version exist (name={name})",
            )
        del self.by_name[name]
        self._backend.auth_epoch += 1
        self._of_policy.pop(name, None)
        self._backend.tags.drop(policy.arn)

    # --- versions --------------------------------------------------------------------
    def create_version(self, name: str, document: str, set_as_default: bool) -> PolicyVersion:
        policy = self.get(name)
        statements = parse_policy_document(document)
        if len(policy.versions) >= MAX_VERSIONS:
            raise ServiceError(
                "VersionsLimitExceededException",
                f"The policy {name} already has the maximum number of versions ({MAX_VERSIONS}); "
                "delete a version before creating a new one.",
            )
        now = self._backend.now()
        version = PolicyVersion(policy.next_id, document, statements, now, now)
        policy.versions[version.version_id] = version
        policy.next_id += 1
        if set_as_default:
            self._make_default(policy, version)
        return version

    def get_version(self, name: str, version_id: str) -> Tuple[Policy, PolicyVersion]:
        policy = self.get(name)
        version = policy.versions.get(int(version_id))
        if version is None:
            raise not_found(f"Version {version_id} of policy {name} does not exist.")
        return policy, version

    def set_default(self, name: str, version_id: str) -> None:
        policy, version = self.get_version(name, version_id)
        if version.version_id != policy.default_id:
            self._make_default(policy, version)

    def delete_version(self, name: str, version_id: str) -> None:
        policy, version = self.get_version(name, version_id)
        if version.version_id == policy.default_id:
            raise ServiceError(
                "DeleteConflictException",
                f"Cannot delete the default version {version_id} of policy {name}; "
                "set another version as the default or delete the policy.",
            )
        del policy.versions[version.version_id]

    def _make_default(self, policy: Policy, version: PolicyVersion) -> None:
        now = self._backend.now()
        policy.versions[policy.default_id].last_modified = now
        policy.default_id = version.version_id
        version.last_modified = now
        policy.last_modified = now
        self._new_generation(policy)

    def _new_generation(self, policy: Policy) -> None:
        # generationId changes whenever the policy in force changes.
        seed = f"{policy.arn}:{policy.default_id}:{self._backend.next_seq()}"
        policy.generation_id = hashlib.sha256(seed.encode()).hexdigest()
        self._backend.auth_epoch += 1

    # --- attachments -------------------------------------------------------------------
    def attach(self, name: str, target: str) -> None:
        self.get(name)
        policy_targets.require(self._backend, target)
        current = self._of_target.get(target, {})
        if name in current:
            return
        if len(current) >= MAX_POLICIES_PER_TARGET:
            raise limit_exceeded(
                f"{target} already has the maximum number of attached policies ({MAX_POLICIES_PER_TARGET})."
            )
        seq = self._backend.next_seq()
        self._of_target.setdefault(target, {})[name] = seq
        self._backend.auth_epoch += 1
        self._of_policy.setdefault(name, {})[target] = seq

    def detach(self, name: str, target: str) -> None:
        """Detach ``name`` from ``target``; detaching what is not attached changes nothing."""
        policy_targets.kind_of(target)
        self._backend.auth_epoch += 1
        self._of_target.get(target, {}).pop(name, None)
        self._of_policy.get(name, {}).pop(target, None)
        if not self._of_target.get(target, True):
            del self._of_target[target]

    def for_target(self, target: str, recursive: bool) -> List[Policy]:
        """Policies attached to an existing ``target``; with ``recursive``, a thing group's
        parent groups' policies follow its own (nearest group first, each policy once)."""
        policy_targets.require(self._backend, target)
        targets = [target]
        group = policy_targets.group_name(target)
        if recursive and group is not None:
            targets += [self._backend.groups.by_name[g].arn for g in self._backend.groups.ancestors(group)]
        names: Dict[str, None] = {}
        for each in targets:
            for policy_name in self.attached_to(each):
                names[policy_name] = None
        return [self.by_name[n] for n in names]

    def targets_of(self, name: str) -> List[Tuple[int, str]]:
        """(attachment key, target) of the policy's targets, in attachment order."""
        self.get(name)
        entries = self._of_policy.get(name, {})
        return sorted((seq, target) for target, seq in entries.items())
