"""Greedy evaluation on fixed seeds, and episode videos."""

import numpy as np
import pytest

from lunar_lab.evaluation import evaluate
from lunar_lab.video import record_episode


def nothing(obs):
    return np.zeros(len(obs), dtype=int)


def test_evaluation_is_independent_of_parallelism_and_seeded():
    a = evaluate(nothing, episodes=5, num_envs=2)
    b = evaluate(nothing, episodes=5, num_envs=5)
    np.testing.assert_allclose(a.returns, b.returns)
    np.testing.assert_array_equal(a.lengths, b.lengths)
    c = evaluate(nothing, episodes=5, seed=7)
    assert not np.allclose(a.returns, c.returns)


def test_evaluation_matches_a_plain_episode_loop():
    from lunar_lab.envs import make_env

    env = make_env()
    obs, _ = env.reset(seed=1_000_002)
    total, done = 0.0, False
    while not done:
        obs, r, term, trunc, _ = env.step(0)
        total += r
        done = term or trunc
    assert evaluate(nothing, episodes=3).returns[2] == pytest.approx(total)


def test_video_frame_count_and_size(tmp_path):
    path, ret, frames = record_episode(nothing, tmp_path / "ep.mp4", seed=0, max_steps=30)
    assert path.suffix == ".mp4" and frames == 31
    import imageio.v2 as imageio
    reader = imageio.get_reader(path)
    n = sum(1 for _ in reader)
    size = reader.get_meta_data()["size"]
    reader.close()
    assert n == 31 and tuple(size) == (600, 400)


def test_video_never_overwrites(tmp_path):
    (tmp_path / "ep.mp4").write_bytes(b"keep")
    with pytest.raises(FileExistsError):
        record_episode(nothing, tmp_path / "ep.mp4", max_steps=1)
    assert (tmp_path / "ep.mp4").read_bytes() == b"keep"


def test_bad_arguments():
    with pytest.raises(ValueError, match="episodes must be an integer >= 1, got 0"):
        evaluate(nothing, episodes=0)
    with pytest.raises(ValueError, match="path must end in .mp4 or .gif"):
        record_episode(nothing, "x.avi")
