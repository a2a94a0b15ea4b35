"""The embedded simulated agent: a deterministic *simulation* of a coding model.

It is not a language model. It answers from each task's answer bank (the reference answer
or one of the realistic wrong answers shipped with the task), with a probability that
depends on the model name, the task's difficulty and context, the system prompt and the
sampling parameters, so grading of its output is real. See ``simulator.py``.
"""
