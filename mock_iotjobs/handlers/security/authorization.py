"""TestAuthorization: the policy evaluator the MQTT listener uses, as an API."""

from __future__ import annotations

from typing import Any, Dict, List

from ...backend.security.authorization import Authorizer
from ...protocol.errors import invalid_request, not_found
from ...protocol.models import IOT
from ..base import Context, Params, Result, operation


def _policies(ctx: Context, names: List[str]) -> List[Dict[str, str]]:
    policies = ctx.backend.policies
    return [{"policyName": n, "policyArn": policies.arn_for(n)} for n in names]


@operation(IOT, "TestAuthorization")
def test_authorization(ctx: Context, p: Params) -> Result:
    backend = ctx.backend
    principal = p.get("principal")
    if not principal:
        # Without a principal only the policies given in policyNamesToAdd apply.
        principal = ""
    else:
        backend.principals.check_principal(principal)
    extra: List[str] = p.get("policyNamesToAdd") or []
    skip: List[str] = p.get("policyNamesToSkip") or []
    for name in extra + skip:
        if name not in backend.policies.by_name:
            raise not_found(f"Policy {name} does not exist.")
    authorizer = Authorizer(backend)
    results: List[Dict[str, Any]] = []
    for info in p["authInfos"]:
        action = info.get("actionType")
        resources = info.get("resources") or []
        if action is None:
            raise invalid_request("actionType is required in each authInfo.")
        for resource in resources:
            decision = authorizer.decide(principal, p.get("clientId"), action, resource, extra, skip)
            result: Dict[str, Any] = {
                "authInfo": {"actionType": action, "resources": [resource]},
                "allowed": {"policies": _policies(ctx, decision.allowed_by)},
                "denied": {
                    "implicitDeny": {"policies": []},
                    "explicitDeny": {"policies": _policies(ctx, decision.denied_by)},
                },
                "authDecision": decision.outcome,
                "missingContextValues": decision.missing_context,
            }
            results.append(result)
    return {"authResults": results}
