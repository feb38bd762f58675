"""What a computed artifact records about the machine that made it (see RECORD.json files).

Training runs are bit-reproducible only on one kind of CPU: XLA and the BLAS libraries pick
their kernels for the host, so the same config gives other floating-point results on another
CPU model. Every shipped result therefore records the CPU it was computed on.
"""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else :func:`platform.processor`).

    Example:
        >>> isinstance(cpu_name(), str) and len(cpu_name()) > 0
        True
    """
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_kind() -> str:
    """The CPU's model name and a digest of its instruction-set flags, e.g. ``"AMD EPYC (flags 3f2a9c1b)"``.

    A virtual machine often reports a generic model name ("AMD EPYC") for several CPU
    generations; the flags (AVX2, AVX-512, …) are what XLA picks its kernels by, so two hosts
    with the same ``cpu_kind`` reproduce each other's runs bit for bit.
    """
    flags = ""
    try:
        flags = next((line.split(":", 1)[1] for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith(("flags", "Features"))), "")
    except OSError:
        pass
    digest = hashlib.sha256(" ".join(sorted(flags.split())).encode()).hexdigest()[:8] if flags else "unknown"
    return f"{cpu_name()} (flags {digest})"
