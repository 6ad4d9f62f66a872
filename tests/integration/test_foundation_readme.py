"""The README's quick start runs as written, in a fresh interpreter with no AWS configuration."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
SNIPPETS = re.findall(r"```python\n(.*?)```", README, re.S)


def test_readme_has_the_quick_start() -> None:
    assert len(SNIPPETS) >= 2
    assert "make demo" in README and "make test" in README


@pytest.mark.parametrize("index", range(len(SNIPPETS)))
def test_quick_start_snippet_runs(index: int, tmp_path: Path) -> None:
    script = tmp_path / "quick_start.py"
    script.write_text(SNIPPETS[index], encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "none")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    command = [sys.executable, str(script)]
    if "iot_jobs_backend" in SNIPPETS[index]:
        # A pytest snippet: run it as a test file, through the plugin.
        script.rename(tmp_path / "test_quick_start.py")
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_quick_start.py"]
        if not _plugin_installed():
            command[4:4] = ["-p", "pytest_plugin.plugin"]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    if "iot_jobs_backend" in SNIPPETS[index]:
        assert "1 passed" in done.stdout


def _plugin_installed() -> bool:
    from importlib.metadata import entry_points

    return any(ep.name == "mock_iotjobs" for ep in entry_points(group="pytest11"))
