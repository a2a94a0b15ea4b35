"""Suite loaders: built-in suites, folders of task folders, match JSONL, HumanEval JSONL.

Every loader reads all referenced files into memory (graders never touch the disk for
task data) and raises ``BadInput`` naming the file, the field or line, and the reason.
"""

from .folder import find_task_folders, load_folder_suite, load_task_folder
from .jsonl import load_jsonl_suite, load_jsonl_tasks
from .humaneval import humaneval_tests

__all__ = [
    "find_task_folders", "humaneval_tests", "load_folder_suite",
    "load_jsonl_suite", "load_jsonl_tasks", "load_task_folder",
]
