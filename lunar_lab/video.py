"""Episode videos: render a policy's episode to MP4 (H.264, yuv420p) with imageio, headless.

LunarLander renders 600×400 RGB frames. H.264 in yuv420p needs even dimensions; imageio's
default 16-pixel macro block would resize 600×400 (with a warning), so frames are written
with an 8-pixel macro block, which both sides divide exactly. Where no MP4 writer is
available, a GIF is written instead, with a warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import imageio.v2 as imageio
import numpy as np

from lunar_lab.envs import ENV_ID, make_env

FPS = 50  # LunarLander's render_fps


def record_episode(policy: Callable[[np.ndarray], np.ndarray], path: str | Path, seed: int = 0,
                   max_steps: int = 1000, env_id: str = ENV_ID) -> tuple[Path, float, int]:
    """Play one episode with ``policy`` and write its frames to ``path``.

    Args:
        policy: maps observations [N, obs_dim] float32 to actions [N] int; called with N = 1.
        path: output file, ``.mp4`` (or ``.gif``). Never overwritten.
        seed: reset seed of the episode.
        max_steps: stop after this many steps (the env's own limit is 1000).

    Returns:
        (path written, episode return, number of frames). The path ends in ``.gif`` if
        MP4 could not be written.

    Raises:
        FileExistsError: ``path`` exists.
        ValueError: ``path`` is neither .mp4 nor .gif.

    Example:
        >>> import tempfile, os
        >>> out = os.path.join(tempfile.mkdtemp(), "random.mp4")
        >>> p, ret, frames = record_episode(lambda obs: np.zeros(len(obs), int), out, max_steps=10)
        >>> frames   # the reset frame and one per step
        11
    """
    path = Path(path)
    if path.suffix not in (".mp4", ".gif"):
        raise ValueError(f"path must end in .mp4 or .gif, got {str(path)!r}")
    if path.exists():
        raise FileExistsError(f"{path} exists already; refusing to overwrite it")
    env = make_env(seed=seed, render_mode="rgb_array", env_id=env_id)
    obs, _ = env.reset(seed=seed)
    frames, total = [env.render()], 0.0
    for _ in range(max_steps):
        action = int(np.asarray(policy(obs[None]))[0])
        obs, reward, terminated, truncated, _ = env.step(action)
        total += float(reward)
        frames.append(env.render())
        if terminated or truncated:
            break
    env.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_video(frames, path), total, len(frames)


def write_video(frames: list[np.ndarray], path: str | Path, fps: int = FPS) -> Path:
    """Write RGB frames ([H, W, 3] uint8 each) to an MP4 or GIF; returns the path written.

    Falls back to a GIF beside ``path`` (with a warning) when the MP4 writer is missing.
    """
    path = Path(path)
    if path.suffix == ".mp4":
        try:
            imageio.mimwrite(path, frames, fps=fps, codec="libx264", pixelformat="yuv420p",
                             macro_block_size=8, quality=7)
            return path
        except Exception as err:  # no ffmpeg backend on this machine
            path.unlink(missing_ok=True)
            path = path.with_suffix(".gif")
            warnings.warn(f"could not write MP4 ({err}); writing a GIF to {path} instead", stacklevel=2)
    imageio.mimwrite(path, frames, duration=1000 / fps, loop=0)
    return path


def show_video(path: str | Path, width: int = 480):
    """Display a video inline in Jupyter (embedded, so it survives saving the notebook).

    Returns an ``IPython.display`` object: ``Video`` for MP4, ``Image`` for GIF.
    """
    from IPython.display import Image, Video

    path = Path(path)
    if path.suffix == ".gif":
        return Image(filename=str(path), width=width)
    return Video(str(path), embed=True, width=width, html_attributes="controls autoplay loop muted")
