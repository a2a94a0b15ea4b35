"""Agent configurations and experiment specs: models, YAML loading, canonical form."""

from .errors import BadInput
from .loader import (
    ArmSpec,
    LoadedExperiment,
    canonical_yaml,
    config_sha256,
    load_agent_config,
    load_experiment,
)
from .models import CONTEXTS, METRICS, PROVIDERS, AgentConfig, ExperimentSpec

__all__ = [
    "AgentConfig", "ArmSpec", "BadInput", "CONTEXTS", "ExperimentSpec", "LoadedExperiment",
    "METRICS", "PROVIDERS", "canonical_yaml", "config_sha256", "load_agent_config",
    "load_experiment",
]
