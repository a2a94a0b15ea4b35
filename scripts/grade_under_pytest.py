"""Grade one task's answer under real pytest, outside the sandbox, to debug the stand-in.

The graders run hidden tests through a small pytest stand-in inside the sandbox
(``tamma_tui/suites/harness``). When a grade looks wrong, run the same files under real
pytest and compare:

    python scripts/grade_under_pytest.py tamma-core dev-fix-business-days            # reference answer
    python scripts/grade_under_pytest.py tamma-core dev-fix-business-days --answer off_by_one
    python scripts/grade_under_pytest.py SUITE TASK --reply reply.md --keep /tmp/grade  # a stored reply

Development tasks: the extracted module plus the hidden tests, one pytest run.
Testing tasks: the extracted tests against the reference and against each mutant, one
pytest run each; a mutant is killed when its run fails.
Code-review tasks are not graded by tests; the script says so.

The answer's code runs unsandboxed, as you: use it on answers you trust.
Exit status: pytest's (development) or 0 when the reference passes and the mutants are
reported (testing); 2 for bad input.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from tamma_tui.suites.graders.extract import extract_python
from tamma_tui.suites.registry import load_suite


def pytest_run(folder: Path, quiet: bool) -> int:
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q" if quiet else "-v", str(folder)]
    return subprocess.run(cmd, cwd=folder).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suite", help="a built-in suite id, a folder of tasks, or a .jsonl file")
    parser.add_argument("task", help="the task id")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--answer", default="reference", help="an answer-bank label (default: reference)")
    which.add_argument("--reply", type=Path, help="a file holding a model's reply to grade")
    parser.add_argument("--keep", type=Path, help="build the workspace here and keep it")
    args = parser.parse_args(argv)

    suite = load_suite(args.suite, base_dir=Path.cwd())
    task = next((t for t in suite.tasks if t.id == args.task), None)
    if task is None:
        print(f"{args.suite}: task: no task {args.task!r}", file=sys.stderr)
        return 2
    if args.reply is not None:
        reply = args.reply.read_text(encoding="utf-8")
    else:
        answer = next((a for a in task.answers if a.label == args.answer), None)
        if answer is None:
            labels = ", ".join(a.label for a in task.answers) or "none"
            print(f"{args.task}: --answer: no answer {args.answer!r} (have: {labels})", file=sys.stderr)
            return 2
        reply = answer.text
    spec = task.grader
    kind = spec.get("kind")
    if kind not in ("development", "testing"):
        print(f"{args.task}: a {kind} task is not graded by tests; nothing to run under pytest")
        return 0
    code, origin = extract_python(reply)
    if code is None:
        print(f"{args.task}: no Python code found in the reply", file=sys.stderr)
        return 2
    print(f"code taken from: {origin}")
    root = args.keep or Path(tempfile.mkdtemp(prefix="tamma-grade-"))
    root.mkdir(parents=True, exist_ok=True)
    if kind == "development":
        (root / str(spec.get("module") or "solution.py")).write_text(code, encoding="utf-8")
        (root / "test_hidden.py").write_text(str(spec.get("tests") or ""), encoding="utf-8")
        status = pytest_run(root, quiet=False)
        print(f"workspace: {root}")
        return status
    module = str(spec.get("module") or "module.py")
    variants = {"reference": str(spec.get("reference") or "")}
    variants |= {f"mutant-{name}": src for name, src in sorted((spec.get("mutants") or {}).items())}
    outcome = {}
    for name, source in variants.items():
        folder = root / name
        folder.mkdir(exist_ok=True)
        (folder / module).write_text(source, encoding="utf-8")
        (folder / "test_agent.py").write_text(code, encoding="utf-8")
        outcome[name] = pytest_run(folder, quiet=True)
    killed = [n for n, rc in outcome.items() if n != "reference" and rc != 0]
    print(f"reference: {'passed' if outcome['reference'] == 0 else 'FAILED'}; "
          f"mutants killed {len(killed)}/{len(variants) - 1}: {', '.join(killed) or '-'}")
    print(f"workspace: {root}")
    return 0 if outcome["reference"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
