"""`tamma-bench sim-server`: the simulated model over the OpenAI protocol, with faults."""

from __future__ import annotations

import argparse
import signal


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "sim-server",
        help="serve the simulated agent over the OpenAI and Anthropic protocols",
        description="Serve the embedded simulated agent (a deterministic simulation, not a "
        "model) at /v1/chat/completions (OpenAI), /v1/messages (Anthropic) and /v1/models, "
        "streaming or not, with optional fault injection for testing clients and the engine.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--latency-ms", type=float, default=None,
                        help="fixed latency per response (default: the model's own timing)")
    parser.add_argument("--latency-scale", type=float, default=1.0,
                        help="multiplies the simulated timing when --latency-ms is not given")
    parser.add_argument("--fail-rate", type=_rate, default=0.0, help="share of requests answered 500")
    parser.add_argument("--status", type=int, default=None, help="force this HTTP status (e.g. 429)")
    parser.add_argument("--status-rate", type=_rate, default=1.0, help="share of requests given --status")
    parser.add_argument("--retry-after", default=None, help="Retry-After value sent with --status")
    parser.add_argument("--drop-rate", type=_rate, default=0.0, help="share of connections dropped mid-response")
    parser.add_argument("--malformed-rate", type=_rate, default=0.0, help="share of responses with invalid JSON")
    parser.add_argument("--truncate-rate", type=_rate, default=0.0,
                        help="share of streams that end early (no finish reason, no [DONE])")
    parser.add_argument("--seed", type=int, default=0, help="seed for choosing which requests fail")
    parser.add_argument("--suite", action="append", default=[], metavar="REF",
                        help="also answer for this suite's tasks (repeatable; built-ins are always known)")
    parser.add_argument("--anthropic-gateway-usage", action="store_true",
                        help="Anthropic streams report input tokens only in message_delta, "
                        "as LiteLLM's proxy does")
    parser.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    from tamma_tui.config.errors import BadInput
    from tamma_tui.providers.simulated.faults import FaultOptions
    from tamma_tui.providers.simulated.server import base_url_of, bind_socket, run_sim_server
    from tamma_tui.providers.simulated.service import SimService

    tasks = []
    if args.suite:
        from tamma_tui.suites.registry import load_suite

        for ref in args.suite:
            tasks.extend(load_suite(ref).tasks)
    faults = FaultOptions(
        fail_rate=args.fail_rate,
        status=args.status,
        status_rate=args.status_rate,
        retry_after=args.retry_after,
        drop_rate=args.drop_rate,
        malformed_rate=args.malformed_rate,
        truncate_rate=args.truncate_rate,
        seed=args.seed,
    )
    service = SimService(faults=faults, tasks=tasks, latency_ms=args.latency_ms,
                         latency_scale=args.latency_scale,
                         anthropic_gateway_usage=args.anthropic_gateway_usage)
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        raise BadInput(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", field="--port") from None
    print(f"tamma-bench sim-server listening on {base_url_of(sock)}", flush=True)
    # run_sim_server returns on SIGINT/SIGTERM. Its uvicorn fallback re-raises the signal
    # to the handler installed before it once shut down: make that a clean exit (status 0).
    signal.signal(signal.SIGTERM, _exit_quietly)
    try:
        run_sim_server(service, sock)
    except KeyboardInterrupt:
        pass
    return 0


def _exit_quietly(signum: int, frame: object) -> None:
    raise SystemExit(0)
