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
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
