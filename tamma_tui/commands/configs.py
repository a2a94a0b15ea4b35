"""`tamma-bench configs validate|show|diff|import`: agent configuration files."""

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

    imp = cmds.add_parser("import", help="print a role of a tamma.config.json as a canonical agent config "
                          "(stores nothing)")
    imp.add_argument("file", metavar="FILE", help="a tamma.config.json")
    imp.add_argument("--role", required=True, help="the Tamma role (reviewer, implementer, ...)")
    imp.add_argument("--json", action="store_true", help="JSON instead of YAML")
    imp.set_defaults(func=_import)


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


def _import(args: argparse.Namespace) -> int:
    import json

    from tamma_tui.config import canonical_yaml
    from tamma_tui.config.loader import canonical_dict, config_sha256
    from tamma_tui.services.configs import import_tamma_role

    config, _meta = import_tamma_role(args.file, args.role)
    if args.json:
        print(json.dumps(canonical_dict(config), indent=2, ensure_ascii=False))
    else:
        print(f"# sha256: {config_sha256(config)}")
        print(canonical_yaml(config), end="")
    return 0
