"""A device's life as a fleet backend drives it: provision (thing type, thing, keys
and certificate, exclusive attachment, a least-privilege jobs policy), roll a job
out to it, complete it from the device, then decommission it in the order AWS
demands. Also with moto's mock_aws answering S3 and DynamoDB at the same time."""

from __future__ import annotations

import contextlib
import json
from typing import Any, Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography import x509

from mock_iotjobs import mock_iotjobs

ARN = "arn:aws:iot:us-east-1:123456789012"
THING = "${iot:Connection.Thing.ThingName}"
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iot:Connect", "Resource": f"{ARN}:client/{THING}"},
            {"Effect": "Allow", "Action": "iot:Subscribe", "Resource": f"{ARN}:topicfilter/$aws/things/{THING}/jobs/*"},
            {
                "Effect": "Allow",
                "Action": ["iot:Publish", "iot:Receive"],
                "Resource": f"{ARN}:topic/$aws/things/{THING}/jobs/*",
            },
        ],
    }
)


def _lifecycle(mock: Any) -> None:
    iot = boto3.client("iot", region_name="us-east-1")
    device_plane = boto3.client("iot-jobs-data", region_name="us-east-1")

    # Provision.
    iot.create_thing_type(thingTypeName="sensor", thingTypeProperties={"searchableAttributes": ["site"]})
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.create_thing(thingName="sensor-1", thingTypeName="does-not-exist")
    iot.create_thing(thingName="sensor-1", thingTypeName="sensor", attributePayload={"attributes": {"site": "b"}})
    created = iot.create_keys_and_certificate(setAsActive=True)
    cert_arn, cert_id = created["certificateArn"], created["certificateId"]
    iot.attach_thing_principal(thingName="sensor-1", principal=cert_arn, thingPrincipalType="EXCLUSIVE_THING")
    iot.create_policy(policyName="device", policyDocument=POLICY)
    iot.attach_policy(policyName="device", target=cert_arn)
    assert iot.list_attached_policies(target=cert_arn)["policies"][0]["policyName"] == "device"
    allowed = iot.test_authorization(
        principal=cert_arn,
        clientId="sensor-1",
        authInfos=[
            {"actionType": "SUBSCRIBE", "resources": [f"{ARN}:topicfilter/$aws/things/sensor-1/jobs/notify-next"]},
            {"actionType": "SUBSCRIBE", "resources": [f"{ARN}:topicfilter/$aws/things/sensor-2/jobs/notify-next"]},
        ],
    )["authResults"]
    assert [r["authDecision"] for r in allowed] == ["ALLOWED", "IMPLICIT_DENY"]
    cert = x509.load_pem_x509_certificate(created["certificatePem"].encode())
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(mock.ca_certificate_pem().encode()))
    assert iot.list_principal_things(principal=cert_arn)["things"] == ["sensor-1"]

    # Roll a job out and complete it from the device.
    thing_arn = iot.describe_thing(thingName="sensor-1")["thingArn"]
    iot.create_job(jobId="fw-1", targets=[thing_arn], document='{"version": "2.0"}')
    started = device_plane.start_next_pending_job_execution(thingName="sensor-1")
    assert started["execution"]["jobId"] == "fw-1"
    device_plane.update_job_execution(thingName="sensor-1", jobId="fw-1", status="SUCCEEDED")
    assert iot.describe_job(jobId="fw-1")["job"]["status"] == "COMPLETED"

    # Decommission: each step AWS refuses until the one before it is done.
    with pytest.raises(ClientError, match="still attached to one or more principals"):
        iot.delete_thing(thingName="sensor-1")
    iot.detach_thing_principal(thingName="sensor-1", principal=cert_arn)
    iot.delete_thing(thingName="sensor-1")
    with pytest.raises(iot.exceptions.CertificateStateException):
        iot.delete_certificate(certificateId=cert_id)
    iot.update_certificate(certificateId=cert_id, newStatus="INACTIVE")
    with pytest.raises(iot.exceptions.DeleteConflictException):
        iot.delete_certificate(certificateId=cert_id)
    with pytest.raises(iot.exceptions.DeleteConflictException):
        iot.delete_policy(policyName="device")
    iot.detach_policy(policyName="device", target=cert_arn)
    iot.delete_certificate(certificateId=cert_id)
    iot.delete_policy(policyName="device")
    assert iot.list_certificates()["certificates"] == []
    assert mock.certificates() == []


def test_provision_roll_out_and_decommission() -> None:
    with mock_iotjobs() as mock:
        _lifecycle(mock)


@contextlib.contextmanager
def _with_moto() -> Iterator[Any]:
    moto = pytest.importorskip("moto")
    with moto.mock_aws(), mock_iotjobs() as mock:
        yield mock


def test_the_same_with_moto_serving_s3_and_dynamodb() -> None:
    with _with_moto() as mock:
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="firmware")
        s3.put_object(Bucket="firmware", Key="2.0.bin", Body=b"image")
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName="devices",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        _lifecycle(mock)
        dynamodb.put_item(TableName="devices", Item={"id": {"S": "sensor-1"}})
        assert s3.list_objects_v2(Bucket="firmware")["KeyCount"] == 1
        assert dynamodb.scan(TableName="devices")["Count"] == 1
