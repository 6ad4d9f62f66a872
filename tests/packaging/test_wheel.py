"""The built distribution works on its own: ``python -m build`` makes an sdist and a
wheel; a fresh virtualenv with only the wheel and pytest (not editable, no source
tree on the path) runs the examples' tests and a user project with its own
``pytest_plugin`` package.

It needs PyPI for the dependencies and takes about a minute, so it runs only
when ``MOCK_IOTJOBS_PACKAGING_TESTS=1``: ``make test-package``, which .ci/run calls.
"""

from __future__ import annotations

import os
import shutil
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from userproject import REPO, clean_env, run, write_user_project

pytestmark = pytest.mark.skipif(
    os.environ.get("MOCK_IOTJOBS_PACKAGING_TESTS") != "1",
    reason="builds and installs the wheel (~1 min, needs PyPI): make test-package",
)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    env = clean_env(out)
    done = run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)], cwd=out, env=env, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv's python with the wheel and pytest installed."""
    home = tmp_path_factory.mktemp("venv")
    venv.create(home, with_pip=True)
    python = home / "bin" / "python"
    (wheel,) = dist.glob("*.whl")
    done = run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel), "pytest"],
        cwd=home,
        env=clean_env(home),
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return python


def test_build_makes_an_sdist_and_a_wheel(dist: Path) -> None:
    from mock_iotjobs import __version__

    names = sorted(p.name for p in dist.iterdir())
    assert names == [f"mock_iotjobs-{__version__}-py3-none-any.whl", f"mock_iotjobs-{__version__}.tar.gz"]


def test_the_wheel_keeps_everything_inside_our_namespace(dist: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"mock_iotjobs", next(t for t in tops if t.endswith(".dist-info"))}
    assert "mock_iotjobs/pytest_plugin/plugin.py" in names
    assert "mock_iotjobs/pytest_plugin/mqtt_fixtures.py" in names
    assert "mock_iotjobs/py.typed" in names
    assert "mock_iotjobs = mock_iotjobs.pytest_plugin.plugin" in entry_points
    assert "Classifier: Framework :: Pytest" in metadata and "Keywords:" in metadata
    assert "Project-URL: Changelog" in metadata


def test_the_examples_pass_against_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    shutil.copytree(REPO / "examples", examples, ignore=shutil.ignore_patterns("__pycache__"))
    where = run(
        [str(installed), "-c", "import mock_iotjobs, mock_iotjobs.pytest_plugin.plugin as p; print(p.__file__)"],
        cwd=tmp_path,
        env=clean_env(tmp_path),
    )
    assert where.returncode == 0 and str(installed.parent.parent) in where.stdout, where.stdout + where.stderr
    done = run([str(installed), "-m", "pytest", "-q", "-p", "no:cacheprovider", "examples"], cwd=tmp_path,
               env=clean_env(tmp_path))
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


def test_a_user_project_with_its_own_pytest_plugin_against_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    project = write_user_project(tmp_path / "userproject")
    done = run([str(installed), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, env=clean_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout
