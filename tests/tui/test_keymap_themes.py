"""Keymap files, theme files and the `tui` command's handling of bad input."""

from __future__ import annotations

import argparse

import pytest

from tamma_tui.config.errors import BadInput
from tamma_tui.tui.app import all_binding_ids
from tamma_tui.tui.format import contexts_all_first, fmt_metric, next_in, sparkline, wilson
from tamma_tui.tui.keymap import find_keymap, load_keymap
from tamma_tui.tui.themes import load_theme_file, load_themes, resolve_theme_name


def test_every_binding_has_a_unique_id():
    from textual.binding import Binding

    from tamma_tui.tui import app as app_module
    from tamma_tui.tui.screens import community, compare, configs, designer, help, home, run, significance, trends
    from tamma_tui.tui.widgets.vtable import VirtualTable

    classes = [app_module.TammaApp, VirtualTable, home.HomeScreen, configs.ConfigsScreen,
               designer.DesignerScreen, run.RunScreen, compare.CompareScreen, compare.AnswersScreen,
               significance.SignificanceScreen, trends.TrendsScreen, help.HelpScreen,
               community.CommunityScreen]
    seen = []
    for cls in classes:
        for b in cls.BINDINGS:
            assert isinstance(b, Binding) and b.id, f"{cls.__name__} has a binding without an id: {b}"
            seen.append(b.id)
    assert len(seen) == len(set(seen))
    assert set(seen) == all_binding_ids()


def test_keymap_file_is_read_and_checked(tmp_path):
    good = tmp_path / "keys.yaml"
    good.write_text("go.home: h\ntable.down: [down, j]\n")
    assert load_keymap(good, all_binding_ids()) == {"go.home": "h", "table.down": "down,j"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("go.nowhere: x\n")
    with pytest.raises(BadInput) as err:
        load_keymap(bad, all_binding_ids())
    assert err.value.field == "go.nowhere" and "unknown binding id" in err.value.reason
    empty_keys = tmp_path / "empty.yaml"
    empty_keys.write_text("go.home: ''\n")
    with pytest.raises(BadInput):
        load_keymap(empty_keys, all_binding_ids())


def test_keymap_precedence(tmp_path, monkeypatch):
    env_file = tmp_path / "env.yaml"
    env_file.write_text("go.home: e\n")
    arg_file = tmp_path / "arg.yaml"
    arg_file.write_text("go.home: a\n")
    monkeypatch.setenv("TAMMA_BENCH_KEYMAP", str(env_file))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nothing-here"))
    assert find_keymap(arg_file, all_binding_ids()) == {"go.home": "a"}
    assert find_keymap(None, all_binding_ids()) == {"go.home": "e"}
    monkeypatch.delenv("TAMMA_BENCH_KEYMAP")
    assert find_keymap(None, all_binding_ids()) == {}


def test_shipped_themes_and_names():
    themes = {t.name: t for t in load_themes()}
    assert {"tamma-dark", "tamma-light", "tamma-ansi"} <= set(themes)
    assert themes["tamma-ansi"].ansi is True
    # The ANSI theme uses only the terminal's 16 colours.
    ansi = themes["tamma-ansi"]
    colours = [ansi.primary, ansi.secondary, ansi.accent, ansi.warning, ansi.error, ansi.success,
               ansi.foreground, ansi.background, *ansi.variables.values()]
    assert all(c.startswith("ansi_") or c in ("bold", "none") for c in colours if c)
    assert resolve_theme_name("light", set(themes)) == "tamma-light"
    assert resolve_theme_name(None, set(themes)) == "tamma-dark"
    with pytest.raises(BadInput):
        resolve_theme_name("neon", set(themes))


def test_bad_theme_file_is_reported(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nprimary: '#fff'\nsparkle: true\n")
    with pytest.raises(BadInput) as err:
        load_theme_file(path)
    assert err.value.field == "sparkle"


def test_tui_command_rejects_bad_input_with_exit_2(tmp_path, capsys):
    from tamma_tui.commands.tui import open_app

    keymap = tmp_path / "k.yaml"
    keymap.write_text("nope.nope: x\n")
    args = argparse.Namespace(db=str(tmp_path / "t.db"), theme=None, keymap=str(keymap))
    assert open_app(args) == 2
    assert "nope.nope: unknown binding id" in capsys.readouterr().err
    args = argparse.Namespace(db=str(tmp_path / "t.db"), theme="neon", keymap=None)
    assert open_app(args) == 2
    assert "unknown theme 'neon'" in capsys.readouterr().err


def test_formatting_helpers():
    assert fmt_metric("pass_rate", 0.1234, signed=True) == "+12.3 pts"  # a difference: points
    assert fmt_metric("pass_rate", 0.1234) == "12.3%"
    # One unit per quantity, and what rounds to zero is 0, never -0.00.
    assert fmt_metric("pass_rate", -0.0004, signed=True) == "0.0 pts"
    assert fmt_metric("latency_s", -0.001, signed=True) == "0.00s"
    assert fmt_metric("latency_s", -0.3, signed=True) == "-0.30s"
    assert fmt_metric("cost_usd", -1e-9, signed=True) == "0.0000"
    assert fmt_metric("prompt_tokens", -0.2, signed=True) == "0"
    assert fmt_metric("latency_s", None) == "–"
    assert sparkline([0.0, 0.5, 1.0, None]) == "▁▅█ "
    low, high = wilson(0, 10)
    assert low == 0.0 and 0.25 < high < 0.35  # the Wilson upper bound for 0/10 is 0.278
    assert wilson(10, 10)[1] == 1.0


def test_order_and_cycling_helpers():
    assert contexts_all_first(["testing", "all", "development", "testing"]) == ["all", "development", "testing"]
    assert next_in(["all", "development", "testing"], "development") == "testing"
    assert next_in(["all", "development", "testing"], "testing") == "all"  # wraps round
    assert next_in([0, 1, 2], 7) == 0  # gone (e.g. after a reload): back to the first


def test_tui_command_accepts_db_before_or_after_the_command():
    from tamma_tui.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["tui", "--db", "after.db", "--theme", "ansi"]).db == "after.db"
    assert parser.parse_args(["--db", "before.db", "tui"]).db == "before.db"
    args = parser.parse_args(["tui", "--keymap", "k.yaml"])
    assert args.db is None and args.keymap == "k.yaml" and args.theme is None
