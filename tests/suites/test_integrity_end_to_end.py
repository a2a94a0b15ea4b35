"""Issue 11 §2 end to end: a real run with a command agent that cheats stores
grade_integrity = void per trial, and the report counts the void grades per arm."""

from __future__ import annotations

import sys
import textwrap

from sqlalchemy import text

from tamma_tui.services.experiments import run_experiment
from tamma_tui.store.db import open_database

CHEAT = '''```python
import __main__
__main__.run_item = lambda *args, **kwargs: ("passed", "")


def __getattr__(name):
    return lambda *args, **kwargs: None
```'''


def _experiment(tmp_path, answer: str, name: str):
    agent_py = tmp_path / f"{name}.py"
    agent_py.write_text(f"import sys\nsys.stdin.read()\nprint({answer!r})\n")
    agents = tmp_path / "agents"
    agents.mkdir(exist_ok=True)
    (agents / f"{name}.yaml").write_text(textwrap.dedent(f"""\
        agentId: {name}
        provider: command
        model: m
        command: [{sys.executable!r}, {str(agent_py)!r}]
        timeout_s: 30
        """))
    return f"agents/{name}.yaml"


def test_a_cheating_agent_is_recorded_void_and_counted(tmp_path):
    from tamma_tui.services.reports import _arm_rows
    from tamma_tui.analysis.report import build_report
    from tamma_tui.store.queries import load_trials_frame

    base = _experiment(tmp_path, "no code here", "honest")
    cheat = _experiment(tmp_path, CHEAT, "cheat")
    exp = tmp_path / "exp.yaml"
    exp.write_text(textwrap.dedent(f"""\
        name: cheats
        suite: tamma-core
        contexts: [development]
        max_tasks: 3
        trials: 1
        seed: 5
        concurrency: 2
        max_error_rate: 1.0
        baseline: {base}
        variants:
          - name: cheat
            config: {cheat}
        """))
    db = open_database(tmp_path / "r.db")
    out = run_experiment(exp, db=db)
    with db.connect() as conn:
        rows = conn.execute(text("select arm, passed, grade_integrity from trial where run_id = :r"),
                            {"r": out.run_id}).all()
    cheat_rows = [r for r in rows if r.arm == "cheat"]
    assert len(cheat_rows) == 3
    assert all(r.grade_integrity == "void" and not r.passed for r in cheat_rows)
    assert all(r.grade_integrity == "ok" for r in rows if r.arm == "baseline")
    report = build_report(load_trials_frame(db, out.run_id), run_id=out.run_id)
    assert {a["name"]: a["void_grades"] for a in report["arms"]} == {"baseline": 0, "cheat": 3}
    assert any(row[-1] == "3" for row in _arm_rows(report))
