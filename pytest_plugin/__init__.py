"""pytest plugin for mock_iotjobs: the ``iot_jobs_backend`` fixture and friends.

Installing the ``mock_iotjobs`` package registers it through the ``pytest11``
entry point; nothing else is needed.  See :mod:`pytest_plugin.plugin`.
"""
