"""mock_iotjobs: an in-memory, model-driven mock of AWS IoT Jobs for boto3/botocore."""

from .core import mock_iotjobs
from .handle import MockIotJobs
from .protocol.errors import ServiceError
from .views import CertificateView, ExecutionView, JobView, Notification, ThingView

__all__ = [
    "CertificateView",
    "ExecutionView",
    "JobView",
    "MockIotJobs",
    "Notification",
    "ServiceError",
    "ThingView",
    "mock_iotjobs",
    "__version__",
]
__version__ = "0.2.0"
