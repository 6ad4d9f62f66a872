"""AWS managed job templates: a fixed catalogue shared by every account, and the
substitution of ``documentParameters`` into their documents.

The documents follow the ones AWS publishes for its managed templates
(``runHandler`` / ``runCommand`` steps with ``${aws:iot:parameter:NAME}``
placeholders); every template takes the optional ``runAsUser`` and
``pathToHandler`` parameters.  Managed templates are region-wide, so their
ARNs have no account: ``arn:aws:iot:us-east-1::jobtemplate/AWS-Reboot:1.0``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from ...protocol.errors import invalid_request, not_found
from ..arns import partition

_PLACEHOLDER = re.compile(r"\$\{aws:iot:parameter:([A-Za-z0-9_-]+)\}")
_MANAGED_ARN = re.compile(r"arn:aws(?:-cn|-us-gov)?:iot:[a-z0-9-]+::jobtemplate/([^:/]+)(?::(.+))?")


@dataclass(frozen=True)
class ManagedTemplate:
    name: str
    version: str
    description: str
    environments: Tuple[str, ...]
    parameters: Tuple[Dict[str, Any], ...]
    document: str

    def arn(self, region: str) -> str:
        return f"arn:{partition(region)}:iot:{region}::jobtemplate/{self.name}:{self.version}"

    def summary(self, region: str) -> Dict[str, Any]:
        return {
            "templateArn": self.arn(region),
            "templateName": self.name,
            "description": self.description,
            "environments": list(self.environments),
            "templateVersion": self.version,
        }

    def describe(self, region: str) -> Dict[str, Any]:
        return {
            "templateName": self.name,
            "templateArn": self.arn(region),
            "description": self.description,
            "templateVersion": self.version,
            "environments": list(self.environments),
            "documentParameters": [dict(p) for p in self.parameters],
            "document": self.document,
        }


def _param(key: str, description: str, regex: str, example: str, optional: bool) -> Dict[str, Any]:
    return {
        "key": key,
        "description": description,
        "regex": regex,
        "example": example,
        "optional": optional,
    }


_COMMON = (
    _param(
        "runAsUser",
        "Execute handler as another user. If not specified, then handler is executed as the "
        "same user as device client.",
        "(.){0,256}",
        "user1",
        True,
    ),
    _param(
        "pathToHandler",
        "Path to handler on the device. If not specified, then device client will use the current working directory.",
        "(.){0,4096}",
        "/path/to/handler/script",
        True,
    ),
)


def _placeholder(key: str) -> str:
    return "${aws:iot:parameter:" + key + "}"


def _document(action: str, step_type: str, step_input: Dict[str, Any]) -> str:
    step = {
        "action": {
            "name": action,
            "type": step_type,
            "input": step_input,
            "runAsUser": "${aws:iot:parameter:runAsUser}",
        }
    }
    return json.dumps({"version": "1.0", "steps": [step]}, separators=(",", ":"))


def _handler(
    name: str, description: str, action: str, script: str, params: Tuple[Dict[str, Any], ...]
) -> ManagedTemplate:
    step_input: Dict[str, Any] = {"handler": script}
    if params:
        step_input["args"] = [_placeholder(p["key"]) for p in params]
    step_input["path"] = "${aws:iot:parameter:pathToHandler}"
    return ManagedTemplate(
        name, "1.0", description, ("LINUX",), params + _COMMON, _document(action, "runHandler", step_input)
    )


def _list_param(key: str, what: str, example: str) -> Tuple[Dict[str, Any], ...]:
    return (_param(key, f"Space separated list of {what}.", "(.)+", example, False),)


CATALOGUE: Tuple[ManagedTemplate, ...] = (
    _handler("AWS-Reboot", "A managed job template for rebooting the device.", "Reboot", "reboot.sh", ()),
    _handler(
        "AWS-Download-File",
        "A managed job template for downloading a file.",
        "Download-File",
        "download-file.sh",
        (
            _param("downloadUrl", "URL of file to download.", "(.*?)", "http://www.example.com/index.html", False),
            _param("filePath", "Path on the device where downloaded file is written.", "(.*?)", "/path/to/file", False),
        ),
    ),
    _handler(
        "AWS-Install-Application",
        "A managed job template for installing one or more applications.",
        "Install-Application",
        "install-packages.sh",
        _list_param("packages", "packages to install", "lsof nano"),
    ),
    _handler(
        "AWS-Remove-Application",
        "A managed job template for uninstalling one or more applications.",
        "Remove-Application",
        "remove-packages.sh",
        _list_param("packages", "packages to remove", "lsof nano"),
    ),
    _handler(
        "AWS-Start-Application",
        "A managed job template for starting one or more system services.",
        "Start-Application",
        "start-services.sh",
        _list_param("services", "services to start", "ssh cron"),
    ),
    _handler(
        "AWS-Stop-Application",
        "A managed job template for stopping one or more system services.",
        "Stop-Application",
        "stop-services.sh",
        _list_param("services", "services to stop", "ssh cron"),
    ),
    _handler(
        "AWS-Restart-Application",
        "A managed job template for restarting one or more system services.",
        "Restart-Application",
        "restart-services.sh",
        _list_param("services", "services to restart", "ssh cron"),
    ),
    ManagedTemplate(
        "AWS-Run-Command",
        "1.0",
        "A managed job template for running a command.",
        ("LINUX",),
        (
            _param(
                "command",
                "Command to run: the program and its arguments, separated by commas.",
                "(.){1,4096}",
                "ls,-l,/tmp",
                False,
            ),
            _COMMON[0],
        ),
        json.dumps(
            {
                "version": "1.0",
                "steps": [
                    {
                        "action": {
                            "name": "Run-Command",
                            "type": "runCommand",
                            "input": {"command": "${aws:iot:parameter:command}"},
                            "runAsUser": "${aws:iot:parameter:runAsUser}",
                        }
                    }
                ],
            },
            separators=(",", ":"),
        ),
    ),
)


def _version_key(version: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def listing(name: Optional[str] = None) -> List[ManagedTemplate]:
    """Managed templates (every version), optionally only those called ``name``."""
    if name is None:
        return list(CATALOGUE)
    found = [t for t in CATALOGUE if t.name == name]
    if not found:
        raise not_found(f"Managed job template {name} does not exist.")
    return found


def get(name: str, version: Optional[str] = None) -> ManagedTemplate:
    """One managed template; without ``version``, its latest (default) version."""
    versions = [t for t in CATALOGUE if t.name == name]
    if version is not None:
        versions = [t for t in versions if t.version == version]
    if not versions:
        label = f"{name}:{version}" if version is not None else name
        raise not_found(f"Managed job template {label} does not exist.")
    return max(versions, key=lambda t: _version_key(t.version))


def parse_arn(arn: str) -> Optional[Tuple[str, Optional[str]]]:
    """(name, version or None) if ``arn`` is a managed template ARN, else None."""
    match = _MANAGED_ARN.fullmatch(arn)
    return (match.group(1), match.group(2)) if match else None


def render_managed_template(name: str, version: Optional[str], document_parameters: Optional[Dict[str, str]]) -> str:
    """The template's document with ``${aws:iot:parameter:KEY}`` replaced by the given values.

    Unknown keys, missing required keys and values not matching a parameter's
    regex are InvalidRequestException; an optional parameter left out becomes "".
    """
    template = get(name, version)
    given = dict(document_parameters or {})
    declared = {p["key"]: p for p in template.parameters}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise invalid_request(
            f"Unknown document parameters for managed template {template.name}: {', '.join(unknown)}."
        )
    missing = [k for k, p in declared.items() if not p["optional"] and k not in given]
    if missing:
        raise invalid_request(
            f"Missing required document parameters for managed template {template.name}: {', '.join(missing)}."
        )
    for key, value in given.items():
        if re.fullmatch(declared[key]["regex"], value, re.DOTALL) is None:
            raise invalid_request(
                f"Value for document parameter {key} does not match the pattern {declared[key]['regex']}."
            )

    def substitute(match: "re.Match[str]") -> str:
        # Placeholders sit inside JSON strings: escape the value so the document stays JSON.
        return json.dumps(given.get(match.group(1), ""))[1:-1]

    return _PLACEHOLDER.sub(substitute, template.document)
