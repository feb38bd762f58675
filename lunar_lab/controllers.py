"""Hand-written LunarLander controllers: policies that need no learning.

They give the notebooks and tests episodes with a known ending (a lander that flies until
the time limit, for instance) without training an agent first.

Source: the rule of Gymnasium's ``heuristic`` lander
(``gymnasium.envs.box2d.lunar_lander.heuristic``), https://gymnasium.farama.org/environments/box2d/lunar_lander/.
"""

from __future__ import annotations

import numpy as np


def hover_policy(obs) -> int:
    """A hand-written controller that holds the lander level at height y ≈ 0.5 and never lands.

    The rule of Gymnasium's ``heuristic`` lander, with the target height fixed at 0.6 instead of
    descending: fire the main engine (2) when below the target or falling, else a side engine
    (1 or 3) to turn towards the pad, else nothing (0). Its episodes end by the 1000-step time
    limit (``truncated``), never by a crash or a landing.

    Args:
        obs: one observation, [8] float (x, y, vx, vy, angle, angular velocity, legs).

    Returns:
        an int action in {0, 1, 2, 3}.

    Example:
        >>> from lunar_lab.envs import make_env
        >>> env = make_env()
        >>> obs, _ = env.reset(seed=1)
        >>> steps = 0
        >>> while True:
        ...     obs, reward, terminated, truncated, _ = env.step(hover_policy(obs))
        ...     steps += 1
        ...     if terminated or truncated:
        ...         break
        >>> steps, terminated, truncated
        (1000, False, True)
    """
    x, y, vx, vy, angle, angular_velocity = (float(v) for v in obs[:6])
    angle_target = float(np.clip(0.5 * x + 1.0 * vx, -0.4, 0.4))
    angle_todo = 0.5 * (angle_target - angle) - 1.0 * angular_velocity
    hover_todo = 0.5 * (0.6 - y) - 0.5 * vy
    if hover_todo > abs(angle_todo) and hover_todo > 0.05:
        return 2
    if angle_todo < -0.05:
        return 3
    if angle_todo > 0.05:
        return 1
    return 0
