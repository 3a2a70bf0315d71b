"""The shipped weekly workflow: valid YAML wired to the commands it runs (shards, merge, reports, caches)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "mutation-weekly.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def _uses(job: dict) -> list[str]:
    return [step["uses"] for step in job["steps"] if "uses" in step]


def test_weekly_workflow_is_scheduled_and_manual(workflow):
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as a boolean
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    assert triggers["schedule"][0]["cron"].split()[4] == "1"  # weekly, on Mondays
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_weekly_workflow_runs_a_matrix_of_shards(workflow):
    shard = workflow["jobs"]["shard"]
    assert shard["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    assert shard["strategy"]["fail-fast"] is False
    runs = _runs(shard)
    assert 'gate run --shard "${{ matrix.shard }}/${{ strategy.job-total }}"' in runs
    assert '-f json -o "shard-${{ matrix.shard }}.json"' in runs
    caches = [s for s in shard["steps"] if s.get("uses", "").startswith("actions/cache")]
    paths = {line for s in caches for line in s["with"]["path"].split()}
    assert {"mutants", ".gate/history.db", ".gate/results.json"} <= paths
    # The PR workflow restores `mutmut-weekly-`: the shard caches must carry that prefix.
    assert any(s["with"]["key"].startswith("mutmut-weekly-") for s in caches)
    assert all("restore-keys" in s["with"] for s in caches)


def test_weekly_workflow_merges_renders_uploads_and_judges(workflow):
    merge = workflow["jobs"]["merge"]
    assert merge["needs"] == "shard"
    runs = _runs(merge)
    assert "gate merge shards/*/shard-*.json -o reports/gate-report.json" in runs
    assert "gate report -f html -o reports/mutation.html || [ $? -eq 1 ]" in runs
    assert "gate report -f stryker -o reports/mutation-stryker.json || [ $? -eq 1 ]" in runs
    assert merge["steps"][-1]["run"].strip() == "gate report -f text"  # exit 1 under a floor fails the job
    uses = _uses(merge)
    assert "actions/download-artifact@v4" in uses and "actions/upload-artifact@v4" in uses
    assert "actions/cache/save@v4" in uses
    save = next(s for s in merge["steps"] if s.get("uses") == "actions/cache/save@v4")
    assert save["with"]["path"].split() == [".gate/history.db", ".gate/results.json"]
    download = next(s for s in merge["steps"] if s.get("uses") == "actions/download-artifact@v4")
    upload_names = [
        s["with"]["name"]
        for s in workflow["jobs"]["shard"]["steps"]
        if "upload-artifact" in s.get("uses", "")
    ]
    assert upload_names == ["gate-shard-${{ matrix.shard }}"]
    assert download["with"]["pattern"] == "gate-shard-*"


@pytest.mark.skipif(shutil.which("actionlint") is None, reason="actionlint is not installed")
def test_weekly_workflow_passes_actionlint():
    proc = subprocess.run(["actionlint", str(WORKFLOW)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
