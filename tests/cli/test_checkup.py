"""`gradlab checkup`: the pre-flight on the same options as `gradlab train`."""

import json

from typer.testing import CliRunner

from gradlab.cli.app import app

runner = CliRunner()
DYING = ["--hidden", "3,3,3,3", "--act", "relu", "--init", "normal(0, 0.01)", "--bias-init", "constant(-8)",
         "--optimizer", "sgd", "--lr", "0.01", "--batch-size", "0"]


def test_checkup_json_finds_the_dying_relu_net_with_a_runnable_fix():
    result = runner.invoke(app, ["checkup", *DYING, "--json"])
    assert result.exit_code == 1, result.output  # error findings fail a CI gate
    out = json.loads(result.stdout)
    dead = [f for f in out["findings"] if f["code"] == "dead_units"]
    assert dead and all(f["severity"] == "error" and f["step"] is None for f in dead)
    assert dead[0]["recommendations"][0]["set"]["model.act"].startswith("leaky_relu")
    assert out["config"]["model"]["bias_init"] == "constant(-8)"


def test_checkup_of_the_default_run_prints_no_findings_and_exits_0():
    result = runner.invoke(app, ["checkup"])
    assert result.exit_code == 0, result.output
    assert "no findings" in result.stdout


def test_checkup_table_names_code_and_layer():
    result = runner.invoke(app, ["checkup", "--hidden", "5", "--act", "sigmoid", "--init", "zeros",
                                 "--bias-init", "zeros", "--batch-size", "0"])
    errors = [f for f in json.loads(runner.invoke(app, ["checkup", "--hidden", "5", "--act", "sigmoid",
              "--init", "zeros", "--bias-init", "zeros", "--batch-size", "0", "--json"]).stdout)["findings"]
              if f["severity"] == "error"]
    assert result.exit_code == (1 if errors else 0), result.output
    assert "symmetric_weights" in result.stdout and "fc1" in result.stdout


def test_checkup_bad_option_is_one_line_and_exit_2():
    result = runner.invoke(app, ["checkup", "--act", "lrelu"])
    assert result.exit_code == 2
    assert "error:" in result.output and "Traceback" not in result.output


def test_checkup_prints_the_top_fix_as_options_to_pass_back():
    # the help promises "fixes you can pass back as options": print --act ..., not model.act=...
    result = runner.invoke(app, ["checkup", *DYING], env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    assert "try: --act 'leaky_relu(0.1)' --init he_normal --bias-init zeros" in result.stdout


def test_recommendation_with_a_key_no_option_sets_stays_a_config_key():
    from gradlab.cli.common import format_recommendation

    rec = {"set": {"model.act": "selu", "watch.every": 1}}
    assert format_recommendation(rec, as_options=True) == "model.act=selu, watch.every=1"
    assert format_recommendation({"set": {"model.hidden": [8, 8], "train.batch_size": None}},
                                 as_options=True) == "--hidden 8,8 --batch-size 0"


def test_findings_of_one_code_and_fix_print_as_one_entry_and_no_group_lists_each():
    findings = json.loads(runner.invoke(app, ["checkup", *DYING, "--json"]).stdout)["findings"]
    dead = sorted(f["layer"] for f in findings if f["code"] == "dead_units")
    assert dead == ["act1", "act2", "act3", "act4"]  # the JSON keeps one finding per layer
    grouped = runner.invoke(app, ["checkup", *DYING], env={"COLUMNS": "200"}).stdout
    assert grouped.count("dead_units") == 1 and "dead_units (4 layers: act{1-4})" in grouped
    assert f"Findings ({len(findings)}), grouped" in grouped
    # one entry per (code, severity, top fix) of the JSON findings that name a layer; the others alone
    entries = {(f["code"], f["severity"], json.dumps(f["recommendations"][:1])) for f in findings if f["layer"]}
    alone = [f for f in findings if not f["layer"]]
    heads = [line for line in grouped.splitlines() if line.split(" ")[0] in ("error", "warning", "info")]
    assert len(heads) == len(entries) + len(alone) < len(findings)
    each = runner.invoke(app, ["checkup", *DYING, "--no-group"], env={"COLUMNS": "200"}).stdout
    assert [line.split("(")[1].rstrip(")") for line in each.splitlines() if line.startswith("error   dead_units")] \
        == dead
    assert each.count("\n  try:") == len(findings) and "grouped" not in each
