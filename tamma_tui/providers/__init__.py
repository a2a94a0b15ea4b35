"""Agent back ends behind one protocol (``base.Provider``).

- ``openai_compat``: OpenAI-compatible chat completions (OpenAI, vLLM, Ollama, llama.cpp)
- ``anthropic``: the Anthropic Messages API
- ``command``: an external CLI agent (DESIGN §3)
- ``simulated``: the embedded simulated agent and its OpenAI-protocol server
- ``factory``: ``make_provider(config)`` and ``preflight(config, source)``
- ``http/``: HTTP plumbing (sender protocol, httpx sender, keep-alive client, error
  mapping, SSE); ``keys``: API keys and redaction; ``tokens``: the one token estimate
"""


def _skip_httpx_command_line() -> None:
    """Importing httpx imports its command-line client (click, pygments), ~40-110 ms of a
    `tamma-bench run` start-up for a console command we never call. With ``httpx._main``
    marked missing, httpx installs its own stub ``main`` instead (its documented fallback
    when those extras are absent). Only when httpx is not imported yet."""
    import sys

    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


_skip_httpx_command_line()

