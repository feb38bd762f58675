"""``python benchmarks/bench_training.py [options]``: the training-speed benchmark.

The benchmark itself is the package :mod:`training_bench` (next to this script); this script
is its documented command. ``--help`` lists the options; benchmarks/README.md explains them.
"""

import sys

from training_bench.cli import main

if __name__ == "__main__":
    sys.exit(main())
