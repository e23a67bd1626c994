"""Regression (issue 15.4): a finished study on read-only media could not be read at all
(``status``, ``show``, ``report --out elsewhere``: "unable to open database file"), and ``run``
gave a traceback about the lock file.

The folder is made read-only by a read-only bind mount in a private mount namespace (``unshare``),
the way read-only media behave even for root; the test is skipped where namespaces are not allowed.
"""

import json
import shutil
import subprocess

import pytest

from procs import cli, gradlab_cmd, make_study

INSIDE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from procs import cli
folder, study, report = sys.argv[2:5]
out = {}
for name, args in {
    "status": ["status", folder],
    "show": ["show", folder, "--json"],
    "report": ["report", folder, "--no-replay", "--out", report],
    "run": ["run", study, "--out", folder, "--workers", "1", "--no-progress"],
}.items():
    r = cli(*args)
    out[name] = [r.exit_code, r.stdout, r.stderr, repr(r.exception)]
print(json.dumps(out))
"""


def _read_only_namespace_works(folder) -> bool:
    probe = f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}" && ! touch "{folder}/x"'
    if shutil.which("unshare") is None:
        return False
    done = subprocess.run(["unshare", "-rm", "sh", "-c", probe], capture_output=True, timeout=30)
    return done.returncode == 0


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    return make_study(tmp_path_factory.mktemp("ro"))


def test_read_only_store_reads_and_run_says_not_writable(finished, tmp_path):
    folder = tmp_path / "study"
    shutil.copytree(finished, folder)
    if not _read_only_namespace_works(folder):
        pytest.skip("cannot make a read-only bind mount here (no user namespaces)")
    before = (folder / "gradlab.sqlite").read_bytes()
    cmd, env = gradlab_cmd()
    script = tmp_path / "inside.py"
    script.write_text(INSIDE)
    shell = (f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}" && '
             f'exec "{cmd[0]}" "{script}" "{__file__.rsplit("/", 1)[0]}" "{folder}" '
             f'"{finished.parent / "tiny.toml"}" "{tmp_path / "elsewhere.html"}"')
    done = subprocess.run(["unshare", "-rm", "sh", "-c", shell], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])

    code, stdout, stderr, _ = out["status"]
    assert code == 0 and "4/4 done" in stdout, stderr
    code, stdout, stderr, _ = out["show"]
    expected = json.loads(cli("show", finished, "--json").stdout)
    assert code == 0 and json.loads(stdout) == expected, stderr
    code, stdout, stderr, _ = out["report"]
    assert code == 0 and (tmp_path / "elsewhere.html").stat().st_size > 10_000, stderr
    code, stdout, stderr, _ = out["run"]
    assert code == 2 and stderr.count("\n") == 1
    assert f"the study folder {folder} is not writable (Read-only file system)" in stderr
    assert (folder / "gradlab.sqlite").read_bytes() == before
