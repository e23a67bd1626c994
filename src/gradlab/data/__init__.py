"""Tasks: seeded synthetic datasets and loaders for the user's own files.

    from gradlab.data import create_task
    task = create_task("moons", seed=0)          # 640/160/200, noise 0.2
    X_train, y_train = task.train

Importing this package registers every built-in task in :data:`TASKS`.
"""

from gradlab.data.split import split_data, split_sizes
from gradlab.data.task import TASKS, Task, create_task, finish_task, make_generator, standardize

# registration order is listing order: the seeds' moons first, file loaders last
# isort: off
from gradlab.data import synthetic  # noqa: F401
from gradlab.data import regression  # noqa: F401
from gradlab.data import images  # noqa: F401
from gradlab.data import files  # noqa: F401
# isort: on

from gradlab.data.files import infer_kind, read_csv, task_from_arrays
from gradlab.data.idx import read_idx, write_idx
from gradlab.data.synthetic import make_moons

__all__ = [
    "TASKS",
    "Task",
    "create_task",
    "finish_task",
    "make_generator",
    "infer_kind",
    "make_moons",
    "read_csv",
    "read_idx",
    "split_data",
    "split_sizes",
    "standardize",
    "task_from_arrays",
    "write_idx",
]
