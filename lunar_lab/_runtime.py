"""Process-wide TensorFlow settings, applied once when ``lunar_lab`` is imported.

- ``TF_CPP_MIN_LOG_LEVEL=3``: TensorFlow prints oneDNN / CPU-feature / CUDA notices on
  import; for a course they are noise that hides the output a learner should read. A
  value the user set is respected. ``TF_ENABLE_ONEDNN_OPTS=0`` likewise: oneDNN's custom
  kernels announce themselves on import and make float results depend on the CPU model.
- One intra-op and one inter-op thread: the learning step multiplies 64×128 matrices, far
  too small to split across cores; with one thread, a compiled learning call runs about
  1.7× faster on a 2-core CPU, and the other core is free to step the environments while
  the learner computes (see :mod:`lunar_lab.training`). Set ``LUNAR_LAB_TF_THREADS`` to
  change it; if TensorFlow was already initialised by the user, nothing is changed.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def configure_threads() -> None:
    """Limit TensorFlow to ``LUNAR_LAB_TF_THREADS`` (default 1) threads, if still possible."""
    import tensorflow as tf

    threads = int(os.environ.get("LUNAR_LAB_TF_THREADS", "1"))
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # TensorFlow already initialised by the caller: keep their settings
        pass


configure_threads()
