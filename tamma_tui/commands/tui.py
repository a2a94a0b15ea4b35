"""`tamma-bench tui` (and `tamma-bench` with no command): open the terminal app."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("tui", help="open the terminal app (the default with no command)")
    # Also accepted after the command; SUPPRESS keeps a global --db given before it.
    parser.add_argument("--db", metavar="PATH_OR_URL", default=argparse.SUPPRESS,
                        help="database file or SQLAlchemy URL (as the global --db)")
    parser.add_argument("--theme", metavar="NAME", help="dark (default), light or ansi (16 colours)")
    parser.add_argument("--keymap", metavar="FILE",
                        help="YAML file remapping binding ids to keys (F1 in the app lists them)")
    parser.set_defaults(func=open_app)


def open_app(args: argparse.Namespace) -> int:
    """Build the app from the command line and run it; bad input -> one line, exit 2."""
    from tamma_tui.config.errors import BadInput

    try:
        app = build_app(args)
    except BadInput as exc:
        sys.stderr.write(f"tamma-bench: {exc}\n")
        return 2
    app.run()
    return int(app.return_code or 0)


def build_app(args: argparse.Namespace):
    from tamma_tui.store.db import open_database
    from tamma_tui.tui.app import AppServices, TammaApp, all_binding_ids
    from tamma_tui.tui.keymap import find_keymap
    from tamma_tui.tui.themes import load_themes, resolve_theme_name

    theme = getattr(args, "theme", None)
    if theme:  # check it before the screen switches to the app
        resolve_theme_name(theme, {t.name for t in load_themes()})
    keymap = find_keymap(getattr(args, "keymap", None), all_binding_ids())
    engine = open_database(getattr(args, "db", None))
    return TammaApp(services=AppServices(db_engine=engine), theme=theme, keymap=keymap)
