"""A device's life as a fleet backend drives it: provision (thing, keys and
certificate, exclusive attachment, policy where policies are served), roll a job
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

POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]}
)


def _served(call: Any, **params: Any) -> bool:
    """Call an operation another part of the mock may not serve yet; False if it answers 501."""
    try:
        call(**params)
    except ClientError as error:
        if error.response["Error"]["Code"] == "NotImplementedException":
            return False
        raise
    return True


def _lifecycle(mock: Any) -> None:
    iot = boto3.client("iot", region_name="us-east-1")
    device_plane = boto3.client("iot-jobs-data", region_name="us-east-1")

    # Provision.
    iot.create_thing(thingName="sensor-1")
    created = iot.create_keys_and_certificate(setAsActive=True)
    cert_arn, cert_id = created["certificateArn"], created["certificateId"]
    iot.attach_thing_principal(thingName="sensor-1", principal=cert_arn, thingPrincipalType="EXCLUSIVE_THING")
    with_policy = _served(iot.create_policy, policyName="device", policyDocument=POLICY)
    if with_policy:
        iot.attach_policy(policyName="device", target=cert_arn)
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
    if with_policy:
        with pytest.raises(iot.exceptions.DeleteConflictException):
            iot.delete_certificate(certificateId=cert_id)
        iot.detach_policy(policyName="device", target=cert_arn)
    iot.delete_certificate(certificateId=cert_id)
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
