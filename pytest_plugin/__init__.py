"""pytest plugin for mock_iotjobs: the ``iot_jobs_backend`` fixture and friends.

Installing the ``mock_iotjobs`` package registers it through the ``pytest11``
entry point; nothing else is needed.  The folder is installed as
``mock_iotjobs.pytest_plugin`` (see setup.py), so it never takes the top-level
name ``pytest_plugin`` from a user's project.  See its ``plugin`` module.
"""
