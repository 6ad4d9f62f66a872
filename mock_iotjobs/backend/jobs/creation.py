"""CreateJob's checks and the new Job they yield: the document (inline, from S3,
or from a custom or managed template), the configurations and the targets.

Nothing here registers the job or starts its rollout (that is ``Jobs.create``),
so a refused request leaves no trace beyond the sequence number it never took.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from ...protocol.errors import invalid_request
from ..arns import iot_arn
from . import rollout
from . import targets as target_resolution
from .checks import check_configs, check_maintenance
from .documents import check_document, fetch_source
from .model import Job

if TYPE_CHECKING:
    from ..state import Backend

# Where apply_template leaves a managed template's document before its parameters are filled in.
BEFORE_SUBSTITUTION = "_documentBeforeSubstitution"
CONFIG_MEMBERS = (
    "presignedUrlConfig",
    "jobExecutionsRolloutConfig",
    "abortConfig",
    "timeoutConfig",
    "jobExecutionsRetryConfig",
    "schedulingConfig",
    "destinationPackageVersions",
)


def new_job(backend: "Backend", p: Dict[str, Any]) -> Tuple[Job, Optional[float], Optional[float]]:
    """The checked job CreateJob asks for, its rollout queue filled, and the
    start and end of its scheduling window (None where there is none)."""
    job_id = p["jobId"]
    spec = dict(p)
    template_arn = p.get("jobTemplateArn")
    if template_arn:
        spec = apply_template(backend, template_arn, spec)
    elif p.get("documentParameters"):
        raise invalid_request("documentParameters can only be used with a managed job template.")
    document, source = spec.get("document"), spec.get("documentSource")
    if (document is None) == (source is None):
        raise invalid_request("Exactly one of document or documentSource must be specified.")
    check_configs(spec)
    check_maintenance(p.get("targetSelection") or "SNAPSHOT", spec)
    if document is not None:
        check_document(document)
    else:
        document = fetch_source(backend.s3_objects, str(source), backend.region)
    things, groups = target_resolution.resolve(backend, p["targets"])
    now = backend.now()
    start_at, end_at = rollout.schedule_window(spec, now)
    job = Job(
        job_id=job_id,
        arn=iot_arn(backend.region, backend.account_id, f"job/{job_id}"),
        seq=backend.next_seq(),
        created_at=now,
        last_updated_at=now,
        target_selection=p.get("targetSelection") or "SNAPSHOT",
        targets=list(dict.fromkeys(p["targets"])),
        document=document,
        document_source=source,
        description=spec.get("description"),
        config={k: spec[k] for k in CONFIG_MEMBERS if spec.get(k) is not None},
        namespace_id=p.get("namespaceId"),
        job_template_arn=template_arn,
        document_parameters=p.get("documentParameters"),
        document_before_substitution=spec.get(BEFORE_SUBSTITUTION),
        target_groups=groups,
    )
    job.rollout = rollout.rollout_state(job.config)
    job.rollout.waiting = list(things.items())
    return job, start_at, end_at


def apply_template(backend: "Backend", template_arn: str, spec: Dict[str, Any]) -> Dict[str, Any]:
    """``spec`` over the template's job configuration (a managed template's document rendered)."""
    from . import managed_templates  # optional module, provided with templates

    if ":jobtemplate/AWS-" in template_arn:
        name_version = template_arn.split(":jobtemplate/", 1)[1]
        name, _, version = name_version.partition(":")
        if spec.get("document") or spec.get("documentSource"):
            raise invalid_request("A job created from a managed template takes no document.")
        rendered = managed_templates.render_managed_template(
            name, version or None, spec.get("documentParameters") or {}
        )
        raw = managed_templates.get(name, version or None).document
        return {**spec, "document": rendered, BEFORE_SUBSTITUTION: raw}
    template = backend.templates.get_by_arn(template_arn)
    merged = dict(template.job_config)
    if spec.get("document") is not None or spec.get("documentSource") is not None:
        merged.pop("document", None)
        merged.pop("documentSource", None)
    template_scheduling = merged.get("schedulingConfig")
    merged.update({k: v for k, v in spec.items() if v is not None})
    if template_scheduling and spec.get("schedulingConfig"):
        # The template's maintenance windows and the job's start/end times together.
        merged["schedulingConfig"] = {**template_scheduling, **spec["schedulingConfig"]}
    if spec.get("documentParameters"):
        raise invalid_request("documentParameters can only be used with a managed job template.")
    return merged
