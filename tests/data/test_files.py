import gzip
import struct

import numpy as np
import pytest
import torch

from gradlab.data import create_task, read_idx, write_idx
from gradlab.errors import ConfigError


def hand_written_idx(code: int, fmt: str, dims: tuple, values: list) -> bytes:
    """IDX bytes built field by field with struct, independent of write_idx."""
    header = bytes([0, 0, code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    return header + struct.pack(f">{len(values)}{fmt}", *values)


@pytest.mark.parametrize(
    "code,fmt,np_dtype",
    [(0x08, "B", np.uint8), (0x09, "b", np.int8), (0x0B, "h", np.int16), (0x0C, "i", np.int32),
     (0x0D, "f", np.float32), (0x0E, "d", np.float64)],
    ids=["ubyte", "byte", "short", "int", "float", "double"],
)
def test_read_idx_parses_hand_written_files_of_every_dtype(tmp_path, code, fmt, np_dtype):
    dims = (2, 3)
    values = [0, 1, 2, 100, 7, 3] if fmt == "B" else [-3, 1, 2, 100, -7, 3]
    path = tmp_path / "a.idx"
    path.write_bytes(hand_written_idx(code, fmt, dims, values))
    arr = read_idx(path)
    assert arr.dtype == np.dtype(np_dtype) and arr.shape == dims
    assert arr.reshape(-1).tolist() == values


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (2, 1, 3, 2)], ids=["1d", "2d", "3d", "4d"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
def test_write_then_read_round_trips(tmp_path, shape, dtype, gz):
    rng = np.random.default_rng(0)
    arr = (rng.normal(size=shape) * 50).astype(dtype)
    path = write_idx(tmp_path / ("x.idx.gz" if gz else "x.idx"), arr)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == gz
    back = read_idx(path)
    assert back.dtype == arr.dtype and back.shape == arr.shape and np.array_equal(back, arr)


def test_mnist_style_header_is_big_endian(tmp_path):
    path = write_idx(tmp_path / "imgs", np.zeros((2, 28, 28), dtype=np.uint8))
    raw = path.read_bytes()
    assert raw[:4] == b"\x00\x00\x08\x03"  # the magic 2051 of train-images-idx3-ubyte
    assert struct.unpack(">3I", raw[4:16]) == (2, 28, 28) and len(raw) == 16 + 2 * 28 * 28


@pytest.mark.parametrize(
    "payload,needle",
    [(b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "bad magic"),
     (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "dtype code 0x07"),
     (b"\x00\x00\x08\x02\x00\x00\x00\x02\x00\x00\x00\x02\x01\x02\x03", "size mismatch"),
     (b"\x00\x00\x08\x01\x00\x00\x00\x01\x05\x06", "size mismatch"),
     (b"\x00\x00\x08\x03\x00\x00", "truncated header"),
     (b"\x00\x00", "too short")],
    ids=["bad-magic", "bad-dtype", "data-too-short", "trailing-bytes", "truncated-header", "tiny"],
)
def test_corrupt_idx_files_fail_with_a_clear_message(tmp_path, payload, needle):
    path = tmp_path / "bad.idx"
    path.write_bytes(payload)
    with pytest.raises(ConfigError, match=needle):
        read_idx(path)


def test_missing_idx_file_names_the_path(tmp_path):
    with pytest.raises(ConfigError, match="not found.*nope.idx"):
        read_idx(tmp_path / "nope.idx")


def test_idx_task_from_gzipped_images_and_labels(tmp_path):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(50, 6, 5), dtype=np.uint8)
    labels = (np.arange(50) % 3).astype(np.uint8)
    (tmp_path / "img.gz").write_bytes(gzip.compress(hand_written_idx(8, "B", images.shape, images.reshape(-1).tolist())))
    write_idx(tmp_path / "lab.idx", labels)
    task = create_task("idx", seed=0, images=str(tmp_path / "img.gz"), labels=str(tmp_path / "lab.idx"),
                       split=(30, 10, 10))
    X, y = task.train
    assert task.kind == "multiclass" and task.n_outputs == 3 and task.input_shape == (1, 6, 5)
    assert X.shape == (30, 1, 6, 5) and 0 <= X.min() and X.max() <= 1 and y.dtype == torch.int64
    # shuffled rows keep their labels: each image is found among the originals with the same label
    flat = images.reshape(50, -1).astype(np.float32) / 255
    for xi, yi in zip(X[:5], y[:5]):
        row = int(np.argmin(np.abs(flat - xi.numpy().reshape(-1)).sum(1)))
        assert np.allclose(flat[row], xi.numpy().reshape(-1)) and labels[row] == yi.item()


def test_idx_task_rejects_mismatched_counts(tmp_path):
    write_idx(tmp_path / "i", np.zeros((4, 2, 2), np.uint8))
    write_idx(tmp_path / "l", np.zeros(5, np.uint8))
    with pytest.raises(ConfigError, match="4 images but 5 labels"):
        create_task("idx", images=str(tmp_path / "i"), labels=str(tmp_path / "l"))


def test_csv_with_header_and_named_target(tmp_path):
    rows = ["a,b,label"] + [f"{i},{i * 0.5},{i % 2}" for i in range(20)]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    task = create_task(f"csv({str(tmp_path / 'd.csv')!r}, target='label')", seed=0, split=(10, 5, 5))
    assert task.kind == "binary" and task.input_shape == (2,)
    X, y = task.train
    assert torch.equal(y.flatten(), (X[:, 0] % 2))  # the label column went to y, the rest to X
    assert torch.allclose(X[:, 1], X[:, 0] * 0.5)


def test_csv_without_header_target_by_index_and_regression(tmp_path):
    rows = [f"{i * 0.1:.3f},{i},{i * 1.5 + 0.25}" for i in range(30)]
    (tmp_path / "r.csv").write_text("\n".join(rows))
    task = create_task("csv", seed=0, path=str(tmp_path / "r.csv"), target=0)
    assert task.kind == "regression" and task.input_shape == (2,)
    X, y = task.train
    assert torch.allclose(y.flatten(), X[:, 0] * 0.1, atol=1e-3)


@pytest.mark.parametrize(
    "content,kwargs,needle",
    [("a,b\n1,x\n", {}, "line 2, column 2: not a number"), ("a,b\n1,2,3\n", {}, "3 columns"),
     ("a,b\n1,2\n3,4\n", {"target": "c"}, "columns: a, b"), ("1,2\n3,4\n", {"target": "b"}, "no header"),
     ("1,2\n3,4\n", {"target": 5}, "got 5")],
    ids=["non-numeric", "ragged", "unknown-column", "name-without-header", "index-out-of-range"],
)
def test_csv_errors(tmp_path, content, kwargs, needle):
    (tmp_path / "e.csv").write_text(content)
    with pytest.raises(ConfigError, match=needle):
        create_task("csv", path=str(tmp_path / "e.csv"), **kwargs)


def test_npz_and_npy_loaders_with_label_remapping(tmp_path):
    X = np.arange(60, dtype=np.float64).reshape(30, 2)
    y = np.array([3, 7, 9] * 10)
    np.savez(tmp_path / "d.npz", x=X, y=y)
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", y)
    a = create_task("npz", seed=4, path=str(tmp_path / "d.npz"))
    b = create_task("npy", seed=4, x=str(tmp_path / "x.npy"), y=str(tmp_path / "y.npy"))
    assert a.kind == "multiclass" and a.n_outputs == 3
    assert torch.equal(a.train[0], b.train[0]) and torch.equal(a.train[1], b.train[1])
    # labels 3/7/9 become classes 0/1/2 and stay attached to their rows
    rows = (a.train[0][:, 0] / 2).long()
    assert torch.equal(a.train[1], torch.tensor([[0, 1, 2][r % 3] for r in rows.tolist()]))
    with pytest.raises(ConfigError, match="no array 'labels'"):
        create_task("npz", path=str(tmp_path / "d.npz"), y_key="labels")
    with pytest.raises(ConfigError, match="not found"):
        create_task("npy", x=str(tmp_path / "missing.npy"), y=str(tmp_path / "y.npy"))


@pytest.mark.parametrize(
    "loader,fragment",
    [
        ("npz", "is not a .npz archive"),
        ("npy", "is not a .npy array"),
        ("csv", "is not a text file"),
    ],
    ids=["npz-given-a-csv-or-npy", "npy-given-an-npz", "csv-given-binary"],
)
def test_a_file_of_the_wrong_format_is_named_with_its_expected_format(tmp_path, loader, fragment):
    # regression: numpy blamed "pickled (object) data" and csv a 'utf-8' codec error
    import numpy as np

    from gradlab.data import create_task
    from gradlab.errors import ConfigError

    text = tmp_path / "d.csv"
    text.write_text("1,2,0\n3,4,1\n")
    archive = tmp_path / "d.npz"
    np.savez(archive, X=np.zeros((4, 2)), y=np.zeros(4))
    single = tmp_path / "x.npy"
    np.save(single, np.zeros((4, 2)))
    kwargs = {"npz": [{"path": str(text)}, {"path": str(single)}],
              "npy": [{"x": str(archive), "y": str(single)}],
              "csv": [{"path": str(archive)}]}[loader]
    for kw in kwargs:
        with pytest.raises(ConfigError, match=fragment):
            create_task(loader, seed=0, **kw)
