"""The worker process of a runner (award, agreement-year simulation): a `ProcessPoolExecutor`
on a `spawn` context, made on first use, made again after it broke, closed once with the
runner. Standard library only: the award's worker process imports this module's importer."""

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any


class SpawnPool:
    def __init__(
        self, *, initializer: Callable[..., None], max_workers: int = 1, closed_message: str
    ) -> None:
        self._initializer = initializer
        self._max_workers = max_workers
        self._closed_message = closed_message
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False

    @property
    def executor(self) -> ProcessPoolExecutor | None:
        """The current pool, if one was made and not yet reset or closed."""
        return self._executor

    def get(self, initargs: Callable[[], tuple[Any, ...]] = tuple) -> ProcessPoolExecutor:
        """The pool, made now if there is none (its workers initialised with what `initargs()`
        gives, asked only then); RuntimeError once closed."""
        with self._lock:
            if self._closed:
                raise RuntimeError(self._closed_message)
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self._max_workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=self._initializer,
                    initargs=initargs(),
                )
            return self._executor

    def reset(self) -> None:
        """Drop a broken pool (its worker died); the next `get` makes a new one."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Finish the running task, cancel the queued ones, and make no pool again."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
