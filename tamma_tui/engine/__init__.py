"""The async benchmark engine.

- ``plan``: experiment + suite -> trial keys (arm, task, repeat) in a seeded order; arms are
  paired on the same tasks and sampling seeds; mixed-context sessions.
- ``runner``: runs a plan (minus what is stored) with per-endpoint concurrency and rate
  limits, retries, per-attempt timeouts, grading off the loop, a budget, cancellation and an
  optional sequential monitor; rows go to a ``writer.BatchWriter``.
- ``retry`` / ``ratelimit``: backoff with full jitter honouring Retry-After; token buckets.
- ``events``: what the progress bar and the live-run screen consume.

Services (``tamma_tui.services.experiments``) wire it to the store, providers and graders.
"""
