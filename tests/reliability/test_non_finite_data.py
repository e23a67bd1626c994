"""Regression (issue 15.8): a CSV whose features held NaN or inf trained to NaN (and the diagnosis
blamed the loss function); a single NaN label in a 0/1 dataset turned the task into regression."""

import warnings

import numpy as np
import pytest

from gradlab.data import create_task
from gradlab.errors import ConfigError
from procs import cli, one_error_line


def _csv(tmp_path, bad_cell=None, n=40):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] > 0).astype(int)
    lines = ["a,b,label"] + [f"{a:.4f},{b:.4f},{t}" for (a, b), t in zip(X, y)]
    if bad_cell is not None:
        row, col, text = bad_cell
        cells = lines[row].split(",")
        cells[col] = text
        lines[row] = ",".join(cells)
    path = tmp_path / "d.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("text,what", [("nan", "NaN"), ("inf", "an infinity"), ("-Infinity", "an infinity")])
def test_non_finite_feature_is_refused_with_line_and_column(tmp_path, text, what):
    path = _csv(tmp_path, (7, 1, text))  # line 8 of the file (the header is line 1), column 2
    with pytest.raises(ConfigError) as err:
        create_task(f"csv(path={str(path)!r}, target='label')", seed=0)
    assert f"row 8, column 2: {what} (1 rows hold NaN or inf)" in str(err.value)
    assert "non_finite='drop'" in str(err.value)


def test_non_finite_label_never_decides_the_task_kind(tmp_path):
    path = _csv(tmp_path, (3, 2, "nan"))
    with pytest.raises(ConfigError, match="row 4, column 3: NaN"):
        create_task(f"csv(path={str(path)!r}, target='label')", seed=0)
    with pytest.warns(UserWarning, match="dropped 1 of 40 rows holding NaN or inf"):
        task = create_task(f"csv(path={str(path)!r}, target='label', non_finite='drop')", seed=0)
    assert task.kind == "binary"  # the 39 clean 0/1 labels, not regression
    assert sum(len(part[0]) for part in (task.train, task.dev, task.test)) == 39


def test_non_finite_npy_arrays_name_the_array_row_and_column(tmp_path):
    X = np.zeros((20, 3), dtype=np.float32)
    X[5, 2] = np.inf
    y = np.arange(20) % 2
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", y)
    with pytest.raises(ConfigError, match="npy row 6, X column 3: an infinity"):
        create_task(f"npy(x={str(tmp_path / 'x.npy')!r}, y={str(tmp_path / 'y.npy')!r})", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        task = create_task(f"npy(x={str(tmp_path / 'x.npy')!r}, y={str(tmp_path / 'y.npy')!r}, "
                           "non_finite='drop')", seed=0)
    assert all(bool(np.isfinite(part[0].numpy()).all()) for part in (task.train, task.dev, task.test))


def test_non_finite_cli_error_does_not_quote_the_file(tmp_path):
    path = _csv(tmp_path, (5, 0, "SECRET"))
    result = cli("train", "--epochs", "1", "--quiet", "--task", f"csv(path={str(path)!r}, target='label')")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "line 6, column 1: not a number" in line and "SECRET" not in line
