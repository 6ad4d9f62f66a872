"""``crypto`` (and with it the ``cryptography`` package) loaded on first use.

Certificates are one domain of many: a test that never issues one should not
pay for importing ``cryptography`` when the mock is imported.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import TYPE_CHECKING


def _lazy(name: str) -> ModuleType:
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    from . import crypto as crypto
else:
    crypto = _lazy(__name__.rpartition(".")[0] + ".crypto")
