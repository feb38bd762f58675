"""Full training checkpoints: everything a run needs to continue exactly, written atomically.

A checkpoint is a folder (``checkpoints/latest`` of a run directory) holding

- ``config.json`` and the online networks' ``*.weights.h5`` (Keras), so that
  :func:`lunar_lab.runs.load_agent` can load it like any run;
- ``agent_state.npz``: the target networks, the optimizer's variables (Adam's moments and step
  count), the learner-step counter and, for SQN, log α_H and its optimizer
  (:meth:`lunar_lab.agents.base.QAgent.training_state`);
- ``replay.npz``: the replay buffer's contents, write position and sampling-generator state
  (:meth:`lunar_lab.replay.ReplayBuffer.state_dict`);
- ``state.json``: the loop's counters (env steps, episodes, ε's inputs, pending learner
  steps, next evaluation and checkpoint), its random generator's state, the episode and
  evaluation logs so far and the best evaluation.

No pickle anywhere: NumPy ``.npz`` files are read with ``allow_pickle=False``. A checkpoint is
written into a temporary folder and then renamed into place (:func:`replace_dir`), so a kill
at any instant leaves the previous checkpoint whole.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

#: Version of the checkpoint layout; a checkpoint of another version is refused on resume.
FORMAT_VERSION = 1
STATE_FILE = "state.json"
AGENT_FILE = "agent_state.npz"
REPLAY_FILE = "replay.npz"


def _old(final: Path) -> Path:
    return final.with_name(f".{final.name}.old")


def recover_dir(final: str | Path) -> Path:
    """Put back the previous whole folder if a kill struck between the two renames of :func:`replace_dir`."""
    final = Path(final)
    if not final.exists() and _old(final).is_dir():
        os.rename(_old(final), final)
    return final


def replace_dir(staged: str | Path, final: str | Path) -> Path:
    """Move the finished folder ``staged`` to ``final``, replacing what was there.

    ``final`` is renamed aside, ``staged`` renamed into place, then the old one deleted: at
    every instant either ``final`` or its aside copy is a whole folder, and
    :func:`recover_dir` (run before every read) restores the aside copy if ``final`` is
    missing. Both paths must be on one file system (siblings, as the loop uses them).
    """
    staged, final = Path(staged), recover_dir(final)
    old = _old(final)
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        os.rename(final, old)
    os.rename(staged, final)
    shutil.rmtree(old, ignore_errors=True)
    return final


def staging_dir(final: str | Path) -> Path:
    """A new, empty folder beside ``final`` to write a checkpoint into (stale ones are removed)."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    for stale in final.parent.glob(f".{final.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    path = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    path.mkdir()
    return path


def _write_weights(agent, folder: Path) -> None:
    """The online weights and config.json: what :func:`lunar_lab.runs.load_agent` reads."""
    agent.save(folder)
    (folder / "config.json").write_text(agent.config.to_json() + "\n")


def save_weights_dir(agent, final: str | Path) -> Path:
    """Write the agent's online weights and config.json into ``final``, atomically (the ``best`` slot)."""
    staged = staging_dir(final)
    _write_weights(agent, staged)
    return replace_dir(staged, final)


def save_checkpoint(final: str | Path, agent, buffer, state: dict) -> Path:
    """Write a full training checkpoint into ``final`` atomically; returns ``final``.

    Args:
        final: the checkpoint folder (created, or replaced once the new one is whole).
        agent: a :class:`lunar_lab.agents.base.QAgent` (or anything with ``save``,
            ``training_state`` and ``config``).
        buffer: a replay buffer with ``state_dict()`` (:class:`lunar_lab.replay.ReplayBuffer`).
        state: the loop's JSON-serialisable state; ``format`` is added.
    """
    staged = staging_dir(final)
    _write_weights(agent, staged)
    np.savez(staged / AGENT_FILE, **agent.training_state())
    np.savez(staged / REPLAY_FILE, **buffer.state_dict())
    (staged / STATE_FILE).write_text(json.dumps({"format": FORMAT_VERSION, **state}, allow_nan=False))
    return replace_dir(staged, final)


def read_state(path: str | Path) -> dict:
    """The loop state of the checkpoint at ``path`` (``state.json``).

    Raises:
        FileNotFoundError: ``path`` holds no training checkpoint.
        ValueError: the checkpoint is damaged or of another format version.
    """
    path = recover_dir(path)
    file = path / STATE_FILE
    if not file.is_file():
        raise FileNotFoundError(f"{path} holds no training checkpoint (no {STATE_FILE})")
    try:
        state = json.loads(file.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{file} is damaged: {err}") from None
    if state.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path} is a checkpoint of format {state.get('format')!r}; this lunar_lab reads "
                         f"format {FORMAT_VERSION} only (it was written by another version)")
    return state


def load_arrays(path: str | Path, name: str) -> dict[str, np.ndarray]:
    """The arrays of ``name`` (``AGENT_FILE`` or ``REPLAY_FILE``) in the checkpoint at ``path``, without pickle."""
    with np.load(Path(path) / name, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}
