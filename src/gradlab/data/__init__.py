"""Tasks: seeded synthetic datasets and loaders for the user's own files.

    from gradlab.data import create_task
    task = create_task("moons", seed=0)          # 640/160/200, noise 0.2
    X_train, y_train = task.train

Importing this package registers every built-in task in :data:`TASKS`.
"""

from gradlab.data.task import TASKS, Task, create_task, finish_task, make_generator, standardize
from gradlab.data.split import split_data, split_sizes
from gradlab.data import synthetic  # noqa: F401  (registers moons, circles, spirals, mixtures)
from gradlab.data.synthetic import make_moons

__all__ = [
    "TASKS",
    "Task",
    "create_task",
    "finish_task",
    "make_generator",
    "make_moons",
    "split_data",
    "split_sizes",
    "standardize",
]
