import pytest
from engine_helpers import write_experiment

from tamma_tui.config.loader import load_experiment


@pytest.fixture
def experiment(tmp_path):
    return load_experiment(write_experiment(tmp_path))
