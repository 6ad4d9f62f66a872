"""Custom job templates: reusable job configurations that CreateJob can start from."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ...protocol.errors import conflict, invalid_request, not_found
from ..arns import iot_arn
from .documents import check_document, fetch_source

if TYPE_CHECKING:
    from ..state import Backend


# CreateJobTemplate members kept as given and returned by DescribeJobTemplate.
CONFIG_MEMBERS = (
    "presignedUrlConfig",
    "jobExecutionsRolloutConfig",
    "abortConfig",
    "timeoutConfig",
    "jobExecutionsRetryConfig",
    "maintenanceWindows",
    "destinationPackageVersions",
)
# Job configuration (CreateJob member names) a template can be copied from.
_FROM_JOB = (
    "presignedUrlConfig",
    "jobExecutionsRolloutConfig",
    "abortConfig",
    "timeoutConfig",
    "jobExecutionsRetryConfig",
    "destinationPackageVersions",
)


@dataclass
class JobTemplate:
    template_id: str
    arn: str
    seq: int
    created_at: float
    description: str
    document: Optional[str] = None
    document_source: Optional[str] = None
    # CreateJobTemplate member name → value, for the members in CONFIG_MEMBERS.
    config: Dict[str, Any] = field(default_factory=dict)

    @property
    def job_config(self) -> Dict[str, Any]:
        """The template as CreateJob parameters (CreateJob member names, no None values):
        document or documentSource, description, the configs, and maintenanceWindows
        as ``schedulingConfig.maintenanceWindows``.  A fresh copy on every access."""
        result: Dict[str, Any] = {"description": self.description}
        if self.document is not None:
            result["document"] = self.document
        if self.document_source is not None:
            result["documentSource"] = self.document_source
        for name, value in self.config.items():
            if name == "maintenanceWindows":
                result["schedulingConfig"] = {"maintenanceWindows": copy.deepcopy(value)}
            else:
                result[name] = copy.deepcopy(value)
        return result

    def describe(self) -> Dict[str, Any]:
        result: Dict[str, Any] = {
            "jobTemplateArn": self.arn,
            "jobTemplateId": self.template_id,
            "description": self.description,
            "documentSource": self.document_source,
            "document": self.document,
            "createdAt": self.created_at,
        }
        # Measured: these configs show as {} when the template was created without them.
        result.update({"presignedUrlConfig": {}, "jobExecutionsRolloutConfig": {}, "timeoutConfig": {}})
        result.update(copy.deepcopy(self.config))
        return result

    def summary(self) -> Dict[str, Any]:
        return {
            "jobTemplateArn": self.arn,
            "jobTemplateId": self.template_id,
            "description": self.description,
            "createdAt": self.created_at,
        }


class JobTemplates:
    """Custom job templates of one account and region, in creation order."""

    def __init__(self, backend: "Backend") -> None:
        self._backend = backend
        self.by_id: Dict[str, JobTemplate] = {}

    def arn_for(self, template_id: str) -> str:
        return iot_arn(self._backend.region, self._backend.account_id, f"jobtemplate/{template_id}")

    def get(self, template_id: str) -> JobTemplate:
        template = self.by_id.get(template_id)
        if template is None:
            raise not_found(f"Job Template {template_id} cannot be found.")
        return template

    def get_by_arn(self, arn: str) -> JobTemplate:
        """The custom template whose ARN is ``arn`` (ResourceNotFoundException if none)."""
        resource = arn.split(":")[5] if arn.count(":") >= 5 else ""
        kind, _, template_id = resource.partition("/")
        if kind != "jobtemplate":
            # Measured: a job's ARN is refused as the wrong kind of resource (400).
            raise invalid_request(f"Resource type should be jobtemplate but found invalid resource type {kind}")
        template = self.by_id.get(template_id)
        if template is None or template.arn != arn:
            raise not_found(f"Job Template {template_id} cannot be found.")
        return template

    def listing(self) -> List[JobTemplate]:
        """Newest first (measured)."""
        return sorted(self.by_id.values(), key=lambda t: -t.seq)

    def create(self, p: Dict[str, Any]) -> JobTemplate:
        """A template from CreateJobTemplate parameters; raises before changing anything."""
        template_id = p["jobTemplateId"]
        if template_id in self.by_id:
            raise conflict(f"Job Template {template_id} already exists.", resourceId=template_id)
        document, source = p.get("document"), p.get("documentSource")
        config = {k: copy.deepcopy(p[k]) for k in CONFIG_MEMBERS if p.get(k) is not None}
        if document is not None and source is not None:
            raise invalid_request("Exactly one of document or documentSource must be specified.")
        if p.get("jobArn") is not None:
            # Measured: a document given with jobArn is accepted and replaces the job's.
            job_document, job_source, from_job = self._from_job(p["jobArn"])
            if document is None and source is None:
                document, source = job_document, job_source
            config = {**from_job, **config}
        elif document is None and source is None:
            raise invalid_request("Neither job document nor job document source is specified.")
        if document is not None:
            check_document(document)
        elif p.get("documentSource") is not None:
            # Read now, as for a job: a template naming an unreadable object is refused.
            fetch_source(self._backend.s3_objects, p["documentSource"], self._backend.region)
        template = JobTemplate(
            template_id=template_id,
            arn=self.arn_for(template_id),
            seq=self._backend.next_seq(),
            created_at=self._backend.now(),
            description=p["description"],
            document=document,
            document_source=source,
            config=config,
        )
        self.by_id[template_id] = template
        return template

    def delete(self, template_id: str) -> JobTemplate:
        template = self.get(template_id)
        del self.by_id[template_id]
        self._backend.tags.drop(template.arn)
        return template

    def _from_job(self, job_arn: str) -> Any:
        """(document, documentSource, configs) of the existing job ``job_arn``."""
        jobs = getattr(self._backend, "jobs", None)
        job_id = job_arn.split(":job/", 1)[1] if ":job/" in job_arn else None
        job = jobs.by_id.get(job_id) if jobs is not None and job_id else None
        if job is None or job.arn != job_arn:
            raise not_found(f"Job {job_arn} does not exist.")
        job_config: Dict[str, Any] = getattr(job, "config", {}) or {}
        config = {k: copy.deepcopy(job_config[k]) for k in _FROM_JOB if job_config.get(k) is not None}
        windows = (job_config.get("schedulingConfig") or {}).get("maintenanceWindows")
        if windows:
            config["maintenanceWindows"] = copy.deepcopy(windows)
        if job.document_source is not None:
            return None, job.document_source, config
        return job.document, None, config
