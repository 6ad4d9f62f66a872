"""``mock_iotjobs``: function decorator, class decorator and context manager."""

from __future__ import annotations

import functools
import inspect
import os
import unittest
from typing import Any, Callable, Dict, List, Optional

from . import fastpath  # noqa: F401  (registers the before-call handler)
from .backend.state import BackendStore
from .credentials import EnvironmentPatch
from .handle import MockIotJobs
from .interception import pop_store, push_store


class mock_iotjobs:  # noqa: N801 - lower-case like moto's decorators, on purpose
    """Serve AWS IoT Jobs (``iot`` and ``iot-jobs-data``) in memory.

    Use it as ``@mock_iotjobs``, ``@mock_iotjobs()``, on a class (each test
    method gets a fresh mock), or as ``with mock_iotjobs() as m:``.  Every
    activation starts empty and is torn down fully on exit.
    """

    def __new__(cls, func: Optional[Callable[..., Any]] = None, **options: Any) -> Any:
        if inspect.isclass(func):
            # Bare ``@mock_iotjobs`` on a class: the decorated class must come back.
            return _wrap_class(func, options)
        return super().__new__(cls)

    def __init__(
        self,
        func: Optional[Callable[..., Any]] = None,
        *,
        region: Optional[str] = None,
        fast_path: Optional[bool] = None,
    ) -> None:
        self._region = region
        self._fast_path = fast_path
        # What a decorated function or class passes on to each fresh activation.
        self._options: Dict[str, Any] = {"region": region, "fast_path": fast_path}
        self._func = func
        self._active: List[tuple] = []
        if func is not None:
            functools.update_wrapper(self, func)

    # --- context manager -------------------------------------------------
    def start(self) -> MockIotJobs:
        """Activate a fresh mock; returns its handle."""
        store = BackendStore()
        store.fast_path = _fast_path_wanted(self._fast_path)
        env = EnvironmentPatch(self._region)
        env.apply()
        try:
            push_store(store)
        except BaseException:
            env.restore()
            raise
        self._active.append((store, env))
        return MockIotJobs(store, self._region)

    def stop(self) -> None:
        """Deactivate the most recent activation of this object."""
        if not self._active:
            return
        store, env = self._active.pop()
        try:
            pop_store(store)
        finally:
            env.restore()

    def __enter__(self) -> MockIotJobs:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- decorators ------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._func is not None:
            # Used bare as ``@mock_iotjobs`` on a function: this call is the test.
            return _wrap_function(self._func, self._options)(*args, **kwargs)
        if len(args) == 1 and not kwargs and callable(args[0]):
            target = args[0]
            if inspect.isclass(target):
                return _wrap_class(target, self._options)
            return _wrap_function(target, self._options)
        raise TypeError("mock_iotjobs() decorates a function or a class")

    def __get__(self, instance: Any, owner: Any) -> Any:
        # Bare ``@mock_iotjobs`` on a method must bind like the function it wraps.
        if instance is None or self._func is None:
            return self
        return functools.partial(self.__call__, instance)


def _wrap_function(func: Callable[..., Any], options: Dict[str, Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            with mock_iotjobs(**options):
                return await func(*args, **kwargs)

        return run_async

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        with mock_iotjobs(**options):
            return func(*args, **kwargs)

    return run


def _wrap_class(cls: type, options: Dict[str, Any]) -> type:
    if issubclass(cls, unittest.TestCase):
        # One activation spans setUp, the test and tearDown; addCleanup runs
        # after tearDown and even when setUp fails.
        original_setup = cls.setUp

        @functools.wraps(original_setup)
        def setUp(self: unittest.TestCase) -> None:  # noqa: N802 - unittest's name
            mock = mock_iotjobs(**options)
            mock.start()
            self.addCleanup(mock.stop)
            original_setup(self)

        cls.setUp = setUp  # type: ignore[method-assign]
        return cls
    for name, value in list(vars(cls).items()):
        if name.startswith("test") and inspect.isfunction(value):
            setattr(cls, name, _wrap_function(value, options))
    return cls


def _fast_path_wanted(explicit: Optional[bool]) -> bool:
    if explicit is not None:
        return explicit
    return os.environ.get("MOCK_IOTJOBS_FAST_PATH", "1").lower() not in ("0", "false", "no")
