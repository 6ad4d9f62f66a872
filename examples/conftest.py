"""The example application's tests use mock_iotjobs's pytest plugin the way a user
would: through its fixtures (``iot_jobs_backend``, ``iot_client``,
``iot_jobs_data_client``) and the ``iot_jobs`` marker.

Installing the package registers the plugin (``pytest11`` entry point); from a
source tree that is not installed it is loaded here instead.  The entry point
has already imported the plugin module by the time conftests load, so this
never registers it twice.
"""

import sys
from pathlib import Path

# ``import fleet_ota`` works whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))

if "mock_iotjobs.pytest_plugin.plugin" not in sys.modules:
    import importlib.util

    # Installed (entry points off): the installed module; a bare source tree: the folder.
    _INSTALLED = importlib.util.find_spec("mock_iotjobs.pytest_plugin") is not None
    pytest_plugins = ["mock_iotjobs.pytest_plugin.plugin" if _INSTALLED else "pytest_plugin.plugin"]
