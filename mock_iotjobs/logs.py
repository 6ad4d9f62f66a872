"""What the mock tells the ``mock_iotjobs`` logger (documented in docs/plugin.md).

- DEBUG, one line per served request: service, operation, HTTP status and,
  for an error, its code.  Callers check ``log.isEnabledFor(DEBUG)`` first, so
  a request costs one integer comparison when nobody listens.
- WARNING for a call to an operation the mock does not implement (it answers
  501 ``NotImplementedException``) and for every device that receives a job
  without a document (the mock's state has none for it: AWS and the mock read a
  ``documentSource`` at CreateJob, so this flags a seeded or broken job).

pytest shows these under "Captured log" when a test fails.
"""

from __future__ import annotations

import logging
from typing import Optional

log = logging.getLogger("mock_iotjobs")
DEBUG = logging.DEBUG


def request_served(service: str, operation: str, status: int, error_code: Optional[str]) -> None:
    if error_code is None:
        log.debug("%s %s -> %d", service, operation or "<unrouted>", status)
    else:
        log.debug("%s %s -> %d %s", service, operation or "<unrouted>", status, error_code)


def unimplemented(service: str, operation: str) -> None:
    log.warning(
        "%s %s is not implemented by mock_iotjobs: answered 501 NotImplementedException "
        "(python -m mock_iotjobs coverage lists what is)",
        service,
        operation,
    )


def document_missing(job_id: str, thing_name: str) -> None:
    log.warning(
        "device %s received job %s without a jobDocument: the mock holds no document for it",
        thing_name,
        job_id,
    )
