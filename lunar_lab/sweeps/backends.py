"""Where a sweep's runs execute: a local process pool, or an existing Ray cluster.

Both hand out :class:`concurrent.futures.Future` objects, so :func:`lunar_lab.sweeps.execution.run_sweep`
treats them alike. Each run uses one TensorFlow thread (its learner thread and its
environment thread together keep about one core busy; see :mod:`lunar_lab._runtime`).
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import subprocess
import sys
from concurrent.futures import Future, ProcessPoolExecutor

#: TensorFlow threads of every run of a sweep.
_WORKER_ENV = {"LUNAR_LAB_TF_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
#: Seconds to wait for a TCP connection to the cluster's address, and then for Ray to attach to it.
TCP_TIMEOUT_S = 5
RAY_CONNECT_TIMEOUT_S = 60


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _init_worker() -> None:
    os.environ.update(_WORKER_ENV)


class LocalPool:
    """Runs on this machine: a pool of ``workers`` processes (default: :func:`usable_cores`).

    Processes are started with ``spawn`` (a fresh interpreter: TensorFlow is never forked)
    and reused from run to run; a run's result does not depend on which process ran it or
    what it ran before (every run seeds everything from its config).
    """

    def __init__(self, workers: int | None = None):
        self.workers = workers or usable_cores()
        self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_init_worker)

    def describe(self) -> str:
        """A few words for the progress bar, e.g. ``"2 local workers"``."""
        return f"{self.workers} local worker{'s' if self.workers > 1 else ''}"

    def submit(self, fn, task) -> Future:
        """Run ``fn(task)`` in a worker process; ``task`` must be picklable."""
        return self._pool.submit(fn, task)

    def shutdown(self, cancel: bool = False) -> None:
        """Stop the workers: after the submitted runs finish, or at once with ``cancel`` (Ctrl-C)."""
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)


class RayCluster:
    """Runs on the Ray cluster this process is connected to (see :func:`connect_ray`), one CPU per run."""

    def __init__(self, address: str):
        import ray

        self.address = address
        self._remote = None
        self._ray = ray

    def describe(self) -> str:
        """A few words for the progress bar, e.g. ``"Ray cluster 10.0.0.5:6379 (16 CPUs)"``."""
        cpus = int(self._ray.cluster_resources().get("CPU", 0))
        return f"Ray cluster {self.address} ({cpus} CPUs)"

    def submit(self, fn, task) -> Future:
        """Run ``fn(task)`` as a Ray task of one CPU, never retried (a failure is recorded instead)."""
        if self._remote is None:
            self._remote = self._ray.remote(num_cpus=1, max_retries=0)(fn)
        return self._remote.remote(task).future()

    def shutdown(self, cancel: bool = False) -> None:
        """Disconnect from the cluster (its tasks of a cancelled sweep are abandoned)."""
        self._ray.shutdown()


def parse_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` as (host, port).

    Raises:
        ValueError: not of the form HOST:PORT with a port in [1, 65535].

    Example:
        >>> parse_address("10.0.0.5:6379")
        ('10.0.0.5', 6379)
        >>> parse_address("ray://10.0.0.5")
        Traceback (most recent call last):
        ...
        ValueError: address must be HOST:PORT of a Ray cluster's head (as printed by `ray start --head`), got 'ray://10.0.0.5'
    """
    host, _, port = str(address).rpartition(":")
    if not host or "/" in host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"address must be HOST:PORT of a Ray cluster's head (as printed by `ray start --head`), "
                         f"got {address!r}")
    return host, int(port)


def connect_ray(address: str, workers: int | None = None, timeout_s: float = RAY_CONNECT_TIMEOUT_S) -> RayCluster:
    """Connect to the running Ray cluster at ``address`` (never starts one, never falls back).

    Three checks, each bounded in time, so that a wrong address fails fast with what was tried:
    Ray is installed; a TCP connection to HOST:PORT opens within :data:`TCP_TIMEOUT_S`; a
    separate Python process attaches to the cluster within ``timeout_s`` seconds
    (``ray.init`` itself waits indefinitely for a port that answers but is not a Ray head).

    Raises:
        ValueError: ``workers`` given (the cluster schedules by its own CPUs), a malformed
            address, Ray not installed, nothing listening, or no Ray cluster there.
    """
    if workers is not None:
        raise ValueError(f"workers applies to the local pool; a Ray cluster schedules runs on its own CPUs, "
                         f"got workers={workers} with address={address!r}")
    host, port = parse_address(address)
    try:
        import ray  # noqa: F401
    except ImportError:
        raise ValueError("--address needs Ray: pip install 'lunar_lab[ray]' (or pip install ray) on this machine and "
                         "the cluster's") from None
    try:
        socket.create_connection((host, port), timeout=TCP_TIMEOUT_S).close()
    except OSError as err:
        raise ValueError(f"no Ray cluster at {address}: a TCP connection to {host}:{port} failed within "
                         f"{TCP_TIMEOUT_S} s ({err.strerror or err}); start one with `ray start --head --port {port}` "
                         "or check the address (also RAY_ADDRESS)") from None
    probe = "import ray, sys; ray.init(address=sys.argv[1], logging_level='ERROR'); ray.shutdown()"
    try:
        subprocess.run([sys.executable, "-c", probe, address], check=True, capture_output=True,
                       timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise ValueError(f"no Ray cluster at {address}: {host}:{port} accepts TCP connections, but Ray could not "
                         f"attach to it within {timeout_s:g} s (is it a Ray head's GCS port, "
                         "and the same Ray version?)") from None
    except subprocess.CalledProcessError as err:
        last = (err.stderr or b"").decode(errors="replace").strip().splitlines()[-1:] or ["(no message)"]
        raise ValueError(f"no Ray cluster at {address}: ray.init failed: {last[0]}") from None
    ray.init(address=address, logging_level="ERROR", runtime_env={"env_vars": dict(_WORKER_ENV)})
    return RayCluster(address)
