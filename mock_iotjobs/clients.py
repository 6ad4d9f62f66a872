"""Type names for the boto3 clients of the services served, for annotating tests and fixtures.

With the mypy-boto3 stubs installed (``pip install mypy-boto3-iot
mypy-boto3-iot-jobs-data mypy-boto3-iot-data``), ``IotClient``,
``IotJobsDataClient`` and ``IotDataClient`` (device shadows) are their client
types, so mypy checks every call's parameters and results; without them they
are ``Any``.  Nothing is imported at run time: mock_iotjobs does not
depend on the stubs.

    from mock_iotjobs import MockIotJobs
    from mock_iotjobs.clients import IotClient

    def test_things(iot_jobs_backend: MockIotJobs, iot_client: IotClient) -> None: ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_iot import IoTClient as IotClient
    from mypy_boto3_iot_data import IoTDataPlaneClient as IotDataClient
    from mypy_boto3_iot_jobs_data import IoTJobsDataPlaneClient as IotJobsDataClient
else:
    IotClient = Any
    IotJobsDataClient = Any
    IotDataClient = Any

__all__ = ["IotClient", "IotDataClient", "IotJobsDataClient"]
