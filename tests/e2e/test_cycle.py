"""The ratchet cycle end to end: real git, real ruff/mypy/pytest, the real sandbox.

Workspaces are copies of a `ratchet init` of the tiny test agent (tests/fixtures/mini_seed).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import load_config
from core.cycle import CycleOutcome, Supervisor
from core.records import Decision, Edit, EditKind, EditOp, Proposal, Verdict
from core.workspace import Workspace
from tests.conftest import git, run_cli, tree_digest

CALC = "mutable/calc.py"

GOOD_CLASSIFY = '''def classify(n: int) -> str:
    """Sign of `n` as a word."""
    if n < 0:
        return "negative"
    if n == 0:
        return "zero"
    return "positive"
'''


def accept(review: object) -> Verdict:
    return Verdict(Decision.ACCEPT, "test accepts", "test")


def replace_fn(target: str, code: str, path: str = CALC) -> Edit:
    return Edit(EditOp.REPLACE, EditKind.FUNCTION, path, target, code)


def proposal(*edits: Edit, title: str = "test change") -> Proposal:
    return Proposal(
        rationale=f"{title}.", target=f"{edits[0].path}:{edits[0].target}", edits=edits, title=title
    )


def submit(ws: Workspace, prop: Proposal, **overrides: object) -> CycleOutcome:
    config = load_config(ws.root, overrides=overrides)
    with Supervisor(ws, config) as sup:
        return sup.submit(prop, accept)


def clean_state(root: Path) -> None:
    """No trace of a candidate: clean status, one worktree, no candidate branches, no journal."""
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    assert (
        len(
            [
                ln
                for ln in git(root, "worktree", "list", "--porcelain").splitlines()
                if ln.startswith("worktree ")
            ]
        )
        == 1
    )
    assert git(root, "branch", "--list", "ratchet/candidate/*") == ""
    assert not (root / ".agent" / "journal.json").exists()


def write_proposal_file(path: Path, code: str, title: str = "classify zero") -> Path:
    path.write_text(
        json.dumps(
            {
                "title": title,
                "rationale": "Zero is neither negative nor positive.",
                "edits": [
                    {"op": "replace", "kind": "function", "path": CALC, "target": "classify", "code": code}
                ],
            }
        )
    )
    return path


def test_init_layout(mini: Workspace) -> None:
    root = mini.root
    for name in ("pyproject.toml", "mutable", "protected", "checkpoints", "evals", "tests", ".agent"):
        assert (root / name).exists(), name
    assert git(root, "rev-parse", "--abbrev-ref", "HEAD") == "ratchet/agent"
    assert git(root, "rev-parse", "ckpt/0") == git(root, "rev-parse", "HEAD")
    assert ".agent/config.toml" in git(root, "ls-files", ".agent").splitlines()
    assert (root / "protected" / "SEAL.json").exists()
    manifest = json.loads((root / "checkpoints" / "0000.json").read_text())
    assert manifest["number"] == 0 and manifest["kind"] == "init"
    assert manifest["scores_after"]["suites"][0]["name"] == "classify"
    clean_state(root)


def test_good_edit_becomes_checkpoint(mini: Workspace) -> None:
    root = mini.root
    base = git(root, "rev-parse", "HEAD")
    outcome = submit(mini, proposal(replace_fn("classify", GOOD_CLASSIFY), title="classify zero"))
    assert outcome.accepted, outcome.verdict
    assert outcome.checkpoint == 1
    head = git(root, "rev-parse", "HEAD")
    assert head != base and git(root, "rev-parse", "HEAD^") == base
    assert git(root, "rev-parse", "ckpt/1") == head
    assert [r.name for r in outcome.report.results] == [
        "boundary",
        "ruff",
        "mypy",
        "pytest",
        "evals",
        "integrity",
    ]
    manifest = json.loads(git(root, "show", "HEAD:checkpoints/0001.json"))
    assert manifest["number"] == 1 and manifest["parent"] == base
    assert manifest["scores_before"]["suites"][0]["cases"][3]["passed"] is False
    assert all(c["passed"] for c in manifest["scores_after"]["suites"][0]["cases"])
    message = git(root, "log", "-1", "--format=%B")
    for trailer in (
        "Ratchet-Checkpoint: 1",
        "Ratchet-Proposer: scripted",
        "Ratchet-Gates: boundary=ok",
        "Ratchet-Approved-By: test",
    ):
        assert trailer in message
    assert "classify 0.750->1.000" in message
    last = json.loads((root / ".agent" / "audit.jsonl").read_text().splitlines()[-1])
    assert last["event"] == "checkpoint" and last["data"]["number"] == 1
    assert 'return "zero"' in (root / CALC).read_text()
    clean_state(root)
    assert run_cli(root, "verify").returncode == 0


REJECTIONS = {
    "ruff-lint": ("add", "def add(a: int, b: int) -> int:\n    unused = 1\n    return a + b\n", "ruff"),
    "ruff-format": ("add", "def add(a: int, b: int) -> int:\n    return a+b\n", "ruff"),
    "mypy": ("add", "def add(a: int, b: int) -> int:\n    return str(a + b)\n", "mypy"),
    "pytest": ("add", "def add(a: int, b: int) -> int:\n    return a - b\n", "pytest"),
    "evals": (
        "classify",
        'def classify(n: int) -> str:\n    if n < -1:\n        return "negative"\n    if n == 0:\n        return "zero"\n'
        '    return "positive"\n',
        "evals",
    ),
}


@pytest.mark.parametrize("case", sorted(REJECTIONS))
def test_failing_gate_leaves_no_trace(mini: Workspace, case: str) -> None:
    target, code, gate = REJECTIONS[case]
    root = mini.root
    before = tree_digest(root)
    head = git(root, "rev-parse", "HEAD")
    tags = git(root, "tag")
    outcome = submit(mini, proposal(replace_fn(target, code)))
    assert not outcome.accepted
    assert outcome.verdict.decision is Decision.REJECT
    failed = outcome.report.failed
    assert failed is not None and failed.name == gate, outcome.report
    assert git(root, "rev-parse", "HEAD") == head
    assert git(root, "tag") == tags
    assert tree_digest(root) == before
    clean_state(root)
    audit = (root / ".agent" / "audit.jsonl").read_text().splitlines()
    assert json.loads(audit[-1])["event"] == "rejected"


def test_eval_regression_names_the_case_even_if_total_rises(mini: Workspace) -> None:
    # fixes "zero" (+1) but breaks "neg-1" (-1): the total does not fall, the regression is still named
    code = REJECTIONS["evals"][1]
    outcome = submit(mini, proposal(replace_fn("classify", code)))
    failed = outcome.report.failed
    assert failed is not None and failed.name == "evals"
    assert any("neg-1" in loc.message for loc in failed.locations)


def test_failures_report_file_and_line(mini: Workspace) -> None:
    target, code, _ = REJECTIONS["mypy"]
    outcome = submit(mini, proposal(replace_fn(target, code)))
    failed = outcome.report.failed
    assert failed is not None
    assert any(loc.path == CALC and loc.line > 0 for loc in failed.locations), failed.locations


@pytest.mark.parametrize(
    "path",
    [
        "protected/policy.toml",
        "tests/agent/test_calc.py",
        "evals/run.py",
        "mutable/../protected/policy.toml",
        "/tmp/x.py",
    ],
)
def test_edits_outside_mutable_are_refused_before_writing(mini: Workspace, path: str) -> None:
    root = mini.root
    before = tree_digest(root)
    edit = Edit(EditOp.ADD, EditKind.FUNCTION, path, "sneaky", "def sneaky() -> None:\n    pass\n")
    outcome = submit(mini, proposal(edit))
    assert not outcome.accepted
    assert [r.name for r in outcome.report.results] == ["boundary"]
    assert tree_digest(root) == before
    clean_state(root)


def test_edit_through_symlink_is_refused(mini: Workspace) -> None:
    root = mini.root
    (root / "mutable" / "link.py").symlink_to("../protected/policy.toml")
    git(root, "add", "mutable/link.py")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a symlink")
    before = tree_digest(root)
    edit = Edit(EditOp.ADD, EditKind.FUNCTION, "mutable/link.py", "evil", "def evil() -> None:\n    pass\n")
    outcome = submit(mini, proposal(edit))
    assert not outcome.accepted and outcome.report.results[0].name == "boundary"
    assert "symlink" in (outcome.report.results[0].output + outcome.report.results[0].summary).lower()
    assert tree_digest(root) == before


WRITER = """def add(a: int, b: int) -> int:
    target = Path(__file__).resolve().parent.parent / "protected" / "constitution.md"
    target.write_text("the agent rewrote its constitution")
    return a + b
"""


def test_integrity_gate_catches_agent_code_writing_protected(mini: Workspace) -> None:
    # the rlimits backend lets the write happen, so the integrity gate is what stops it
    root = mini.root
    imp = Edit(EditOp.ADD, EditKind.IMPORT, CALC, "Path", "from pathlib import Path")
    outcome = submit(mini, proposal(imp, replace_fn("add", WRITER)), **{"sandbox.backend": "rlimits"})
    assert not outcome.accepted
    failed = outcome.report.failed
    assert failed is not None and failed.name == "integrity", outcome.report
    assert any(loc.path == "protected/constitution.md" for loc in failed.locations)
    assert "rewrote" not in (root / "protected" / "constitution.md").read_text()
    clean_state(root)


def test_bwrap_keeps_the_candidate_read_only(mini: Workspace) -> None:
    from core.sandbox import available_backends

    if "bwrap" not in available_backends():
        pytest.skip("bubblewrap is not installed")
    imp = Edit(EditOp.ADD, EditKind.IMPORT, CALC, "Path", "from pathlib import Path")
    outcome = submit(mini, proposal(imp, replace_fn("add", WRITER)), **{"sandbox.backend": "bwrap"})
    failed = outcome.report.failed
    assert failed is not None and failed.name == "pytest"  # the write failed inside the sandbox
    assert "rewrote" not in (mini.root / "protected" / "constitution.md").read_text()


PHASES = ["started", "applied", "validating", "deciding", "committing", "tagged"]


@pytest.mark.parametrize("phase", PHASES)
def test_sigkill_at_each_phase_recovers(mini: Workspace, tmp_path: Path, phase: str) -> None:
    root = mini.root
    base = git(root, "rev-parse", "HEAD")
    prop = write_proposal_file(tmp_path / "p.json", GOOD_CLASSIFY)
    killed = run_cli(root, "propose", "--from-file", str(prop), "--yes", env={"RATCHET_FAULT_KILL_AT": phase})
    assert killed.returncode == -9, killed.stderr
    assert (root / ".agent" / "journal.json").exists()
    recovered = run_cli(root, "recover")
    assert recovered.returncode == 0, recovered.stderr
    clean_state(root)
    head = git(root, "rev-parse", "HEAD")
    if phase == "tagged":
        assert git(root, "rev-parse", "HEAD^") == base and git(root, "rev-parse", "ckpt/1") == head
    else:
        assert head == base
        assert git(root, "tag", "--list", "ckpt/1") == ""
    verify = run_cli(root, "verify")
    assert verify.returncode == 0, verify.stdout
    # and the loop works again afterwards
    again = run_cli(root, "propose", "--from-file", str(prop), "--yes")
    assert again.returncode == (0 if phase != "tagged" else 1), again.stdout


def test_tampered_audit_line_fails_verify(mini: Workspace) -> None:
    root = mini.root
    assert submit(mini, proposal(replace_fn("classify", GOOD_CLASSIFY))).accepted
    assert run_cli(root, "verify").returncode == 0
    audit = root / ".agent" / "audit.jsonl"
    lines = audit.read_text().splitlines()
    lines[0] = lines[0].replace('"init"', '"inlt"')
    audit.write_text("\n".join(lines) + "\n")
    result = run_cli(root, "verify")
    assert result.returncode == 1
    assert "audit" in result.stdout and "edited" in result.stdout


def test_edited_protected_is_reported_and_the_loop_refuses(mini: Workspace, tmp_path: Path) -> None:
    root = mini.root
    policy = root / "protected" / "policy.toml"
    policy.write_text(policy.read_text().replace("max_edits = 20", "max_edits = 999"))
    status = run_cli(root, "status")
    assert status.returncode == 4 and "BROKEN" in status.stdout and "policy.toml" in status.stdout
    assert run_cli(root, "verify").returncode == 1
    prop = write_proposal_file(tmp_path / "p.json", GOOD_CLASSIFY)
    result = run_cli(root, "propose", "--from-file", str(prop), "--yes")
    assert result.returncode == 4 and "refuses to run" in result.stderr
    assert git(root, "rev-parse", "HEAD") == git(root, "rev-parse", "ckpt/0")


def test_human_reseal_is_a_checkpoint(mini: Workspace) -> None:
    root = mini.root
    policy = root / "protected" / "policy.toml"
    policy.write_text(policy.read_text().replace("max_edits = 20", "max_edits = 10"))
    result = run_cli(root, "seal", "--yes")
    assert result.returncode == 0, result.stderr
    assert git(root, "rev-parse", "ckpt/1") == git(root, "rev-parse", "HEAD")
    assert run_cli(root, "verify").returncode == 0
    assert run_cli(root, "status").returncode == 0


def test_revert_and_reset_round_trip(mini: Workspace) -> None:
    root = mini.root
    seed_calc = (root / CALC).read_text()
    assert submit(mini, proposal(replace_fn("classify", GOOD_CLASSIFY))).accepted  # ckpt 1: an improvement
    improved_calc = (root / CALC).read_text()
    neutral = proposal(replace_fn("add", "def add(a: int, b: int) -> int:\n    return b + a\n"))
    assert submit(mini, neutral).checkpoint == 2
    # reverting a neutral change passes every gate
    result = run_cli(root, "revert", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert git(root, "rev-parse", "ckpt/3") == git(root, "rev-parse", "HEAD")
    assert (root / CALC).read_text() == improved_calc
    manifest = json.loads((root / "checkpoints" / "0003.json").read_text())
    assert manifest["kind"] == "revert" and manifest["reverts"] == 2
    # reverting the improvement regresses the evals: refused unless a human overrides
    refused = run_cli(root, "revert", "1")
    assert refused.returncode == 1 and "zero newly fails" in refused.stdout
    assert git(root, "rev-parse", "HEAD") == git(root, "rev-parse", "ckpt/3")
    forced = run_cli(root, "revert", "1", "--allow-regression")
    assert forced.returncode == 0, forced.stdout
    assert (root / CALC).read_text() == seed_calc
    gates = json.loads((root / "checkpoints" / "0004.json").read_text())["gates"]["results"]
    assert "human override" in gates[4]["summary"]
    # reset back to checkpoint 1 keeps a backup of the old head
    assert run_cli(root, "reset", "1").returncode == 2  # needs --yes
    result = run_cli(root, "reset", "1", "--yes")
    assert result.returncode == 0, result.stderr
    assert git(root, "rev-parse", "HEAD") == git(root, "rev-parse", "ckpt/1")
    assert (root / CALC).read_text() == improved_calc
    backups = git(root, "for-each-ref", "--format=%(objectname)", "refs/ratchet/backup/")
    assert backups == git(root, "rev-parse", "ckpt/4")
    assert run_cli(root, "verify").returncode == 0
    log = json.loads(run_cli(root, "log", "--json").stdout)
    assert [e["number"] for e in log] == [1, 0]
    # numbering continues after the reset: the next checkpoint is 5, never a second 2
    assert submit(mini, neutral).checkpoint == 5


def test_dirty_workspace_is_refused_and_kept(mini: Workspace, tmp_path: Path) -> None:
    root = mini.root
    (root / "mutable" / "scratch.py").write_text("x = 1\n")
    prop = write_proposal_file(tmp_path / "p.json", GOOD_CLASSIFY)
    result = run_cli(root, "propose", "--from-file", str(prop), "--yes")
    assert (
        result.returncode == 2
        and "uncommitted changes" in result.stderr
        and "mutable/scratch.py" in result.stderr
    )
    assert (root / "mutable" / "scratch.py").read_text() == "x = 1\n"
    assert git(root, "rev-parse", "HEAD") == git(root, "rev-parse", "ckpt/0")


def test_lock_held_by_live_pid_and_stale_lock(mini: Workspace, tmp_path: Path) -> None:
    root = mini.root
    prop = write_proposal_file(tmp_path / "p.json", GOOD_CLASSIFY)
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (root / ".agent" / "lock").write_text(json.dumps({"pid": holder.pid, "role": "daemon"}))
        result = run_cli(root, "propose", "--from-file", str(prop), "--yes")
        assert result.returncode == 3 and f"locked by pid {holder.pid}" in result.stderr
    finally:
        holder.kill()
        holder.wait()
    # the holder is dead now: its lock is stale and is recovered
    result = run_cli(root, "propose", "--from-file", str(prop), "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (root / ".agent" / "lock").exists()


def test_cli_propose_log_show_json(mini: Workspace, tmp_path: Path) -> None:
    root = mini.root
    prop = write_proposal_file(tmp_path / "p.json", GOOD_CLASSIFY)
    result = run_cli(root, "propose", "--from-file", str(prop), "--json")
    data = json.loads(result.stdout)
    assert data[0]["checkpoint"] == 1 and data[0]["decision"] == "accept"
    log = json.loads(run_cli(root, "log", "--json").stdout)
    assert log[0]["number"] == 1 and log[0]["summary"] == "classify zero"
    show = json.loads(run_cli(root, "show", "1", "--json").stdout)
    assert show["checkpoint"]["proposal"]["title"] == "classify zero"
    assert "+    if n == 0:" in show["diff"]
    status = json.loads(run_cli(root, "status", "--json").stdout)
    assert status["last_checkpoint"] == 1 and status["seal_ok"] is True
    assert status["baseline"]["classify"] == 1.0


def test_memory_records_every_attempt(mini: Workspace) -> None:
    from core.memory import open_memory
    from core.session import make_supervisor

    config = load_config(mini.root)
    with make_supervisor(mini, config) as sup:
        sup.submit(proposal(replace_fn(*REJECTIONS["pytest"][:2])), accept)
    attempts = open_memory(mini).similar_attempts("add returns a - b", n=5)
    assert any(a.outcome == "rejected" and a.gate == "pytest" for a in attempts)


def test_secrets_never_reach_audit_memory_or_commits(mini: Workspace, tmp_path: Path) -> None:
    """Agent code that dumps its environment sees no key, so none is logged or committed."""
    planted = "sk-test-PLANTED0123456789abcdef"
    root = mini.root
    leaky = "def add(a: int, b: int) -> int:\n    print(dict(os.environ))\n    return a - b\n"
    imp = {"op": "add", "kind": "import", "path": CALC, "target": "os", "code": "import os"}
    edit = {"op": "replace", "kind": "function", "path": CALC, "target": "add", "code": leaky}
    prop = tmp_path / "p.json"
    prop.write_text(json.dumps({"rationale": "dump the environment", "edits": [imp, edit]}))
    env = {"OPENAI_API_KEY": planted, "ANTHROPIC_API_KEY": planted, "RATCHET_PLANTED_TOKEN": planted}
    result = run_cli(root, "propose", "--from-file", str(prop), "--yes", env=env)
    assert result.returncode == 1 and "pytest" in result.stdout  # rejected, and its output was recorded
    good = write_proposal_file(tmp_path / "good.json", GOOD_CLASSIFY)
    assert run_cli(root, "propose", "--from-file", str(good), "--yes", env=env).returncode == 0
    assert planted not in result.stdout + result.stderr
    for path in (root / ".agent").rglob("*"):
        if path.is_file():
            assert planted.encode() not in path.read_bytes(), path
    history = git(root, "log", "--all", "-p", "--format=%B")
    assert planted not in history


def test_accepted_change_touches_only_mutable_and_its_manifest(mini: Workspace) -> None:
    root = mini.root
    assert submit(mini, proposal(replace_fn("classify", GOOD_CLASSIFY))).accepted
    changed = git(root, "diff", "--name-only", "ckpt/0", "ckpt/1").splitlines()
    assert changed == ["checkpoints/0001.json", CALC]


def test_verify_fails_on_a_commit_that_is_not_a_checkpoint(mini: Workspace) -> None:
    root = mini.root
    (root / "mutable" / "calc.py").write_text((root / CALC).read_text() + "\n# a human line\n")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "sneaky direct commit")
    result = run_cli(root, "verify")
    assert result.returncode == 1 and "is not a checkpoint" in result.stdout


def test_verify_fails_when_a_checkpoint_tag_is_removed(mini: Workspace) -> None:
    root = mini.root
    assert submit(mini, proposal(replace_fn("classify", GOOD_CLASSIFY))).accepted
    git(root, "tag", "-d", "ckpt/1")
    result = run_cli(root, "verify")
    assert result.returncode == 1 and "has no tag ckpt/1" in result.stdout


class TamperingGate:
    """A fake gate that edits the workspace's protected/ while the candidate is being validated."""

    name = "tamper"

    def __init__(self, root: Path) -> None:
        self.root = root

    def run(self, ctx: object) -> object:
        from core.gates import GateOutcome
        from core.records import GateResult

        policy = self.root / "protected" / "policy.toml"
        policy.write_text(policy.read_text() + "\n# tampered mid-validation\n")
        return GateOutcome(GateResult(self.name, True, 0.0, "tampered"))


def test_seal_is_checked_again_before_commit(mini: Workspace) -> None:
    from core.errors import SealBroken

    root = mini.root
    head = git(root, "rev-parse", "HEAD")
    config = load_config(root)
    sup = Supervisor(mini, config, gates=(TamperingGate(root),))  # type: ignore[arg-type]
    with sup, pytest.raises(SealBroken):
        sup.submit(proposal(replace_fn("classify", GOOD_CLASSIFY)), accept)
    assert git(root, "rev-parse", "HEAD") == head
    assert git(root, "branch", "--list", "ratchet/candidate/*") == ""
    assert git(root, "tag", "--list", "ckpt/1") == ""


class SleepingGate:
    """A fake gate whose process runs far longer than the test waits."""

    name = "slow"

    def run(self, ctx: object) -> object:
        from core.gates import GateOutcome
        from core.procs import run_process
        from core.records import GateResult

        proc = run_process(["sleep", "60"], cwd="/", timeout=120)
        return GateOutcome(GateResult(self.name, proc.ok, proc.seconds, "slept"))


def test_abort_mid_validation_kills_the_gate_and_leaves_no_trace(mini: Workspace) -> None:
    import threading
    import time

    root = mini.root
    before = tree_digest(root)
    head = git(root, "rev-parse", "HEAD")
    config = load_config(root)
    sup = Supervisor(mini, config, gates=(SleepingGate(),))  # type: ignore[arg-type]
    with sup:
        timer = threading.Timer(1.0, sup.abort)
        timer.start()
        started = time.monotonic()
        outcome = sup.submit(proposal(replace_fn("classify", GOOD_CLASSIFY)), accept)
        timer.join()
    assert time.monotonic() - started < 30
    assert outcome.verdict.decision is Decision.SKIP and outcome.verdict.reason == "aborted"
    assert git(root, "rev-parse", "HEAD") == head
    assert tree_digest(root) == before
    clean_state(root)
