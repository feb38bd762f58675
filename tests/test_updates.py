"""Hard and soft target-network updates on known weights."""

import keras
import numpy as np
import pytest

from lunar_lab.updates import hard_update, soft_update


def _vars(*values):
    return [keras.Variable(np.asarray(v, np.float32)) for v in values]


def test_hard_update_copies():
    target, online = _vars([0.0, 0.0], [[1.0]]), _vars([3.0, 4.0], [[5.0]])
    hard_update(target, online)
    assert target[0].numpy().tolist() == [3.0, 4.0] and target[1].numpy().tolist() == [[5.0]]
    online[0].assign([9.0, 9.0])  # a copy, not an alias
    assert target[0].numpy().tolist() == [3.0, 4.0]


def test_soft_update_weights_the_online_network_by_tau():
    target, online = _vars([10.0, 0.0]), _vars([0.0, 10.0])
    soft_update(target, online, tau=0.25)
    np.testing.assert_allclose(target[0].numpy(), [7.5, 2.5])
    soft_update(target, online, tau=0.25)  # (1 − τ)² of the old target remains
    np.testing.assert_allclose(target[0].numpy(), [5.625, 4.375])


def test_soft_update_with_tau_one_is_hard_update():
    target, online = _vars([1.0]), _vars([2.0])
    soft_update(target, online, tau=1.0)
    assert target[0].numpy().tolist() == [2.0]


@pytest.mark.parametrize("tau", [0.0, -0.1, 1.5])
def test_bad_tau(tau):
    with pytest.raises(ValueError, match=rf"tau must be in \(0, 1\], got {tau}"):
        soft_update(_vars([0.0]), _vars([1.0]), tau=tau)


def test_mismatched_networks():
    with pytest.raises(ValueError, match="same number of variables"):
        hard_update(_vars([0.0]), _vars([0.0], [0.0]))
    with pytest.raises(ValueError, match="variable 0: target shape"):
        soft_update(_vars([0.0]), _vars([0.0, 1.0]), 0.5)
