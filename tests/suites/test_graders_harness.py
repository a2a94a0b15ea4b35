"""The in-sandbox harness and its pytest stand-in, run for real in the sandbox."""

from __future__ import annotations

import textwrap

import pytest

from tamma_tui.suites.harness import run_tests

SOLUTION = textwrap.dedent('''
    import os

    def add(a, b):
        return a + b

    def parse_port(text):
        value = int(text)
        if not 0 < value < 65536:
            raise ValueError(f"port out of range: {value}")
        return value

    def home():
        return os.environ.get("HOME_OVERRIDE", "none")

    def shout(msg):
        print(msg.upper())
''')

TESTS = textwrap.dedent('''
    import pytest
    import solution
    from solution import add, parse_port, home, shout

    def test_plain():
        assert add(1, 2) == 3

    def test_bare_assert_fails():
        assert add(1, 2) == 4

    @pytest.mark.parametrize("a,b,expected", [(1, 1, 2), (2, 2, 5), pytest.param(3, 3, 6, id="six")])
    def test_multi_args(a, b, expected):
        assert add(a, b) == expected

    @pytest.mark.parametrize("x", [1, 2])
    @pytest.mark.parametrize("y", [10, 20, 30])
    def test_stacked(x, y):
        assert add(x, y) > 0

    @pytest.fixture
    def base():
        state = {"open": True}
        yield state
        state["open"] = False

    @pytest.fixture
    def derived(base):
        return dict(base, extra=1)

    def test_fixture_chain(derived, base):
        assert derived == {"open": True, "extra": 1} and base["open"]

    @pytest.fixture(params=[1, 2, 3])
    def number(request):
        return request.param

    def test_fixture_params(number):
        assert number in (1, 2, 3)

    def test_builtins(tmp_path, capsys, monkeypatch):
        shout("hi")
        assert capsys.readouterr().out == "HI\\n"
        monkeypatch.setenv("HOME_OVERRIDE", "patched")
        assert home() == "patched"
        monkeypatch.setattr(solution, "add", lambda a, b: 42)
        assert solution.add(1, 1) == 42
        monkeypatch.delenv("HOME_OVERRIDE")
        assert home() == "none"
        (tmp_path / "f.txt").write_text("z")
        assert (tmp_path / "f.txt").read_text() == "z"

    def test_monkeypatch_was_undone():
        assert solution.add(1, 1) == 2

    def test_raises_and_approx():
        with pytest.raises(ValueError, match="out of range"):
            parse_port("70000")
        excinfo = pytest.raises(ValueError, parse_port, "0")
        assert "0" in str(excinfo.value)
        assert add(0.1, 0.2) == pytest.approx(0.3)
        assert [0.1 + 0.2, 1.0] == pytest.approx([0.3, 1.0])
        assert 1.1 != pytest.approx(1.0)

    def test_raises_wrong_match():
        with pytest.raises(ValueError, match="^nope$"):
            parse_port("0")

    def test_does_not_raise():
        with pytest.raises(ValueError):
            parse_port("80")

    def test_skip_and_fail():
        pytest.skip("not today")

    def test_explicit_fail():
        pytest.fail("on purpose")

    def test_swallowing_except_cannot_hide_fail():
        try:
            pytest.fail("still fails")
        except Exception:
            pass

    @pytest.mark.skipif(True, reason="never")
    def test_skipif():
        assert False

    @pytest.mark.xfail(reason="known")
    def test_xfail():
        assert False

    class TestGroup:
        def setup_method(self, method):
            self.value = 5

        def test_method(self):
            assert add(self.value, 1) == 6

        @pytest.mark.parametrize("n", [0, 1])
        def test_method_param(self, n):
            assert n >= 0

    def test_infinite_loop():
        while True:
            pass

    def test_after_loop_still_runs():
        assert True

    def test_unknown_fixture(nonexistent):
        pass
''')


@pytest.fixture(scope="module")
def outcome():
    res = run_tests(TESTS, {"ref": {"solution.py": SOLUTION}}, per_test_timeout=0.5)
    assert res.error is None, res.stderr_tail
    return {t["name"]: t for t in res.variants[0]["tests"]}, res


def test_every_feature_reports_the_expected_outcome(outcome):
    by_name, _ = outcome
    expected = {
        "test_plain": "passed",
        "test_bare_assert_fails": "failed",
        "test_multi_args[1-1-2]": "passed",
        "test_multi_args[2-2-5]": "failed",
        "test_multi_args[six]": "passed",
        "test_fixture_chain": "passed",
        "test_fixture_params[1]": "passed",
        "test_fixture_params[3]": "passed",
        "test_builtins": "passed",
        "test_monkeypatch_was_undone": "passed",
        "test_raises_and_approx": "passed",
        "test_raises_wrong_match": "failed",
        "test_does_not_raise": "failed",
        "test_skip_and_fail": "skipped",
        "test_explicit_fail": "failed",
        "test_swallowing_except_cannot_hide_fail": "failed",
        "test_skipif": "skipped",
        "test_xfail": "xfailed",
        "TestGroup::test_method": "passed",
        "TestGroup::test_method_param[0]": "passed",
        "test_infinite_loop": "failed",
        "test_after_loop_still_runs": "passed",
        "test_unknown_fixture": "error",
    }
    got = {name: by_name[name]["outcome"] for name in expected if name in by_name}
    assert got == expected
    stacked = [n for n in by_name if n.startswith("test_stacked[")]
    assert len(stacked) == 6 and all(by_name[n]["outcome"] == "passed" for n in stacked)


def test_messages_say_why(outcome):
    by_name, res = outcome
    assert "line" in by_name["test_bare_assert_fails"]["message"]
    assert "add(1, 2) == 4" in by_name["test_bare_assert_fails"]["message"]
    assert "DID NOT RAISE" in by_name["test_does_not_raise"]["message"]
    assert "timed out" in by_name["test_infinite_loop"]["message"]
    assert "nonexistent" in by_name["test_unknown_fixture"]["message"]
    v = res.variants[0]
    assert v["total"] == len(by_name)
    assert v["passed"] + v["failed"] + v["errors"] + v["skipped"] + 1 == v["total"]  # 1 xfailed


def test_variants_are_isolated_from_each_other():
    tests = "from solution import add\n\ndef test_add():\n    assert add(2, 3) == 5\n"
    variants = {
        "good": {"solution.py": "def add(a, b):\n    return a + b\n"},
        "bad": {"solution.py": "def add(a, b):\n    return a - b\n"},
        "broken": {"solution.py": "def add(a, b) return\n"},
        "good_again": {"solution.py": "def add(a, b):\n    return b + a\n"},
    }
    res = run_tests(tests, variants)
    by = {v["name"]: v for v in res.variants}
    assert by["good"]["passed"] == 1 and by["good_again"]["passed"] == 1
    assert by["bad"]["failed"] == 1
    assert by["broken"]["collection_error"] and "SyntaxError" in by["broken"]["collection_error"]


def test_a_test_file_that_does_not_compile_is_a_collection_error_in_every_variant():
    # The runner compiles the test file once, before forking, and each child reports it.
    res = run_tests("def test_x(:\n    pass\n",
                    {"a": {"solution.py": "x = 1\n"}, "b": {"solution.py": "x = 2\n"}})
    assert res.error is None and [v["name"] for v in res.variants] == ["a", "b"]
    for v in res.variants:
        assert "SyntaxError" in v["collection_error"] and "test_hidden.py" in v["collection_error"]
        assert v["total"] == 0 and not v.get("crashed")


def test_forged_result_lines_are_ignored():
    sneaky = ("import sys\nprint('TAMMA_RESULT x {\"variants\": []}')\n"
              "sys.__stdout__.write('TAMMA_RESULT fake {}\\n')\n"
              "def add(a, b):\n    return 0\n")
    res = run_tests("from solution import add\n\ndef test_add():\n    assert add(1, 1) == 2\n",
                    {"ref": {"solution.py": sneaky}})
    assert res.error is None
    assert res.variants[0]["failed"] == 1


def test_hanging_import_and_exit_calls_are_contained():
    res = run_tests(
        "from solution import f\n\ndef test_a():\n    assert f() == 1\n\n"
        "def test_b():\n    import os\n    os._exit(0)\n\ndef test_c():\n    assert True\n",
        {"exits": {"solution.py": "def f():\n    raise SystemExit(3)\n"},
         "hangs": {"solution.py": "while True:\n    pass\n"}},
        per_test_timeout=0.5, variant_timeout=3)
    exits, hangs = res.variants
    assert exits["tests"][0]["outcome"] == "failed"  # SystemExit inside a test is a failure
    assert exits.get("crashed")  # os._exit killed the test process after test_a
    assert hangs["collection_error"] and "timed out" in hangs["collection_error"]


def test_huge_parametrized_suites_keep_counts_and_failures():
    tests = ("import pytest\nfrom solution import add\n\n"
             "@pytest.mark.parametrize('n', range(3000))\n"
             "def test_many(n):\n    assert add(n, 0) == n or n == 2999\n\n"
             "def test_last():\n    assert add(1, 1) == 3\n")
    res = run_tests(tests, {"ref": {"solution.py": SOLUTION}})
    v = res.variants[0]
    assert res.error is None
    assert v["total"] == 3001 and v["passed"] == 3000 and v["failed"] == 1
    assert v["tests_truncated"] and v["tests"][0]["name"] == "test_last"


def test_class_hooks_autouse_fixtures_param_marks_and_unittest():
    tests = """
import unittest
import pytest
from solution import add

calls = []

@pytest.fixture(autouse=True)
def record():
    calls.append("auto")
    yield
    calls.append("auto-done")

class TestHooks:
    @classmethod
    def setup_class(cls):
        cls.shared = 10

    def setup_method(self):
        self.local = 1

    def test_uses_both(self):
        assert add(self.shared, self.local) == 11

    def test_autouse_ran(self):
        assert calls.count("auto") >= 1

@pytest.mark.parametrize("a,b", [(1, 1), pytest.param(1, 2, marks=pytest.mark.xfail(reason="odd"))])
def test_even(a, b):
    assert add(a, b) % 2 == 0

class TestOldStyle(unittest.TestCase):
    def test_ok(self):
        self.assertEqual(add(2, 2), 4)

    def test_bad(self):
        self.assertEqual(add(2, 2), 5)
"""
    res = run_tests(tests, {"ref": {"solution.py": SOLUTION}})
    by = {t["name"]: t["outcome"] for t in res.variants[0]["tests"]}
    assert by == {
        "TestHooks::test_autouse_ran": "passed", "TestHooks::test_uses_both": "passed",
        "test_even[1-1]": "passed", "test_even[1-2]": "xfailed",
        "TestOldStyle::test_ok": "passed", "TestOldStyle::test_bad": "failed",
    }


def test_a_background_process_holding_the_pipe_does_not_stall_the_grade():
    sneaky = ("import os, time\n"
              "if os.fork() == 0:\n    time.sleep(30)\n    os._exit(0)\n"
              "def add(a, b):\n    return a + b\n")
    res = run_tests("from solution import add\n\ndef test_add():\n    assert add(1, 1) == 2\n",
                    {"ref": {"solution.py": sneaky}}, variant_timeout=10)
    v = res.variants[0]
    assert v["passed"] == 1 and not v["timed_out"]
    assert res.duration_s < 5


def test_fixtures_defined_in_a_class_are_bound_to_the_instance_and_stay_in_the_class():
    tests = """
import pytest
from solution import add

@pytest.fixture
def base():
    return 1

class TestOwnFixtures:
    factor = 3

    @pytest.fixture
    def scaled(self, base):
        return base * self.factor

    @pytest.fixture(name="renamed")
    def _hidden(self):
        return self.factor + 1

    def test_scaled(self, scaled, renamed):
        assert add(scaled, renamed) == 7

def test_outside(scaled):
    pass
"""
    res = run_tests(tests, {"ref": {"solution.py": SOLUTION}})
    by = {t["name"]: t for t in res.variants[0]["tests"]}
    assert by["TestOwnFixtures::test_scaled"]["outcome"] == "passed"
    assert by["test_outside"]["outcome"] == "error"
    assert "fixture 'scaled' not found" in by["test_outside"]["message"]
