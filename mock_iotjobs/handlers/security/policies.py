"""IoT policies: documents, versions and attachments (AttachPolicy and the older
principal-policy operations, whose principal travels in a header)."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from ...backend.security import policy_targets
from ...backend.security.policies import Policy
from ...protocol.errors import invalid_request
from ...protocol.models import IOT
from ..base import Context, Params, Result, compact, operation
from ..tagged_create import create_tagged
from .marker_listing import keyed_by_creation, page_by_marker


def _name_and_arn(policy: Policy) -> Dict[str, str]:
    return {"policyName": policy.name, "policyArn": policy.arn}


def _page_of_policies(p: Params, policies: List[Policy], scope: str) -> Dict[str, Any]:
    """One page of ``policies`` (in listing order), keyed by position."""
    return _page(p, list(enumerate(policies)), scope)


def _page(p: Params, items: List[Tuple[int, Policy]], scope: str) -> Dict[str, Any]:
    """One page of (ascending sort key, policy) items."""
    page, marker = page_by_marker(p, items, lambda i: i[0], scope)
    return compact(policies=[_name_and_arn(policy) for _, policy in page], nextMarker=marker)


@operation(IOT, "CreatePolicy")
def create_policy(ctx: Context, p: Params) -> Result:
    policies, name = ctx.backend.policies, p["policyName"]
    # CreatePolicy refuses an existing name, so a policy it returns is always new.
    policy = create_tagged(
        ctx.backend, policies, name, p.get("tags") or [], lambda: (policies.create(name, p["policyDocument"]), True)
    )
    return {
        "policyName": policy.name,
        "policyArn": policy.arn,
        "policyDocument": policy.default.document,
        "policyVersionId": str(policy.default_id),
    }


@operation(IOT, "GetPolicy")
def get_policy(ctx: Context, p: Params) -> Result:
    policy = ctx.backend.policies.get(p["policyName"])
    return {
        "policyName": policy.name,
        "policyArn": policy.arn,
        "policyDocument": policy.default.document,
        "defaultVersionId": str(policy.default_id),
        "creationDate": policy.created_at,
        "lastModifiedDate": policy.last_modified,
        "generationId": policy.generation_id,
    }


@operation(IOT, "ListPolicies")
def list_policies(ctx: Context, p: Params) -> Result:
    ascending = bool(p.get("ascendingOrder"))
    items = keyed_by_creation(ctx.backend.policies.listing(ascending), lambda pol: pol.seq, ascending)
    return _page(p, items, f"ListPolicies:{ascending}")


@operation(IOT, "DeletePolicy")
def delete_policy(ctx: Context, p: Params) -> Result:
    ctx.backend.policies.delete(p["policyName"])
    return {}


@operation(IOT, "CreatePolicyVersion")
def create_policy_version(ctx: Context, p: Params) -> Result:
    policies = ctx.backend.policies
    version = policies.create_version(p["policyName"], p["policyDocument"], bool(p.get("setAsDefault")))
    policy = policies.get(p["policyName"])
    return {
        "policyArn": policy.arn,
        "policyDocument": version.document,
        "policyVersionId": str(version.version_id),
        "isDefaultVersion": version.version_id == policy.default_id,
    }


@operation(IOT, "GetPolicyVersion")
def get_policy_version(ctx: Context, p: Params) -> Result:
    policy, version = ctx.backend.policies.get_version(p["policyName"], p["policyVersionId"])
    return {
        "policyArn": policy.arn,
        "policyName": policy.name,
        "policyDocument": version.document,
        "policyVersionId": str(version.version_id),
        "isDefaultVersion": version.version_id == policy.default_id,
        "creationDate": version.created_at,
        "lastModifiedDate": version.last_modified,
        "generationId": policy.generation_id,
    }


@operation(IOT, "ListPolicyVersions")
def list_policy_versions(ctx: Context, p: Params) -> Result:
    policy = ctx.backend.policies.get(p["policyName"])
    # Newest first, as AWS lists them.
    versions = sorted(policy.versions.values(), key=lambda v: v.version_id, reverse=True)
    return {
        "policyVersions": [
            {
                "versionId": str(v.version_id),
                "isDefaultVersion": v.version_id == policy.default_id,
                "createDate": v.created_at,
            }
            for v in versions
        ]
    }


@operation(IOT, "SetDefaultPolicyVersion")
def set_default_policy_version(ctx: Context, p: Params) -> Result:
    ctx.backend.policies.set_default(p["policyName"], p["policyVersionId"])
    return {}


@operation(IOT, "DeletePolicyVersion")
def delete_policy_version(ctx: Context, p: Params) -> Result:
    ctx.backend.policies.delete_version(p["policyName"], p["policyVersionId"])
    return {}


# --- attachments ---------------------------------------------------------------------


@operation(IOT, "AttachPolicy")
def attach_policy(ctx: Context, p: Params) -> Result:
    ctx.backend.policies.attach(p["policyName"], p["target"])
    return {}


@operation(IOT, "DetachPolicy")
def detach_policy(ctx: Context, p: Params) -> Result:
    policies = ctx.backend.policies
    if p["policyName"] not in policies.by_name:
        # DetachPolicy models no ResourceNotFoundException.
        raise invalid_request(f"Policy {p['policyName']} does not exist.")
    policies.detach(p["policyName"], p["target"])
    return {}


@operation(IOT, "ListAttachedPolicies")
def list_attached_policies(ctx: Context, p: Params) -> Result:
    target = p["target"]
    recursive = bool(p.get("recursive"))
    policies = ctx.backend.policies.for_target(target, recursive)
    return _page_of_policies(p, policies, f"ListAttachedPolicies:{target}:{recursive}")


@operation(IOT, "ListTargetsForPolicy")
def list_targets_for_policy(ctx: Context, p: Params) -> Result:
    name = p["policyName"]
    entries = ctx.backend.policies.targets_of(name)
    page, marker = page_by_marker(p, entries, lambda e: e[0], f"ListTargetsForPolicy:{name}")
    return compact(targets=[target for _, target in page], nextMarker=marker)


@operation(IOT, "AttachPrincipalPolicy")
def attach_principal_policy(ctx: Context, p: Params) -> Result:
    ctx.backend.policies.attach(p["policyName"], p["principal"])
    return {}


@operation(IOT, "DetachPrincipalPolicy")
def detach_principal_policy(ctx: Context, p: Params) -> Result:
    policies = ctx.backend.policies
    policies.get(p["policyName"])
    policies.detach(p["policyName"], p["principal"])
    return {}


@operation(IOT, "ListPrincipalPolicies")
def list_principal_policies(ctx: Context, p: Params) -> Result:
    principal = p["principal"]
    ascending = bool(p.get("ascendingOrder"))
    policies = ctx.backend.policies.for_target(principal, recursive=False)
    if not ascending:
        policies = list(reversed(policies))
    return _page_of_policies(p, policies, f"ListPrincipalPolicies:{principal}:{ascending}")


@operation(IOT, "ListPolicyPrincipals")
def list_policy_principals(ctx: Context, p: Params) -> Result:
    name = p["policyName"]
    ascending = bool(p.get("ascendingOrder"))
    # Principals are the identities a policy is attached to: certificates and Cognito
    # identities; thing groups are targets, not principals.
    entries = [
        (seq if ascending else -seq, target)
        for seq, target in ctx.backend.policies.targets_of(name)
        if policy_targets.kind_of(target) != policy_targets.THING_GROUP
    ]
    entries.sort()
    page, marker = page_by_marker(p, entries, lambda e: e[0], f"ListPolicyPrincipals:{name}:{ascending}")
    return compact(principals=[target for _, target in page], nextMarker=marker)
