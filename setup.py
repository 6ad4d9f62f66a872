"""Only what pyproject.toml cannot say: the package list with one renamed folder.

The repository keeps the pytest plugin in ``pytest_plugin/``; it is installed
as ``mock_iotjobs.pytest_plugin`` so it never claims the top-level name
``pytest_plugin``, which user projects use for their own plugins.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["mock_iotjobs", "mock_iotjobs.*"]) + ["mock_iotjobs.pytest_plugin"],
    package_dir={"mock_iotjobs.pytest_plugin": "pytest_plugin"},
)
