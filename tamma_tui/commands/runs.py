"""`runs`, `show`, `export`, `import`: stored runs and their trials."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    runs = sub.add_parser("runs", help="list stored runs, newest first")
    runs.add_argument("--limit", type=int, default=30)
    runs.add_argument("--json", action="store_true", help="one JSON object per line")
    runs.set_defaults(func=_runs)

    show = sub.add_parser("show", help="per-arm results of a run")
    show.add_argument("run", metavar="RUN")
    show.add_argument("--by", choices=["arm", "context"], default="arm",
                      help="'context' prints an arm x context matrix per metric")
    show.set_defaults(func=_show)

    export = sub.add_parser("export", help="write a run's trials as CSV or JSON Lines")
    export.add_argument("run", metavar="RUN")
    export.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    export.add_argument("--no-header", action="store_true",
                        help="CSV without the '# tamma-bench' line (arm order and analysis plan)")
    export.set_defaults(func=_export)

    imp = sub.add_parser("import", help="import trial results produced elsewhere (CSV, or JSON Lines)")
    imp.add_argument("file", metavar="FILE.csv|FILE.jsonl")
    imp.add_argument("--baseline", default=None, metavar="NAME",
                     help="the baseline arm (default: the export header's, else 'baseline')")
    imp.add_argument("--plan", metavar="FILE",
                     help="the analysis plan (YAML/JSON, or an experiment file's 'analysis')")
    imp.add_argument("--name", help="run name (default: the file name)")
    imp.set_defaults(func=_import)


def _engine(args: argparse.Namespace):
    from tamma_tui.store.db import open_database

    return open_database(args.db)


def _runs(args: argparse.Namespace) -> int:
    import dataclasses
    import json

    from tamma_tui.services.browse import recent_runs

    rows = recent_runs(_engine(args), args.limit)
    if args.json:
        for row in rows:
            print(json.dumps(dataclasses.asdict(row)))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="runs", title_justify="left")
    for col, justify in (("id", "right"), ("name", "left"), ("kind", "left"), ("status", "left"),
                         ("created", "left"), ("trials", "right"), ("errors", "right"), ("cost $", "right")):
        table.add_column(col, justify=justify)
    for r in rows:
        table.add_row(str(r.id), r.name, r.kind, r.status, r.created,
                      f"{r.done}/{r.total or r.done}", str(r.errors), f"{r.cost_usd:.4f}")
    Console().print(table if rows else "no runs yet: try `tamma-bench demo`")
    return 0


def _show(args: argparse.Namespace) -> int:
    from rich.console import Console

    from tamma_tui.services.results import render_run, show_run

    by_context = args.by == "context"
    view = show_run(_engine(args), args.run, by_context=by_context)
    Console().print(render_run(view, by_context=by_context))
    return 0


def _export(args: argparse.Namespace) -> int:
    from tamma_tui.services.results import export_run

    engine = _engine(args)
    if args.output:
        import os
        import tempfile
        from pathlib import Path

        target = Path(args.output)
        # Write beside the target and rename, so a failure leaves no half-written file.
        fd, tmp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".", suffix=".part")
        try:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
                n = export_run(engine, args.run, args.format, handle, header=not args.no_header)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
        print(f"wrote {n} trials to {target}", file=sys.stderr)
    else:
        export_run(engine, args.run, args.format, sys.stdout, header=not args.no_header)
    return 0


def _import(args: argparse.Namespace) -> int:
    from tamma_tui.services.imports import import_csv

    run_id = import_csv(_engine(args), args.file, baseline=args.baseline, name=args.name, plan=args.plan)
    print(run_id)
    return 0
