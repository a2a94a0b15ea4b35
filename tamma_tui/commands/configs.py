"""`tamma-bench configs validate|show|diff`: agent configuration files."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("configs", help="validate, show and diff agent configurations")
    cmds = parser.add_subparsers(dest="configs_command", metavar="ACTION", required=True)

    validate = cmds.add_parser("validate", help="check agent config or experiment files")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.set_defaults(func=_validate)

    show = cmds.add_parser("show", help="print the canonical form and its SHA-256")
    show.add_argument("file", metavar="FILE")
    show.set_defaults(func=_show)

    diff = cmds.add_parser("diff", help="unified diff of two configs' canonical YAML")
    diff.add_argument("a", metavar="A")
    diff.add_argument("b", metavar="B")
    diff.set_defaults(func=_diff)


def _validate(args: argparse.Namespace) -> int:
    from tamma_tui.services.configs import validate_file

    for path in args.files:
        print(validate_file(path))  # raises BadInput (exit 2) on the first bad file
    return 0


def _show(args: argparse.Namespace) -> int:
    from tamma_tui.config import load_agent_config
    from tamma_tui.services.configs import show_config

    print(show_config(load_agent_config(args.file)), end="")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from tamma_tui.config import load_agent_config
    from tamma_tui.services.configs import diff_configs

    text = diff_configs(load_agent_config(args.a), load_agent_config(args.b), args.a, args.b)
    print(text or "no differences in canonical form", end="" if text else "\n")
    return 0
