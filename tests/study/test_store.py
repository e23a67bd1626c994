"""The store: schema, one transaction per trial, no trial twice, resume bookkeeping."""

import sqlite3

import pytest

from gradlab.errors import StoreError
from gradlab.study.executors.base import TrialOutcome
from gradlab.study.store import Store, is_locked, run_lock, trial_id
from study_fakes import fake_accuracy, fake_trial


def _rows(hashes=("a" * 64, "b" * 64), seeds=(0, 1)):
    return [{"trial_id": trial_id(h, s), "config_hash": h, "seed": s, "group_key": f"act={h[0]}",
             "group_json": "{}", "config_json": "{}"} for h in hashes for s in seeds]


def _done(tid, act="relu", seed=0):
    return TrialOutcome(tid, "done", result=fake_trial({"model": {"act": act}, "train": {"lr": 0.1, "epochs": 1}}, seed), wall_time=0.5)


def test_schema_has_the_documented_tables_and_wal(tmp_path):
    Store(tmp_path).close()
    db = sqlite3.connect(tmp_path / "gradlab.sqlite")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"study", "trials", "history", "vitals", "findings"} <= tables
    cols = {r[1] for r in db.execute("PRAGMA table_info(trials)")}
    assert {"trial_id", "config_hash", "seed", "group_key", "group_json", "config_json", "status",
            "metrics_json", "error", "wall_time", "started_at", "finished_at", "gradlab_version",
            "torch_version", "python_version"} <= cols
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_adding_trials_twice_stores_each_once(tmp_path):
    with Store(tmp_path) as store:
        assert store.add_trials(_rows()) == 4
        assert store.add_trials(_rows(hashes=("a" * 64, "c" * 64))) == 2
        assert store.counts() == {"pending": 6, "running": 0, "done": 0, "failed": 0}
        with pytest.raises(sqlite3.IntegrityError):  # UNIQUE (config_hash, seed)
            store.db.execute("INSERT INTO trials (trial_id, config_hash, seed, group_key, group_json,"
                             " config_json, created_at) VALUES ('x', ?, 0, '', '{}', '{}', '')",
                             ("a" * 64,))


def test_finish_writes_row_curves_vitals_findings_and_versions(tmp_path):
    with Store(tmp_path) as store:
        store.add_trials(_rows())
        tid = trial_id("a" * 64, 1)
        store.mark_running(tid, "local")
        store.finish(_done(tid, seed=1), {"gradlab": "9", "torch": "t", "python": "p"})
        (row,) = [t for t in store.trials("done")]
        assert row["metrics"]["dev_accuracy"] == pytest.approx(fake_accuracy("relu", 1))
        assert (row["attempts"], row["executor"], row["torch_version"]) == (1, "local", "t")
        assert row["started_at"] and row["finished_at"] and row["wall_time"] == 0.5
        assert store.history(tid)[2] == {"epoch": 2, "train_loss": pytest.approx(1 / 3),
                                         "dev_accuracy": pytest.approx(fake_accuracy("relu", 1))}
        assert len(store.vitals(tid)) == 3
        assert [f["code"] for f in store.findings(tid)] == ["dead_relu"]
        # writing the same trial again replaces its rows; nothing is duplicated
        store.finish(_done(tid, seed=1), {})
        assert len(store.vitals(tid)) == 3 and len(store.findings(tid)) == 1


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    with Store(tmp_path) as store:
        store.add_trials(_rows())
        tid = trial_id("a" * 64, 0)
        bad = _done(tid)
        bad.result["vitals"].append({"epoch": 0, "layer": None, "stat": "x", "value": 1.0})
        with pytest.raises(sqlite3.IntegrityError):  # layer NOT NULL, mid-transaction
            store.finish(bad, {})
        assert store.counts()["done"] == 0
        assert store.history(tid) == [] and store.vitals(tid) == []


def test_failed_trial_keeps_traceback_and_running_resets(tmp_path):
    with Store(tmp_path) as store:
        store.add_trials(_rows())
        t0, t1 = trial_id("a" * 64, 0), trial_id("a" * 64, 1)
        store.finish(TrialOutcome(t0, "failed", error="Traceback ... RuntimeError: boom"), {})
        store.mark_running(t1)
        assert store.reset_running() == 1
        counts = store.counts()
        assert (counts["failed"], counts["running"], counts["pending"]) == (1, 0, 3)
        assert "RuntimeError: boom" in store.trials("failed")[0]["error"]


def test_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="no study store at"):
        Store(tmp_path / "nothing", create=False)


def test_one_run_per_folder(tmp_path):
    assert not is_locked(tmp_path)
    with run_lock(tmp_path):
        assert is_locked(tmp_path)
        with pytest.raises(StoreError, match="another gradlab run"):
            with run_lock(tmp_path):
                pass
    assert not is_locked(tmp_path)


def test_vitals_are_packed_one_row_per_layer_and_stat_and_read_back_in_long_format(tmp_path):
    rows = [{"epoch": e, "layer": layer, "stat": stat, "value": e + len(layer) + len(stat) / 10}
            for e in (0, 5, 10) for layer in ("b", "a", "") for stat in ("grad_norm", "dead_frac")]
    rows.append({"epoch": 5, "layer": "a", "stat": "grad_norm", "value": float("nan")})  # last wins
    rows.append({"epoch": 7, "layer": "", "stat": "loss_scale", "value": "n/a"})  # not a number
    with Store(tmp_path) as store:
        store.add_trials(_rows())
        tid = trial_id("a" * 64, 0)
        outcome = _done(tid)
        outcome.result["vitals"] = rows
        store.finish(outcome, {})
        assert store.db.execute("SELECT count(*) FROM vitals WHERE trial_id = ?",
                                (tid,)).fetchone()[0] == 7  # 3 layers x 2 stats + loss_scale
        got = store.vitals(tid)
    expected = {(r["epoch"], r["layer"], r["stat"]): r["value"] for r in rows}
    expected[(5, "a", "grad_norm")] = None  # NaN and non-numbers read back as None
    expected[(7, "", "loss_scale")] = None
    assert [(r["epoch"], r["layer"], r["stat"]) for r in got] == sorted(expected)
    assert {(r["epoch"], r["layer"], r["stat"]): r["value"] for r in got} == expected
    assert all(set(r) == {"epoch", "layer", "stat", "value"} for r in got)


def test_a_store_of_another_schema_version_is_refused_with_the_way_out(tmp_path):
    Store(tmp_path).close()
    db = sqlite3.connect(tmp_path / "gradlab.sqlite")
    db.execute("UPDATE study SET value = '1' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match=r"schema version 1.*reads version 2.*--out NEW_DIR"):
        Store(tmp_path, create=False)
    with pytest.raises(StoreError, match="schema version 1"):
        Store(tmp_path)  # nor is it written into


def test_curves_are_packed_one_row_per_key_and_read_back_by_epoch(tmp_path):
    history = [{"epoch": e, "train_loss": 1.0 / (e + 1), "lr": 0.1} for e in range(4)]
    history[2]["dev_loss"] = float("nan")  # a key only some epochs have, and NaN
    history[3]["note"] = "early stop"  # not a number
    with Store(tmp_path) as store:
        store.add_trials(_rows())
        tid = trial_id("b" * 64, 1)
        outcome = _done(tid)
        outcome.result["history"] = history
        store.finish(outcome, {})
        assert store.db.execute("SELECT count(*) FROM history WHERE trial_id = ?",
                                (tid,)).fetchone()[0] == 4  # train_loss, lr, dev_loss, note
        got = store.history(tid)
    expected = [dict(row) for row in history]
    expected[2]["dev_loss"] = None
    expected[3]["note"] = None
    assert got == expected
