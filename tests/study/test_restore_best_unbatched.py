"""``train.restore_best = false`` is not batched: the ensemble always restores the best-dev weights,
so it hands such members back to be run alone rather than report the wrong epoch's weights."""

import pytest

from gradlab.models.members import NotBatchable
from gradlab.study.batched.member import assemble

CFG = {"model": {"hidden": [4]}, "train": {"optimizer": "sgd", "lr": 0.1, "epochs": 2},
       "watch": {"enabled": False}}


def test_members_that_keep_their_last_weights_are_not_batched():
    last = {**CFG, "train": {**CFG["train"], "restore_best": False}}
    with pytest.raises(NotBatchable, match="restore_best"):
        assemble([(last, 0), (last, 1)])
    assemble([(CFG, 0), (CFG, 1)])  # the same members restoring their best epoch do batch
