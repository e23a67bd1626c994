"""Regression (issue 15.6, 15.7): bad or absurd input gave tracebacks (NaN specs, short betas, a
seed past 2^64, the meta device, a study file that is not UTF-8, 10^11 seeds, a 100,000-character
spec, ``--out`` on a file, an allocation of 40 GB) or was accepted and trained to NaN (inf specs,
``adam(eps=0)``), ran forever (10^20 epochs), planned for minutes (10^6 configurations) or
reported meaningless zeros (``split=[1.0, 0, 0]``). Each is now one line and exit status 2."""

import time

import pytest

from procs import TINY_STUDY, cli, one_error_line

TRAIN = ["train", "--epochs", "1", "--quiet"]

CASES = {
    "init-nan": (["--init", "normal(0, nan)"], "initializer 'normal(0, nan)': argument 2 is nan"),
    "act-nan": (["--act", "leaky_relu(nan)"], "activation 'leaky_relu(nan)': argument 1 is nan"),
    "betas-short": (["--optimizer", "adam(betas=[0.9])"], "betas must be two numbers in [0, 1)"),
    "seed-huge": (["--seed", "99999999999999999999"], "seed must be an integer from 0 to 4294967295"),
    "device-meta": (["--device", "meta"], "device 'meta' holds no data"),
    "spec-100k": (["--act", "relu(" + "1," * 49_999 + "1)"], "more than the 1,000 a component spec"),
    "hidden-40GB": (["--hidden", "100000,100000"], "10,000,000,000 weights (40 GB) between hidden"),
    "init-1e400": (["--init", "normal(0, 1e400)"], "argument 2 is inf"),
    "init-inf": (["--init", "normal(0, inf)"], "argument 2 is inf"),
    "constant-1e400": (["--bias-init", "constant(1e400)"], "initializer 'constant(inf)': argument 1 is inf"),
    "act-inf": (["--act", "leaky_relu(inf)"], "activation 'leaky_relu(inf)': argument 1 is inf"),
    "adam-eps0": (["--optimizer", "adam(eps=0)"], "eps must be a number > 0, got 0"),
    "epochs-1e20": (["--epochs", "99999999999999999999"], "more than the 1,000,000 gradlab allows"),
    "split-empty": (["--task", "moons(split=[1.0, 0, 0])"], "leaves the dev and test sets empty"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_train_option_is_one_line(case):
    extra, needle = CASES[case]
    start = time.perf_counter()
    result = cli(*TRAIN, *extra)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert needle in line
    assert len(line) < 400  # a 100,000-character spec is not echoed back
    assert time.perf_counter() - start < 30  # refused before any training


def _study(tmp_path, text: bytes | str, name="s.toml"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


STUDIES = {
    "not-utf8": (b'name = "x"\n# caf\xe9\n', "not UTF-8 text (byte 16 cannot be decoded)"),
    "seeds-1e11": ('name = "x"\nseeds = 100000000000\n', "seeds = 100,000,000,000 is more than the 10,000"),
    "sweep-1e6": ('name = "x"\nseeds = 1\n[sweep]\n' + "\n".join(
        f'"train.{k}" = [{", ".join(str(i + 1) for i in range(100))}]'
        for k in ("epochs", "batch_size", "steps")),
        "the sweep has 1,000,000 configurations, more than the 10,000"),
}


@pytest.mark.parametrize("case", list(STUDIES))
def test_bad_input_study_file_is_one_line(tmp_path, case):
    text, needle = STUDIES[case]
    start = time.perf_counter()
    result = cli("run", _study(tmp_path, text), "--out", tmp_path / "out", "--no-progress")
    assert result.exit_code == 2
    assert needle in one_error_line(result)
    assert "caf" not in result.stderr  # the bytes are not quoted
    assert time.perf_counter() - start < 30 and not (tmp_path / "out").exists()


def test_bad_input_out_is_a_regular_file(tmp_path):
    study = _study(tmp_path, TINY_STUDY.format(seeds=1, epochs=1))
    (tmp_path / "afile").write_text("mine")
    result = cli("run", study, "--out", tmp_path / "afile", "--no-progress")
    assert result.exit_code == 2
    assert "is a file, not a study folder" in one_error_line(result)
    assert (tmp_path / "afile").read_text() == "mine"


def test_bad_input_large_plan_is_announced_before_it_is_checked(tmp_path):
    lrs = ", ".join(str(0.001 * (i + 1)) for i in range(599)) + ", -1.0"
    study = _study(tmp_path, f'name = "big"\nseeds = 1\n[sweep]\n"train.lr" = [{lrs}]\n')
    result = cli("run", study, "--out", tmp_path / "out")
    assert result.exit_code == 2
    notice, error = result.stderr.strip().splitlines()
    assert notice == "big: checking 600 configurations before anything runs"
    assert error.startswith("error: ") and "train.lr" in error and "-1.0" in error
