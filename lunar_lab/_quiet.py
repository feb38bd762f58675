"""Silence TensorFlow's C++ start-up messages before TensorFlow is first imported.

TensorFlow prints oneDNN / CPU-feature / CUDA notices on import; for a course they are
noise that hides the output a learner should read. Setting ``TF_CPP_MIN_LOG_LEVEL``
before the first import is the documented switch; a value the user set is respected.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
