"""The README's Python example runs as written and prints what the README says it prints."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_quickstart_has_exactly_two_commands_installing_torch_first():
    text = README.read_text(encoding="utf-8")
    quick = text.split("## Quickstart", 1)[1].split("##", 1)[0]
    block = re.search(r"```bash\n(.*?)```", quick, flags=re.S).group(1)
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    for cmd in commands:
        assert cmd.index("pip install torch==2.13.0") < cmd.index("pip install -e")
    assert "pytest" in commands[1]


def test_readme_watch_example_runs_and_finds_the_dead_layer(tmp_path):
    blocks = python_blocks()
    assert blocks, "the README has no Python example"
    script = tmp_path / "example.py"
    script.write_text("import torch\ntorch.set_num_threads(1)\n" + blocks[0], encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "error dead_units :relu#0" in out.stdout
    assert "checkup: error dead_units :relu#0" in out.stdout
    assert "['fc1', ':relu#0', 'fc2', ':relu#1', 'fc3']" in out.stdout
