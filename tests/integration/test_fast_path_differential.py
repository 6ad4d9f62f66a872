"""The fast path (before-call) and the wire path (before-send) must be indistinguishable.

One scenario touching every implemented operation of both services, with
successes and errors, runs once per path; the parsed results and raised
errors must be identical once per-run values (request ids, generated ids,
clock readings) are masked.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
from typing import Any, Callable, Dict, List, Set, Tuple

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from mock_iotjobs import fastpath, mock_iotjobs
from mock_iotjobs.handlers.base import HANDLERS

REGION = "us-east-1"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Certificate ids (SHA-256 fingerprints), registration codes and PEM blocks differ per run.
_HEX64 = re.compile(r"\b[0-9a-f]{64}\b")
_PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----\n?")
_TIME_KEYS = {"queuedAt", "startedAt", "lastUpdatedAt", "timestamp", "createdAt", "completedAt",
              "creationDate", "lastModifiedDate", "approximateSecondsBeforeTimedOut", "deprecationDate",
              "lastModifiedTime"}


def _mask(value: Any, key: str = "") -> Any:
    if isinstance(value, StreamingBody):
        return _mask(json.loads(value.read() or b"null"), key)
    if isinstance(value, dict):
        return {k: _mask(v, k) for k, v in value.items() if k not in ("RequestId",)}
    if isinstance(value, (list, tuple)):
        return [_mask(v) for v in value]
    if isinstance(value, dt.datetime) or (key in _TIME_KEYS and isinstance(value, (int, float))):
        return "<time>"
    if key in ("x-amzn-requestid",):
        return "<id>"
    if isinstance(value, str):
        return _HEX64.sub("<hex>", _PEM.sub("<pem>", _UUID.sub("<uuid>", value)))
    return value


Call = Tuple[str, str, Dict[str, Any]]


def _scenario(arn: Callable[[str], str]) -> List[Call]:
    doc = json.dumps({"operation": "update"})
    policy = json.dumps({"Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]})
    cognito = "us-east-1:12345678-1234-1234-1234-123456789012"
    role = "arn:aws:iam::123456789012:role/r"
    calls: List[Call] = [
        ("iot", "DescribeEndpoint", {"endpointType": "iot:Jobs"}),
        ("iot", "DescribeEndpoint", {"endpointType": "nope"}),
        ("iot", "CreateThing", {"thingName": "t1", "attributePayload": {"attributes": {"a": "1"}}}),
        ("iot", "CreateThing", {"thingName": "t2"}),
        ("iot", "CreateThing", {"thingName": "t3"}),
        ("iot", "CreateThing", {"thingName": "bad name!"}),
        ("iot", "DescribeThing", {"thingName": "t1"}),
        ("iot", "DescribeThing", {"thingName": "missing"}),
        ("iot", "UpdateThing", {"thingName": "t1", "expectedVersion": 1,
                                "attributePayload": {"attributes": {"b": "2"}, "merge": True}}),
        ("iot", "UpdateThing", {"thingName": "t1", "expectedVersion": 9}),
        ("iot", "UpdateThing", {"thingName": "t1", "expectedVersion": "abc"}),
        ("iot", "ListThings", {"maxResults": 2}),
        ("iot", "ListThings", {"nextToken": "forged"}),
        ("iot", "CreateThingGroup", {"thingGroupName": "parent"}),
        ("iot", "CreateThingGroup", {"thingGroupName": "fleet", "parentGroupName": "parent",
                                     "tags": [{"Key": "k", "Value": "v"}]}),
        ("iot", "CreateThingGroup", {"thingGroupName": "orphan", "parentGroupName": "missing"}),
        ("iot", "DescribeThingGroup", {"thingGroupName": "fleet"}),
        ("iot", "UpdateThingGroup", {"thingGroupName": "fleet",
                                     "thingGroupProperties": {"thingGroupDescription": "d"}}),
        ("iot", "AddThingToThingGroup", {"thingGroupName": "fleet", "thingName": "t1"}),
        ("iot", "AddThingToThingGroup", {"thingGroupName": "fleet", "thingName": "t2"}),
        ("iot", "AddThingToThingGroup", {"thingGroupName": "fleet", "thingName": "missing"}),
        ("iot", "UpdateThingGroupsForThing", {"thingName": "t3", "thingGroupsToAdd": ["parent"]}),
        ("iot", "RemoveThingFromThingGroup", {"thingGroupName": "parent", "thingName": "t3"}),
        ("iot", "ListThingGroups", {}),
        ("iot", "ListThingGroupsForThing", {"thingName": "t1"}),
        ("iot", "ListThingsInThingGroup", {"thingGroupName": "parent", "recursive": True}),
        ("iot", "CreateJob", {"jobId": "j1", "targets": [arn("thinggroup/fleet")], "document": doc,
                              "tags": [{"Key": "team", "Value": "ota"}]}),
        ("iot", "CreateJob", {"jobId": "j1", "targets": [arn("thing/t1")], "document": doc}),
        ("iot", "CreateJob", {"jobId": "j2", "targets": [arn("thing/t1")], "document": "not json"}),
        ("iot", "CreateJob", {"jobId": "j3", "targets": [arn("thing/t3")], "document": doc,
                              "targetSelection": "CONTINUOUS"}),
        ("iot", "CreateJob", {"jobId": "bad id!", "targets": ["x"], "document": doc}),
        ("iot", "AssociateTargetsWithJob", {"jobId": "j3", "targets": [arn("thing/t2")]}),
        ("iot", "AssociateTargetsWithJob", {"jobId": "j1", "targets": [arn("thing/t3")]}),
        ("iot", "DescribeJob", {"jobId": "j1"}),
        ("iot", "DescribeJob", {"jobId": "nope"}),
        ("iot", "GetJobDocument", {"jobId": "j1"}),
        ("iot", "ListJobs", {"status": "IN_PROGRESS"}),
        ("iot", "ListJobs", {"status": "BOGUS"}),
        ("iot", "UpdateJob", {"jobId": "j1", "description": "new"}),
        ("iot-jobs-data", "GetPendingJobExecutions", {"thingName": "t1"}),
        ("iot-jobs-data", "DescribeJobExecution", {"jobId": "$next", "thingName": "t1"}),
        ("iot-jobs-data", "StartNextPendingJobExecution", {"thingName": "t1",
                                                          "statusDetails": {"step": "1"}}),
        ("iot-jobs-data", "UpdateJobExecution", {"jobId": "j1", "thingName": "t1", "status": "QUEUED"}),
        ("iot-jobs-data", "UpdateJobExecution", {"jobId": "j1", "thingName": "t1", "status": "IN_PROGRESS",
                                                "expectedVersion": 7}),
        ("iot-jobs-data", "UpdateJobExecution", {"jobId": "j1", "thingName": "t1", "status": "SUCCEEDED",
                                                "includeJobExecutionState": True,
                                                "includeJobDocument": True}),
        ("iot-jobs-data", "DescribeJobExecution", {"jobId": "j1", "thingName": "t1"}),
        ("iot-jobs-data", "DescribeJobExecution", {"jobId": "j1", "thingName": "t2",
                                                  "includeJobDocument": False}),
        ("iot", "DescribeJobExecution", {"jobId": "j1", "thingName": "t1"}),
        ("iot", "ListJobExecutionsForJob", {"jobId": "j1", "maxResults": 1}),
        ("iot", "ListJobExecutionsForThing", {"thingName": "t1"}),
        ("iot", "CancelJobExecution", {"jobId": "j1", "thingName": "t1"}),
        ("iot", "CancelJobExecution", {"jobId": "j1", "thingName": "t2", "statusDetails": {"r": "x"}}),
        ("iot", "DeleteJobExecution", {"jobId": "j1", "thingName": "t2", "executionNumber": 1}),
        ("iot", "DeleteJobExecution", {"jobId": "j3", "thingName": "t3", "executionNumber": 1}),
        ("iot", "CancelJob", {"jobId": "j3", "force": True, "reasonCode": "OPS", "comment": "c"}),
        ("iot", "DeleteJob", {"jobId": "j3"}),
        ("iot", "TagResource", {"resourceArn": arn("thinggroup/fleet"), "tags": [{"Key": "x", "Value": "y"}]}),
        ("iot", "UntagResource", {"resourceArn": arn("thinggroup/fleet"), "tagKeys": ["k"]}),
        ("iot", "ListTagsForResource", {"resourceArn": arn("job/j1")}),
        ("iot", "ListTagsForResource", {"resourceArn": arn("job/missing")}),
        ("iot", "CreateJobTemplate", {"jobTemplateId": "tpl", "description": "t", "document": doc}),
        ("iot", "CreateJobTemplate", {"jobTemplateId": "tpl", "description": "t", "document": doc}),
        ("iot", "DescribeJobTemplate", {"jobTemplateId": "tpl"}),
        ("iot", "ListJobTemplates", {}),
        ("iot", "CreateJob", {"jobId": "from-tpl", "targets": [arn("thing/t3")],
                              "jobTemplateArn": arn("jobtemplate/tpl")}),
        ("iot", "DeleteJobTemplate", {"jobTemplateId": "tpl"}),
        ("iot", "ListManagedJobTemplates", {}),
        ("iot", "DescribeManagedJobTemplate", {"templateName": "AWS-Reboot"}),
        ("iot", "DescribeManagedJobTemplate", {"templateName": "AWS-Nope"}),
        ("iot", "CreateCommand", {"commandId": "unlock",
                                  "payload": {"content": b"{}", "contentType": "application/json"},
                                  "tags": [{"Key": "k", "Value": "v"}]}),
        ("iot", "CreateCommand", {"commandId": "unlock", "payload": {"content": b"{}"}}),
        ("iot", "CreateCommand", {"commandId": "bad id!", "payload": {"content": b"{}"}}),
        ("iot", "CreateCommand", {"commandId": "old", "payload": {"content": b"\x00"}}),
        ("iot", "GetCommand", {"commandId": "unlock"}),
        ("iot", "GetCommand", {"commandId": "nope"}),
        ("iot", "ListCommands", {"sortOrder": "ASCENDING"}),
        ("iot", "UpdateCommand", {"commandId": "unlock", "displayName": "Unlock"}),
        ("iot-jobs-data", "StartCommandExecution", {"targetArn": arn("thing/t1"), "commandArn": arn("command/unlock"),
                                                    "clientToken": "tok"}),
        ("iot-jobs-data", "StartCommandExecution", {"targetArn": arn("thing/missing"),
                                                    "commandArn": arn("command/unlock")}),
        ("iot", "ListCommandExecutions", {"commandArn": arn("command/unlock")}),
        ("iot", "GetCommandExecution", {"executionId": "nope", "targetArn": arn("thing/t1")}),
        ("iot", "DeleteCommandExecution", {"executionId": "nope", "targetArn": arn("thing/t1")}),
        ("iot", "DeleteCommand", {"commandId": "unlock"}),
        ("iot", "DeleteCommand", {"commandId": "old"}),
        ("iot", "DeleteJob", {"jobId": "j1", "force": True}),
        # Policies, role aliases, domain configurations, topic rules.
        ("iot", "CreatePolicy", {"policyName": "pol", "policyDocument": policy}),
        ("iot", "CreatePolicy", {"policyName": "bad", "policyDocument": "{}"}),
        ("iot", "GetPolicy", {"policyName": "pol"}),
        ("iot", "ListPolicies", {"pageSize": 1}),
        ("iot", "CreatePolicyVersion", {"policyName": "pol", "policyDocument": policy, "setAsDefault": True}),
        ("iot", "GetPolicyVersion", {"policyName": "pol", "policyVersionId": "2"}),
        ("iot", "ListPolicyVersions", {"policyName": "pol"}),
        ("iot", "SetDefaultPolicyVersion", {"policyName": "pol", "policyVersionId": "1"}),
        ("iot", "DeletePolicyVersion", {"policyName": "pol", "policyVersionId": "1"}),
        ("iot", "DeletePolicyVersion", {"policyName": "pol", "policyVersionId": "2"}),
        ("iot", "AttachPolicy", {"policyName": "pol", "target": arn("thinggroup/fleet")}),
        ("iot", "ListAttachedPolicies", {"target": arn("thinggroup/fleet"), "recursive": True}),
        ("iot", "ListTargetsForPolicy", {"policyName": "pol"}),
        ("iot", "DeletePolicy", {"policyName": "pol"}),
        ("iot", "DetachPolicy", {"policyName": "pol", "target": arn("thinggroup/fleet")}),
        ("iot", "AttachPrincipalPolicy", {"policyName": "pol", "principal": cognito}),
        ("iot", "ListPrincipalPolicies", {"principal": cognito}),
        ("iot", "ListPolicyPrincipals", {"policyName": "pol"}),
        ("iot", "DetachPrincipalPolicy", {"policyName": "pol", "principal": cognito}),
        ("iot", "CreateRoleAlias", {"roleAlias": "ra", "roleArn": role}),
        ("iot", "DescribeRoleAlias", {"roleAlias": "ra"}),
        ("iot", "UpdateRoleAlias", {"roleAlias": "ra", "credentialDurationSeconds": 900}),
        ("iot", "ListRoleAliases", {}),
        ("iot", "DeleteRoleAlias", {"roleAlias": "ra"}),
        ("iot", "DeleteRoleAlias", {"roleAlias": "ra"}),
        ("iot", "CreateDomainConfiguration", {"domainConfigurationName": "dc"}),
        ("iot", "DescribeDomainConfiguration", {"domainConfigurationName": "dc"}),
        ("iot", "ListDomainConfigurations", {}),
        ("iot", "DeleteDomainConfiguration", {"domainConfigurationName": "dc"}),
        ("iot", "UpdateDomainConfiguration", {"domainConfigurationName": "dc",
                                              "domainConfigurationStatus": "DISABLED"}),
        ("iot", "DeleteDomainConfiguration", {"domainConfigurationName": "dc"}),
        ("iot", "CreateTopicRule", {"ruleName": "r1", "tags": "k=v",
                                    "topicRulePayload": {"sql": "SELECT * FROM 'a/b'", "actions": []}}),
        ("iot", "CreateTopicRule", {"ruleName": "r2",
                                    "topicRulePayload": {"sql": "SELEC * FROM 'a/b'", "actions": []}}),
        ("iot", "GetTopicRule", {"ruleName": "r1"}),
        ("iot", "GetTopicRule", {"ruleName": "r2"}),
        ("iot", "ReplaceTopicRule", {"ruleName": "r1",
                                     "topicRulePayload": {"sql": "SELECT x FROM 'c'", "actions": []}}),
        ("iot", "DisableTopicRule", {"ruleName": "r1"}),
        ("iot", "EnableTopicRule", {"ruleName": "r1"}),
        ("iot", "ListTopicRules", {"topic": "c"}),
        ("iot", "DeleteTopicRule", {"ruleName": "r1"}),
        ("iot", "DeleteThingGroup", {"thingGroupName": "parent"}),
        ("iot", "DeleteThingGroup", {"thingGroupName": "fleet"}),
        ("iot", "DeleteThing", {"thingName": "t2"}),
        # Fleet indexing and dynamic thing groups.
        ("iot", "SearchIndex", {"queryString": "thingName:t*"}),
        ("iot", "UpdateIndexingConfiguration", {"thingIndexingConfiguration": {
            "thingIndexingMode": "REGISTRY", "customFields": [{"name": "attributes.a", "type": "Number"}]}}),
        ("iot", "GetIndexingConfiguration", {}),
        ("iot", "ListIndices", {}),
        ("iot", "DescribeIndex", {"indexName": "AWS_Things"}),
        ("iot", "SearchIndex", {"queryString": "thingName:t* AND NOT attributes.a:2"}),
        ("iot", "SearchIndex", {"queryString": "thingName:(t1"}),
        ("iot", "GetStatistics", {"queryString": "*", "aggregationField": "attributes.a"}),
        ("iot", "GetCardinality", {"queryString": "*", "aggregationField": "thingName"}),
        ("iot", "GetPercentiles", {"queryString": "*", "aggregationField": "attributes.a"}),
        ("iot", "GetBucketsAggregation", {"queryString": "*", "aggregationField": "thingName",
                                          "bucketsAggregationType": {"termsAggregation": {"maxBuckets": 5}}}),
        ("iot", "GetStatistics", {"queryString": "*", "aggregationField": "attributes.nope"}),
        ("iot", "CreateDynamicThingGroup", {"thingGroupName": "dyn", "queryString": "attributes.a:1"}),
        ("iot", "UpdateDynamicThingGroup", {"thingGroupName": "dyn", "queryString": "attributes.a>0"}),
        ("iot", "ListThingsInThingGroup", {"thingGroupName": "dyn"}),
        ("iot", "AddThingToThingGroup", {"thingGroupName": "dyn", "thingName": "t3"}),
        ("iot", "DeleteDynamicThingGroup", {"thingGroupName": "dyn"}),
        # Thing types, billing groups, event configurations (issue 12).
        ("iot", "CreateThingType", {"thingTypeName": "lamp", "tags": [{"Key": "k", "Value": "v"}],
                                    "thingTypeProperties": {"searchableAttributes": ["w"]}}),
        ("iot", "CreateThingType", {"thingTypeName": "lamp",
                                    "thingTypeProperties": {"thingTypeDescription": "other"}}),
        ("iot", "UpdateThingType", {"thingTypeName": "lamp",
                                    "thingTypeProperties": {"thingTypeDescription": "d"}}),
        ("iot", "ListThingTypes", {"maxResults": 1}),
        ("iot", "CreateThing", {"thingName": "t4", "thingTypeName": "lamp"}),
        ("iot", "CreateThing", {"thingName": "t5", "thingTypeName": "missing"}),
        ("iot", "DeprecateThingType", {"thingTypeName": "lamp"}),
        ("iot", "DescribeThingType", {"thingTypeName": "lamp"}),
        ("iot", "DeleteThingType", {"thingTypeName": "lamp"}),
        ("iot", "CreateBillingGroup", {"billingGroupName": "bill",
                                       "billingGroupProperties": {"billingGroupDescription": "b"}}),
        ("iot", "DescribeBillingGroup", {"billingGroupName": "bill"}),
        ("iot", "UpdateBillingGroup", {"billingGroupName": "bill", "expectedVersion": 5,
                                       "billingGroupProperties": {"billingGroupDescription": "c"}}),
        ("iot", "AddThingToBillingGroup", {"billingGroupName": "bill", "thingName": "t4"}),
        ("iot", "ListThingsInBillingGroup", {"billingGroupName": "bill"}),
        ("iot", "ListBillingGroups", {"namePrefixFilter": "bi"}),
        ("iot", "RemoveThingFromBillingGroup", {"billingGroupArn": arn("billinggroup/bill"), "thingName": "t4"}),
        ("iot", "DeleteBillingGroup", {"billingGroupName": "bill"}),
        ("iot", "UpdateEventConfigurations", {"eventConfigurations": {"JOB": {"Enabled": True}}}),
        ("iot", "DescribeEventConfigurations", {}),
        # Device shadows and the rest of iot-data.
        ("iot-data", "UpdateThingShadow", {"thingName": "t1", "payload": b'{"state":{"desired":{"fw":"2"}}}'}),
        ("iot-data", "UpdateThingShadow", {"thingName": "t1", "shadowName": "cfg",
                                           "payload": b'{"state":{"reported":{"x":1}},"clientToken":"c"}'}),
        ("iot-data", "UpdateThingShadow", {"thingName": "t1", "payload": b'{"state":{},"version":9}'}),
        ("iot-data", "UpdateThingShadow", {"thingName": "t1", "payload": b"not json"}),
        ("iot-data", "GetThingShadow", {"thingName": "t1"}),
        ("iot-data", "GetThingShadow", {"thingName": "nobody"}),
        ("iot-data", "ListNamedShadowsForThing", {"thingName": "t1"}),
        ("iot-data", "DeleteThingShadow", {"thingName": "t1", "shadowName": "cfg"}),
        ("iot-data", "DeleteThingShadow", {"thingName": "t1", "shadowName": "cfg"}),
        ("iot-data", "Publish", {"topic": "fleet/status", "payload": b"up", "retain": True, "qos": 1}),
        ("iot-data", "Publish", {"topic": "fleet/+", "payload": b"x"}),
        ("iot-data", "GetRetainedMessage", {"topic": "fleet/status"}),
        ("iot-data", "GetRetainedMessage", {"topic": "fleet/none"}),
        ("iot-data", "ListRetainedMessages", {}),
        ("iot-data", "DeleteConnection", {"clientId": "nobody"}),
        ("iot-data", "GetConnection", {"clientId": "nobody"}),
        ("iot-data", "ListSubscriptions", {"clientId": "nobody"}),
        ("iot-data", "SendDirectMessage", {"clientId": "nobody", "topic": "a/b", "payload": b"x"}),
        ("iot", "TestAuthorization", {"authInfos": [{"actionType": "CONNECT", "resources": ["c1"]}]}),
        ("iot", "TestAuthorization", {"principal": "nope", "authInfos": [{"actionType": "CONNECT"}]}),
    ]
    return calls + _security_calls(arn)


@functools.lru_cache(maxsize=None)
def _certificates() -> Dict[str, str]:
    """Fixed certificate material, the same in both runs, so ids and ARNs can be named upfront."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def cert(subject: str, issuer: str, key: Any, signer: Any, ca: bool) -> x509.Certificate:
        now = dt.datetime.now(dt.timezone.utc)
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(signer, hashes.SHA256())
        )

    def pem(c: x509.Certificate) -> str:
        return c.public_bytes(serialization.Encoding.PEM).decode()

    ca_key, device_key, lone_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = cert("Differential CA", "Differential CA", ca_key, ca_key, True)
    device = cert("device", "Differential CA", device_key, ca_key, False)
    csr = x509.CertificateSigningRequestBuilder().subject_name(device.subject).sign(device_key, hashes.SHA256())
    return {
        "ca": pem(ca),
        "ca_id": hashlib.sha256(ca.public_bytes(serialization.Encoding.DER)).hexdigest(),
        "device": pem(device),
        "device_id": hashlib.sha256(device.public_bytes(serialization.Encoding.DER)).hexdigest(),
        "lone": pem(cert("lone", "lone", lone_key, lone_key, False)),
        "csr": csr.public_bytes(serialization.Encoding.PEM).decode(),
    }


def _security_calls(arn: Callable[[str], str]) -> List[Call]:
    c = _certificates()
    ca_id, device_id = c["ca_id"], c["device_id"]
    device_arn = arn(f"cert/{device_id}")
    return [
        ("iot", "GetRegistrationCode", {}),
        ("iot", "DeleteRegistrationCode", {}),
        ("iot", "DeleteRegistrationCode", {}),
        ("iot", "RegisterCACertificate", {"caCertificate": c["ca"], "certificateMode": "SNI_ONLY",
                                          "setAsActive": True}),
        ("iot", "RegisterCACertificate", {"caCertificate": c["ca"]}),
        ("iot", "DescribeCACertificate", {"certificateId": ca_id}),
        ("iot", "UpdateCACertificate", {"certificateId": ca_id, "newAutoRegistrationStatus": "ENABLE"}),
        ("iot", "ListCACertificates", {"pageSize": 1}),
        ("iot", "RegisterCertificate", {"certificatePem": c["device"], "status": "ACTIVE"}),
        ("iot", "RegisterCertificate", {"certificatePem": "garbage"}),
        ("iot", "RegisterCertificateWithoutCA", {"certificatePem": c["lone"]}),
        ("iot", "CreateKeysAndCertificate", {"setAsActive": True}),
        ("iot", "CreateCertificateFromCsr", {"certificateSigningRequest": c["csr"]}),
        ("iot", "CreateCertificateFromCsr", {"certificateSigningRequest": "not a csr"}),
        ("iot", "DescribeCertificate", {"certificateId": device_id}),
        ("iot", "ListCertificates", {"pageSize": 2}),
        ("iot", "ListCertificatesByCA", {"caCertificateId": ca_id}),
        ("iot", "AttachThingPrincipal", {"thingName": "t3", "principal": device_arn,
                                         "thingPrincipalType": "EXCLUSIVE_THING"}),
        ("iot", "AttachThingPrincipal", {"thingName": "t1", "principal": device_arn}),
        ("iot", "ListThingPrincipals", {"thingName": "t3"}),
        ("iot", "ListThingPrincipalsV2", {"thingName": "t3"}),
        ("iot", "ListPrincipalThings", {"principal": device_arn}),
        ("iot", "ListPrincipalThingsV2", {"principal": device_arn}),
        ("iot", "DeleteThing", {"thingName": "t3"}),
        ("iot", "DeleteCertificate", {"certificateId": device_id}),
        ("iot", "DetachThingPrincipal", {"thingName": "t3", "principal": device_arn}),
        ("iot", "UpdateCertificate", {"certificateId": device_id, "newStatus": "INACTIVE"}),
        ("iot", "UpdateCertificate", {"certificateId": device_id, "newStatus": "PENDING_TRANSFER"}),
        ("iot", "DeleteCertificate", {"certificateId": device_id}),
        ("iot", "DeleteCACertificate", {"certificateId": ca_id}),
        ("iot", "UpdateCACertificate", {"certificateId": ca_id, "newStatus": "INACTIVE"}),
        ("iot", "DeleteCACertificate", {"certificateId": ca_id}),
    ]


def _run(fast: bool) -> Tuple[List[Any], Set[Tuple[str, str]]]:
    results: List[Any] = []
    seen: Set[Tuple[str, str]] = set()
    config = Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"})
    with mock_iotjobs(fast_path=fast) as mock:
        backend = mock.backend()
        clients = {
            name: boto3.client(name, region_name=REGION, config=config)
            for name in ("iot", "iot-jobs-data", "iot-data")
        }

        def arn(resource: str) -> str:
            return f"arn:aws:iot:{REGION}:{backend.account_id}:{resource}"

        for service, operation, params in _scenario(arn):
            client = clients[service]
            method = getattr(client, _snake(client, operation))
            seen.add((service, operation))
            try:
                outcome: Any = ("ok", method(**params))
            except ClientError as error:
                outcome = ("error", type(error).__name__, error.response)
            results.append((service, operation, _mask(outcome)))
    return results, seen


def _snake(client: Any, operation: str) -> str:
    mapping = {v: k for k, v in client.meta.method_to_api_mapping.items()}
    return mapping[operation]


def test_every_implemented_operation_is_exercised() -> None:
    _, seen = _run(fast=False)
    missing = set(HANDLERS) - seen
    assert not missing, f"add these operations to the differential scenario: {sorted(missing)}"


def test_fast_path_and_wire_path_agree() -> None:
    wire, _ = _run(fast=False)
    fast, _ = _run(fast=True)
    assert len(wire) == len(fast)
    for expected, actual in zip(wire, fast):
        assert actual == expected
    outcomes = {r[2][0] for r in wire}
    assert outcomes == {"ok", "error"}


def test_direct_answers_are_what_botocore_parses_from_our_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path builds parsed results without JSON; with MOCK_IOTJOBS_CHECK_PARSED
    it also parses its own bytes with botocore and raises on any difference
    (values, types, time zones), for every call of the scenario."""
    monkeypatch.setattr(fastpath, "CHECK_PARSED", True)
    checked, _ = _run(fast=True)
    monkeypatch.setattr(fastpath, "CHECK_PARSED", False)
    unchecked, _ = _run(fast=True)
    assert checked == unchecked


@pytest.mark.parametrize("fast", [False, True])
def test_the_chosen_path_answers(fast: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failing wire hook proves which path served the call."""
    import mock_iotjobs.interception as interception

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the wire path was used")

    with mock_iotjobs(fast_path=fast):
        client = boto3.client("iot", region_name=REGION)
        monkeypatch.setattr(interception, "serve_prepared", refuse)
        if fast:
            assert client.describe_endpoint()["endpointAddress"]
        else:
            with pytest.raises(AssertionError):
                client.describe_endpoint()


def test_decorator_passes_the_fast_path_choice_on(monkeypatch: pytest.MonkeyPatch) -> None:
    import mock_iotjobs.interception as interception

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the wire path was used")

    monkeypatch.setattr(interception, "serve_prepared", refuse)

    @mock_iotjobs(fast_path=False)
    def on_the_wire() -> None:
        boto3.client("iot", region_name=REGION).describe_endpoint()

    with pytest.raises(AssertionError):
        on_the_wire()
