"""Turn a Task into the user message an agent sees.

Layout: a header naming the task, the task prompt, up to ``max_context_files`` context
files as fenced blocks (numbered lines for code review, since defects are located by
line), then the reply-format instructions for the task's grader.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from .model import REVIEW_CATEGORIES, SEVERITIES, Task

_LANGUAGES = {
    ".py": "python", ".js": "javascript", ".ts": "typescript", ".json": "json",
    ".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".md": "markdown", ".sh": "bash",
    ".sql": "sql", ".txt": "text", ".cfg": "ini", ".ini": "ini", ".diff": "diff",
    ".patch": "diff", ".csv": "csv", ".html": "html",
}

REVIEW_FORMAT = (
    'Reply with JSON only, exactly in this shape:\n'
    '{"findings": [{"file": "<file name>", "line_start": <int>, "line_end": <int>, '
    f'"category": "{"|".join(REVIEW_CATEGORIES)}", '
    f'"severity": "{"|".join(SEVERITIES)}", "message": "<what is wrong and why>"}}]}}\n'
    "Line numbers refer to the numbered listing above. Report each real defect once; "
    'do not report things that are fine. If there are none, reply {"findings": []}.'
)


def _fence_for(text: str) -> str:
    """A backtick fence longer than any run of backticks inside the text."""
    longest, run = 0, 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def _numbered(text: str) -> str:
    lines = text.splitlines()
    width = len(str(len(lines))) if lines else 1
    return "\n".join(f"{n:>{width}} | {line}" for n, line in enumerate(lines, start=1))


def render_file(name: str, content: str, *, numbered: bool = False) -> str:
    body = _numbered(content) if numbered else content.rstrip("\n")
    language = _LANGUAGES.get(PurePosixPath(name).suffix.lower(), "")
    fence = _fence_for(body)
    label = f"{name} (line numbers added)" if numbered else name
    return f"File: {label}\n{fence}{language}\n{body}\n{fence}"


def reply_format(task: Task) -> str:
    kind = task.grader_kind
    if kind == "development":
        module = str(task.grader.get("module", "solution.py"))
        return (f"Reply with the complete module ({module}) in one ```python fenced block. "
                "Include every import and every function it needs; tests import it as "
                f"`from {PurePosixPath(module).stem} import ...`.")
    if kind == "code_review":
        return REVIEW_FORMAT
    if kind == "testing":
        module = PurePosixPath(str(task.grader.get("module", "module.py"))).stem
        return ("Reply with a pytest test file in one ```python fenced block. Import the code "
                f"under test with `from {module} import ...`. Use plain assert statements; "
                "pytest.raises, pytest.approx, @pytest.mark.parametrize, fixtures defined in "
                "the file, tmp_path, capsys and monkeypatch are available. The tests must "
                "pass on a correct implementation and fail on a faulty one.")
    return "Reply with the answer only: no explanation, no quotes unless the answer has them."


def render_user_prompt(task: Task, max_context_files: int) -> str:
    parts = [f"Task {task.id}: {task.title or task.id}", task.prompt.strip()]
    names = sorted(task.files)
    shown = names[: max(0, max_context_files)]
    numbered = task.grader_kind == "code_review"
    for name in shown:
        parts.append(render_file(name, task.files[name], numbered=numbered))
    if len(names) > len(shown):
        hidden = ", ".join(names[len(shown):])
        parts.append(f"({len(names) - len(shown)} more file(s) not shown: {hidden})")
    parts.append(reply_format(task))
    return "\n\n".join(parts) + "\n"
