"""Process-wide TensorFlow settings, applied when ``lunar_lab`` is imported, without importing TensorFlow.

Every setting is an environment variable that TensorFlow reads itself; a value the user
set before is kept (``os.environ.setdefault``).

- ``TF_CPP_MIN_LOG_LEVEL=3``: TensorFlow prints oneDNN / CPU-feature / CUDA notices on
  import; for a course they are noise that hides the output a learner should read.
  ``TF_ENABLE_ONEDNN_OPTS=0`` likewise: oneDNN's custom kernels announce themselves on
  import and make float results depend on the CPU model. Both are read when TensorFlow is
  imported, so ``import lunar_lab`` must come first (the first line of every notebook).
- ``KERAS_BACKEND=tensorflow``.
- ``TF_NUM_INTRAOP_THREADS`` and ``TF_NUM_INTEROP_THREADS`` = ``LUNAR_LAB_TF_THREADS``
  (default 1): the learning step multiplies 64×128 matrices, far too small to split across
  cores; with one thread, a compiled learning call runs about 1.7× faster on a 2-core CPU,
  and the other core is free to step the environments while the learner computes (see
  :mod:`lunar_lab.training`). TensorFlow reads these two when its runtime starts (the first
  operation, not the import), so they apply unless TensorFlow already ran an operation.
  TensorFlow 2.21 honours them exactly as ``tf.config.threading.set_*_parallelism_threads``:
  with 1, the process has one inter-op thread (named ``tf_Compute``), one XLA intra-op
  thread (``tf_XLAEigen``) and one Eigen intra-op thread (tests/test_imports.py counts
  them). ``tf.config.threading.get_*_parallelism_threads()`` still returns 0 ("TensorFlow's
  choice"): it reports only what was set through ``tf.config``.

Raises:
    ValueError: ``LUNAR_LAB_TF_THREADS`` is not a positive integer.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

_threads = os.environ.get("LUNAR_LAB_TF_THREADS", "1")
if not (_threads.isascii() and _threads.isdigit() and int(_threads) >= 1):
    raise ValueError(f"LUNAR_LAB_TF_THREADS must be a positive integer (TensorFlow threads), got {_threads!r}")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", _threads)
os.environ.setdefault("TF_NUM_INTEROP_THREADS", _threads)
