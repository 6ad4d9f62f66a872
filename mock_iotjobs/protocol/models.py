"""Access to botocore's service models for the services we serve.

The models are loaded once per process; everything else in ``protocol/``
derives its tables from them, so adding an operation never means writing
parsing or serialisation code.
"""

from __future__ import annotations

import functools

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel

IOT = "iot"
JOBS_DATA = "iot-jobs-data"
DATA = "iot-data"
SERVICES = (IOT, JOBS_DATA, DATA)


@functools.lru_cache(maxsize=None)
def _loader() -> Loader:
    return Loader()


@functools.lru_cache(maxsize=None)
def service_model(service: str) -> ServiceModel:
    """The botocore model of ``service`` (``iot``, ``iot-jobs-data`` or ``iot-data``)."""
    data = _loader().load_service_model(service, "service-2")
    return ServiceModel(data, service_name=service)


@functools.lru_cache(maxsize=None)
def operation_model(service: str, operation: str) -> OperationModel:
    return service_model(service).operation_model(operation)
