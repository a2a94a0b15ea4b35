"""Intent messages: widgets and modals say what the user wants; screens and the app act."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class OpenRun(Message):
    """Show a run on a screen ("run", "compare" or "significance")."""

    run_id: int
    mode: str = "run"


@dataclass
class OpenConfig(Message):
    agent_id: str


@dataclass
class OpenExperiment(Message):
    """Load a stored experiment into the designer."""

    experiment_id: int


@dataclass
class LaunchExperiment(Message):
    """Run (or resume) an experiment file on the live screen."""

    path: str | None  # None with ``resume``: the run's stored experiment file
    resume: int | None = None


# Directed messages: the app posts them to one screen, which handles them once it is
# mounted (a screen's queue holds them until then); they never bubble back to the app.


@dataclass
class LoadExperiment(Message, bubble=False):
    """For the designer: fill the form from a stored experiment."""

    experiment_id: int


@dataclass
class StartRun(Message, bubble=False):
    """For the run screen: start (or resume) a run of an experiment file."""

    path: str | None
    resume: int | None = None
