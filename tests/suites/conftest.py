"""Shared, expensive fixtures of the suites tests."""

from __future__ import annotations

import os

import pytest

from tamma_tui.suites import registry
from tamma_tui.suites.selfcheck import SelfCheckReport, validate_suite

JOBS = max(2, min(4, os.cpu_count() or 1))  # as in test_builtin_suites


@pytest.fixture(scope="session")
def core_testing_report() -> SelfCheckReport:
    """Every answer of every tamma-core testing task graded once (each grade is a sandboxed
    run of several mutants), for the tests that check those grades from different sides."""
    return validate_suite(registry.load_suite("tamma-core"), jobs=JOBS, contexts=["testing"])
