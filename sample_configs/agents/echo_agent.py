#!/usr/bin/env python3
"""A tiny example of a command agent for Tamma Bench (provider: command).

It reads the prompt on stdin (the same text is in the file named by $TAMMA_PROMPT_FILE),
prints an answer on stdout and reports its token usage on the last line. A real agent
would call a model here; this one answers with a python code block that echoes the first
line of the task, which is enough to exercise the whole command-provider path.
"""

import json
import os
import sys


def main() -> int:
    prompt = sys.stdin.read()
    with open(os.environ["TAMMA_PROMPT_FILE"], encoding="utf-8") as fh:
        assert fh.read() == prompt, "stdin and the prompt file should hold the same text"
    first_line = next((line for line in prompt.splitlines() if line.strip()), "")
    answer = (
        "Here is my attempt.\n\n"
        "```python\n"
        f"TASK_SUMMARY = {first_line[:80]!r}\n"
        "\n"
        "def solve(*args, **kwargs):\n"
        "    return None\n"
        "```\n"
    )
    sys.stdout.write(answer)
    usage = {"prompt_tokens": max(len(prompt) // 4, 1), "completion_tokens": max(len(answer) // 4, 1)}
    sys.stdout.write(json.dumps({"tamma_usage": usage}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
