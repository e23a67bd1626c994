"""Training: the :class:`Trainer`, callbacks, run configs and one-trial experiments.

    from gradlab.train import Trainer, run_trial
    result = run_trial({"model": {"act": "leaky_relu(0.1)"}}, seed=0)
"""

from gradlab.train.callbacks import Callback, EarlyStopping
from gradlab.train.config import DEFAULT_CONFIG, get_dotted, merge_config, set_dotted, validate_config
from gradlab.train.experiment import Built, TrialResult, build, run_trial
from gradlab.train.trainer import History, Trainer

__all__ = [
    "Built", "Callback", "DEFAULT_CONFIG", "EarlyStopping", "History", "Trainer", "TrialResult",
    "build", "get_dotted", "merge_config", "run_trial", "set_dotted", "validate_config",
]
