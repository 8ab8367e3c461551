"""A worker process that ends with the process that made it.

The award and agreement-year runners compute in spawned worker processes. If the service
process that owns one is killed (`kill -9`, the OOM killer), nothing tells the worker, which
would go on computing for nobody and keep the multiprocessing resource tracker alive with it.
`exit_with_parent`, run first in each worker, checks every second that its parent is still the
one that made it, and leaves as soon as it is not. (Linux's PR_SET_PDEATHSIG would not do:
it follows the thread that made the worker, and the service's threads come and go.)
"""

import os
import threading
import time


def _watch(parent: int, every: float) -> None:
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)  # no clean-up to do: the work was for a process that is gone


def exit_with_parent(parent: int | None = None, every: float = 1.0) -> None:
    """Watch `parent` (the pid of the process that made this one, passed by it: read here,
    a parent that died while this one started would already be init), else this process's
    parent now."""
    if parent is None:
        parent = os.getppid()
    threading.Thread(
        target=_watch, args=(parent, every), name="vbp-parent-watch", daemon=True
    ).start()
