"""Agent back ends behind one protocol (``base.Provider``).

- ``openai_compat``: OpenAI-compatible chat completions (OpenAI, vLLM, Ollama, llama.cpp)
- ``anthropic``: the Anthropic Messages API
- ``command``: an external CLI agent (DESIGN §3)
- ``simulated``: the embedded simulated agent and its OpenAI-protocol server
- ``factory``: ``make_provider(config)`` and ``preflight(config, source)``
- ``http_common`` / ``fast_http``: shared HTTP plumbing (errors, keys, pooled transports)
"""
