import os

import pytest
import torch

# Small CPU tests: one thread each keeps them fast and their numbers repeatable on 2 cores.
torch.set_num_threads(1)
os.environ.setdefault("GRADLAB_NO_PROGRESS", "1")


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield
