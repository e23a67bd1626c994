"""Worker processes die with the driver, however the driver dies.

A pool worker outlives a driver killed with SIGKILL: it keeps training, then blocks writing its
result to a pipe nobody reads. Because every forkserver child also holds the forkserver's "alive"
pipe and the resource tracker's pipe, those two helpers live on as well (about 790 MB per kill).
So each worker watches the driver and exits the moment it is gone; the forkserver and the resource
tracker then see their pipes close and exit by themselves.

Two guards, both armed in the worker initializer:

- a parent-death signal (``prctl(PR_SET_PDEATHSIG, SIGKILL)``, Linux) when the worker's parent *is*
  the driver (``spawn``); under ``forkserver`` the parent is the fork server, which outlives the
  driver for as long as any worker lives, so the signal alone would never fire;
- a daemon thread that waits on a pidfd of the driver (``os.pidfd_open``, readable when it
  exits, zombies included) or, where there is none, polls the driver's pid.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import select
import signal
import threading
import time

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
EXIT_CODE = 70  # what an orphaned worker exits with (EX_SOFTWARE), visible in the driver's logs


def _set_parent_death_signal() -> bool:
    """Ask the kernel to SIGKILL this process when its parent exits (Linux only)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):  # not Linux, or no prctl: the watchdog still guards
        return False


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` names a live process (a zombie, killed but not reaped, counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            # the state follows the command name in parentheses, which may itself hold ')'
            return handle.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def _watch(pid: int, pidfd: int | None, poll_s: float) -> None:
    if pidfd is not None:
        select.select([pidfd], [], [])  # readable once the process has exited
    else:
        while pid_alive(pid):
            time.sleep(poll_s)
    # the driver is gone: nobody will read a result, so there is nothing to clean up for
    os._exit(EXIT_CODE)


def exit_with_parent(pid: int | None = None, *, poll_s: float = 0.5) -> bool:
    """Make this process exit when process ``pid`` (default: the multiprocessing parent) exits.

    Args:
        pid: the process to outlive no longer; default: the process that created this one
            (``multiprocessing.parent_process()``, the driver under spawn and forkserver alike).
        poll_s: polling period where a pidfd is not available.

    Returns:
        whether a watch was armed (False outside a multiprocessing child with no ``pid``).
    """
    if pid is None:
        parent = mp.parent_process()
        if parent is None or parent.pid is None:
            return False
        pid = parent.pid
    if os.getppid() == pid:
        _set_parent_death_signal()
    pidfd = None
    if hasattr(os, "pidfd_open"):
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:  # old kernel, or already gone (then the poll below sees it)
            pidfd = None
    if not pid_alive(pid):  # died before the guards were armed
        os._exit(EXIT_CODE)
    threading.Thread(target=_watch, args=(pid, pidfd, poll_s), name="gradlab-parent-watch",
                     daemon=True).start()
    return True
