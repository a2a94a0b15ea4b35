"""Pure numeric statistics for paired A/B comparisons of agent configurations.

No I/O and no pandas: inputs are plain sequences or numpy arrays, results are floats,
arrays or small frozen dataclasses. Differences are always variant minus baseline.
"""

from .effects import (
    cliffs_delta,
    cohens_dz,
    conditional_odds_ratio,
    hedges_gz,
    rank_biserial,
    risk_difference,
)
from .multiple import adjust, benjamini_hochberg, holm
from .paired import (
    TestResult,
    bca_bootstrap,
    cluster_means,
    clustered_mean_se,
    mcnemar_exact,
    paired_t,
    wilcoxon_signed_rank,
)
from .proportions import clopper_pearson, newcombe_paired_interval, wilson_interval

__all__ = [
    "TestResult",
    "adjust",
    "bca_bootstrap",
    "benjamini_hochberg",
    "cliffs_delta",
    "clopper_pearson",
    "cluster_means",
    "clustered_mean_se",
    "cohens_dz",
    "conditional_odds_ratio",
    "hedges_gz",
    "holm",
    "mcnemar_exact",
    "newcombe_paired_interval",
    "paired_t",
    "rank_biserial",
    "risk_difference",
    "wilcoxon_signed_rank",
    "wilson_interval",
]
