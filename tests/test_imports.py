"""What importing lunar_lab does to the process: no TensorFlow for the light modules, TF's CPU options set.

Each case runs in a fresh interpreter: TensorFlow reads its settings once per process.
"""

import collections
import json
import os
import subprocess
import sys

import pytest

TF_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "LUNAR_LAB_TF_THREADS")

NO_TENSORFLOW = """
import runpy, sys
import lunar_lab.config, lunar_lab.learner
sys.argv = ["lunar_lab.cli", "--help"]
try:
    runpy.run_module("lunar_lab.cli", run_name="__main__")   # what `python -m lunar_lab.cli --help` runs
except SystemExit as stop:
    assert stop.code == 0, stop.code
print(sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras")))
"""

# Threads by name after TensorFlow ran an op and an XLA-compiled function: TensorFlow names its
# inter-op pool threads "tf_Compute" and the XLA intra-op ones "tf_XLAEigen"; the Eigen intra-op
# pool's threads keep the main thread's name, as do threads that do not depend on the settings.
THREADS = """
import collections, json, os
import lunar_lab
import tensorflow as tf
x = tf.ones((8, 8))
tf.matmul(x, x).numpy()
tf.function(lambda a: tf.matmul(a, a), jit_compile=True)(x).numpy()
names = [open(f"/proc/self/task/{t}/comm").read().strip() for t in os.listdir("/proc/self/task")]
print(json.dumps(collections.Counter(names)))
"""


def run_python(code, **env_changes):
    env = {k: v for k, v in os.environ.items() if k not in TF_VARIABLES}
    env.update(env_changes)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)


def test_config_learner_and_cli_help_import_no_tensorflow():
    done = run_python(NO_TENSORFLOW)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout  # the help really ran
    assert done.stdout.splitlines()[-1] == "[]", done.stdout


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads through Linux's /proc")
def test_tensorflow_threads_follow_lunar_lab_tf_threads_and_keep_the_users_value():
    def threads(**env_changes):
        done = run_python(THREADS, **env_changes)
        assert done.returncode == 0, done.stderr
        names = collections.Counter(json.loads(done.stdout.splitlines()[-1]))
        other = sum(n for name, n in names.items() if not name.startswith("tf_"))
        return names["tf_Compute"], names["tf_XLAEigen"], other

    inter, xla_intra, other = threads()  # the default: 1 (TensorFlow's own would be one per core)
    assert (inter, xla_intra) == (1, 1)
    # LUNAR_LAB_TF_THREADS sets the inter-op pool; the user's TF_NUM_INTRAOP_THREADS=3 is kept.
    inter_2, xla_intra_3, other_3 = threads(LUNAR_LAB_TF_THREADS="2", TF_NUM_INTRAOP_THREADS="3")
    assert (inter_2, xla_intra_3) == (2, 3)
    assert other_3 - other == 3 - 1  # the Eigen intra-op pool grew from 1 to 3 threads


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_bad_lunar_lab_tf_threads_is_refused_on_import(value):
    done = run_python("import lunar_lab", LUNAR_LAB_TF_THREADS=value)
    assert done.returncode == 1
    assert f"ValueError: LUNAR_LAB_TF_THREADS must be a positive integer (TensorFlow threads), got {value!r}" in done.stderr
