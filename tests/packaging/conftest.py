"""The throwaway user project, as a fixture."""

from __future__ import annotations

from pathlib import Path

import pytest
from userproject import write_user_project


@pytest.fixture
def user_project(tmp_path: Path) -> Path:
    return write_user_project(tmp_path / "userproject")
