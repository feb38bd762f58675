"""A sweep's specification: a TOML file naming a grid of Config overrides × seeds.

Example (``sweeps/capstone.toml``)::

    name = "capstone"                    # the results folder: SWEEPS_DIR/capstone
    description = "DQN against Double DQN"
    seeds = [0, 1, 2, 3, 4]              # every arm runs on each
    budget = 200_000                     # env steps per run (Config.total_steps)

    [base]                               # Config overrides shared by every arm
    eval_interval = 10_000

    [evaluation]                         # the final greedy evaluation on held-out seeds
    episodes = 100
    seed = 2_000_000

    [[arms]]
    label = "dqn"                        # a folder name: letters, digits, '.', '_', '-'
    algo = "dqn"                         # the arm's Config overrides, over [base]

    [[arms]]
    label = "double_dqn"
    algo = "double_dqn"

TOML has no null: a field whose value None means "off" (``max_grad_norm``: no gradient
clipping; ``target_entropy``: the default) takes the string ``"None"``.

The file is read with :mod:`tomllib` and checked whole before any run starts: every arm's
Config is built for every seed, so a bad field fails with the file, the arm and the field
named. Seeds are set by ``seeds`` only and the budget by ``budget`` only (not in ``[base]``
or an arm).
"""

from __future__ import annotations

import dataclasses
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from lunar_lab.config import MAX_SEED, Config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Seeds of the final held-out evaluation start here: far from the training seeds (small
#: integers) and from the periodic evaluations' (:data:`lunar_lab.evaluation.EVAL_SEED` = 1,000,000 onwards).
HELD_OUT_SEED = 2_000_000
_TOP_KEYS = {"name", "description", "seeds", "budget", "base", "evaluation", "arms"}
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SET_ELSEWHERE = {"seed": "seeds", "total_steps": "budget"}


@dataclass(frozen=True)
class Arm:
    """One setting of a sweep.

    Attributes:
        label: the arm's name, also its folder name.
        overrides: Config fields this arm sets, over the sweep's base.
    """

    label: str
    overrides: dict


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep specification (see the module docstring for the file format).

    Attributes:
        name: the sweep's name and the folder of its results.
        description: free text.
        seeds: training seeds, each run by every arm.
        budget: env steps per run (``Config.total_steps``).
        base: Config overrides shared by every arm.
        arms: the arms, in the file's order.
        eval_episodes: episodes of the final greedy evaluation, ≥ 1.
        eval_seed: seed of its first episode (episode i: eval_seed + i).
        path: the TOML file it was read from (None if built in Python).
    """

    name: str
    seeds: tuple[int, ...]
    budget: int
    arms: tuple[Arm, ...]
    base: dict = dataclasses.field(default_factory=dict)
    description: str = ""
    eval_episodes: int = 100
    eval_seed: int = HELD_OUT_SEED
    path: Path | None = None

    def __post_init__(self):
        where = str(self.path) if self.path is not None else f"sweep {self.name!r}"
        _check_label("name", self.name, where)
        if not isinstance(self.description, str):
            raise ValueError(f"{where}: description must be a string, got {self.description!r}")
        if not isinstance(self.seeds, (list, tuple)) or not self.seeds:
            raise ValueError(f"{where}: seeds must be a non-empty list of integers in [0, 2**32 - 1], got {self.seeds!r}")
        for seed in self.seeds:
            if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
                raise ValueError(f"{where}: seeds must be integers in [0, 2**32 - 1], got {seed!r}")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"{where}: seeds must not repeat, got {list(self.seeds)}")
        object.__setattr__(self, "seeds", tuple(self.seeds))
        for key, value, low in (("budget", self.budget, 1), ("evaluation.episodes", self.eval_episodes, 1),
                                ("evaluation.seed", self.eval_seed, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{where}: {key} must be an integer >= {low}, got {value!r}")
        if not self.arms:
            raise ValueError(f"{where}: arms must list at least one [[arms]] table with a label")
        labels = [arm.label for arm in self.arms]
        for label in labels:
            _check_label("arm label", label, where)
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:
            raise ValueError(f"{where}: arm labels must be unique, got {', '.join(map(repr, repeated))} more than once")
        object.__setattr__(self, "arms", tuple(self.arms))
        for scope, overrides in [("[base]", self.base)] + [(f"arm {arm.label!r}", arm.overrides) for arm in self.arms]:
            for key in overrides:
                if key in _SET_ELSEWHERE:
                    raise ValueError(f"{where}: {scope}: {key} is set by the sweep's {_SET_ELSEWHERE[key]!r}, "
                                     f"not by an override")
        for arm in self.arms:
            try:
                self.config(arm.label, self.seeds[0])
            except ValueError as err:
                raise ValueError(f"{where}: arm {arm.label!r}: {err}") from None

    @property
    def labels(self) -> tuple[str, ...]:
        """The arms' labels, in order."""
        return tuple(arm.label for arm in self.arms)

    def config(self, label: str, seed: int) -> Config:
        """The Config of arm ``label`` on ``seed``: defaults, then ``base``, then the arm's overrides.

        Raises:
            KeyError: no arm has that label.
            ValueError: the overrides give an invalid Config (Config's message).

        Example:
            >>> spec = SweepSpec("demo", seeds=(0, 1), budget=2_000, arms=(Arm("mse", {"loss": "mse"}),))
            >>> c = spec.config("mse", 1)
            >>> c.loss, c.seed, c.total_steps
            ('mse', 1, 2000)
        """
        arm = next((a for a in self.arms if a.label == label), None)
        if arm is None:
            raise KeyError(f"no arm {label!r} in sweep {self.name!r}; arms: {', '.join(self.labels)}")
        return Config().replace(**{**self.base, **arm.overrides, "seed": seed, "total_steps": self.budget})

    def runs(self) -> list[tuple[str, int]]:
        """Every (arm label, seed) of the sweep, seed-major: every arm on the first seed, then the next …

        Example:
            >>> SweepSpec("d", seeds=(0, 1), budget=10, arms=(Arm("a", {}), Arm("b", {}))).runs()
            [('a', 0), ('b', 0), ('a', 1), ('b', 1)]
        """
        return [(label, seed) for seed in self.seeds for label in self.labels]

    def identity(self) -> dict:
        """What makes two sweeps the same experiment, JSON-serialisable: per arm its full
        Config (all fields but ``seed``), and the seeds, the budget and the final evaluation."""
        configs = {arm.label: {k: v for k, v in self.config(arm.label, self.seeds[0]).to_dict().items() if k != "seed"}
                   for arm in self.arms}
        return {"name": self.name, "seeds": list(self.seeds), "budget": self.budget,
                "evaluation": {"episodes": self.eval_episodes, "seed": self.eval_seed}, "arms": configs}


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep specification (TOML; format in the module docstring).

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: malformed TOML, an unknown key, or a value that is not allowed; the
            message names the file, the arm and the field.

    Example:
        >>> import tempfile, os
        >>> text = 'name = "demo"\\nseeds = [0, 1]\\nbudget = 2000\\n[[arms]]\\nlabel = "mse"\\nloss = "mae"\\n'
        >>> with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        ...     _ = f.write(text)
        >>> load_spec(f.name)
        Traceback (most recent call last):
        ...
        ValueError: ....toml: arm 'mse': loss must be one of 'huber', 'mse'; got 'mae'
        >>> os.unlink(f.name)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"SPEC must be a sweep specification file (TOML), got {str(path)!r}: no such file")
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not valid TOML: {err}") from None
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ValueError(f"{path}: unknown key {', '.join(map(repr, unknown))}; allowed: {', '.join(sorted(_TOP_KEYS))}")
    for key in ("name", "seeds", "budget", "arms"):
        if key not in data:
            raise ValueError(f"{path}: {key!r} is missing (a sweep needs name, seeds, budget and [[arms]])")
    base, evaluation, arms = data.get("base", {}), data.get("evaluation", {}), data["arms"]
    for key, table in (("base", base), ("evaluation", evaluation)):
        if not isinstance(table, dict):
            raise ValueError(f"{path}: {key} must be a table ([{key}]), got {table!r}")
    unknown = sorted(set(evaluation) - {"episodes", "seed"})
    if unknown:
        raise ValueError(f"{path}: [evaluation]: unknown key {', '.join(map(repr, unknown))}; allowed: episodes, seed")
    if not isinstance(arms, list) or not all(isinstance(a, dict) for a in arms):
        raise ValueError(f"{path}: arms must be an array of tables ([[arms]] with a label), got {arms!r}")
    parsed = []
    for i, arm in enumerate(arms):
        if "label" not in arm:
            raise ValueError(f"{path}: arm {i + 1} ([[arms]] number {i + 1}) has no label")
        parsed.append(Arm(arm["label"], _overrides({k: v for k, v in arm.items() if k != "label"})))
    base = _overrides(base)
    return SweepSpec(name=data["name"], description=data.get("description", ""), seeds=data["seeds"],
                     budget=data["budget"], base=base, arms=tuple(parsed),
                     eval_episodes=evaluation.get("episodes", 100), eval_seed=evaluation.get("seed", HELD_OUT_SEED),
                     path=path)


def _overrides(table: dict) -> dict:
    """TOML values as Config takes them: arrays as tuples, the string "None" as None where None is allowed."""
    nullable = {f.name for f in dataclasses.fields(Config) if "None" in str(f.type)}
    return {k: None if (v == "None" and k in nullable) else tuple(v) if isinstance(v, list) else v
            for k, v in table.items()}


def _check_label(what: str, value, where: str) -> None:
    if not isinstance(value, str) or not _LABEL.fullmatch(value):
        raise ValueError(f"{where}: {what} must be a folder name of letters, digits, '.', '_' and '-' "
                         f"(starting with a letter or digit), got {value!r}")
