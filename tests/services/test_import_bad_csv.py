"""Issue 11 §6: broken CSV imports give one line and exit 2 through the real CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tamma_tui.errors import BadInput
from tamma_tui.services.imports import read_csv

HEADER = "arm,task_id,context,repeat,passed,score,latency_s,cost_usd,prompt_tokens,completion_tokens\n"
GOOD = "baseline,t1,development,0,1,1.0,0.5,0.01,10,20\nv,t1,development,0,0,0.0,0.5,0.01,10,20\n"


def _import(tmp_path, content: bytes):
    path = tmp_path / "trials.csv"
    path.write_bytes(content)
    out = subprocess.run([sys.executable, "-m", "tamma_tui.cli", "import", str(path),
                          "--db", str(tmp_path / "r.db")],
                         capture_output=True, text=True, timeout=120)
    return out, path


@pytest.mark.parametrize("content,word", [
    (b"arm,task_id,\xff\xfe,repeat\n" + GOOD.encode(), "UTF-8"),
    ((HEADER + "baseline,t1,development,0,1\n").encode(), "fewer fields"),
    ((HEADER + "baseline,t1,development,0,1,1.0,0.5,0.01,10,20,extra\n").encode(), "more fields"),
    ((HEADER + "baseline,t1,development,inf,1,1.0,0.5,0.01,10,20\n").encode(), "repeat"),
    ((HEADER + "baseline,t1,development,0,1,1.0,inf,0.01,10,20\n").encode(), "latency_s"),
    ((HEADER + "baseline,t1,development,0,1,1.0,0.5,0.01,1e20,20\n").encode(), "prompt_tokens"),
    ((HEADER + "baseline,t1,development,0,1,1.0,1e20,0.01,10,20\n").encode(), "latency_s"),
    (('# tamma-bench {"run": ' + "[" * 50_000 + "]" * 50_000 + "}\n" + HEADER + GOOD).encode(), "header"),
])
def test_bad_csv_is_one_bad_input_line(tmp_path, content, word):
    path = tmp_path / "trials.csv"
    path.write_bytes(content)
    with pytest.raises(BadInput) as err:
        read_csv(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value) and word in str(err.value)


def test_cli_prints_one_line_and_exits_2(tmp_path):
    out, path = _import(tmp_path, (HEADER + "baseline,t1,development,inf,1,1.0,0.5,0.01,10,20\n").encode())
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "repeat" in lines[0]


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_cell = st.sampled_from(["", "0", "1", "-1", "inf", "nan", "1e20", "2.5", "true", "x", "ok",
                         "error", "development", "baseline", "\u00e9", '"', ","]) | st.text(max_size=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_cell, min_size=0, max_size=12), min_size=0, max_size=5),
       junk=st.binary(max_size=8))
def test_fuzz_csv_reader_never_tracebacks(tmp_path, rows, junk):
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path = tmp_path / "fuzz.csv"
    path.write_bytes(junk + HEADER.encode() + buf.getvalue().encode("utf-8"))
    try:
        read_csv(path)
    except BadInput as exc:
        assert "\n" not in str(exc)
