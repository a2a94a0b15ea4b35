"""Agent back ends behind one protocol (``base.Provider``).

- ``openai_compat``: OpenAI-compatible chat completions (OpenAI, vLLM, Ollama, llama.cpp)
- ``anthropic``: the Anthropic Messages API
- ``command``: an external CLI agent (DESIGN §3)
- ``simulated``: the embedded simulated agent and its OpenAI-protocol server
- ``factory``: ``make_provider(config)`` and ``preflight(config, source)``
- ``http/``: HTTP plumbing (sender protocol, httpx sender, keep-alive client, error
  mapping, SSE); ``keys``: API keys and redaction; ``tokens``: the one token estimate
"""
