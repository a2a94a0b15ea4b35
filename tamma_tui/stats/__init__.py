"""Pure numeric statistics for paired A/B comparisons of agent configurations.

No I/O and no pandas: inputs are plain sequences or numpy arrays, results are floats,
arrays or small frozen dataclasses. Differences are always variant minus baseline, the
task is the unit of analysis, and NaN inputs are dropped (pairwise where paired).

  paired          McNemar exact (+ mid-p, Newcombe/Wald intervals, conditional OR), paired t,
                  Wilcoxon signed-rank, BCa bootstrap over tasks, clustered (CR1) mean SE
  effects         risk difference, conditional odds ratio, d_z, Hedges g_z, rank-biserial,
                  Cliff's delta
  multiple        Holm, Benjamini-Hochberg (input order, NaN passed through)
  power           sample size / MDE: Connor + exact McNemar power, paired t (noncentral t),
                  Miller (2024) repeated trials per task
  permutation     the primary test: sign-flip permutation on per-task differences (exact
                  McNemar at one trial, exact enumeration, seeded Monte Carlo, never p = 0)
  sequential      mSPRT always-valid p-values; the betting confidence sequence the
                  monitor uses (valid at every look, variance-adaptive)
  design          sizing the decision: correction over variants, guardrails jointly,
                  cheapest (tasks, trials) pair
  noninferiority  one-sided guardrail tests (paired t; Tango score for paired 0/1)
  bayes           Beta-binomial probability that the variant is better
  changepoints    E-divisive means and binary segmentation for metric histories
  proportions     Wilson, Clopper-Pearson, Newcombe paired-difference intervals
"""

from .effects import (
    cliffs_delta,
    cohens_dz,
    conditional_odds_ratio,
    hedges_gz,
    rank_biserial,
    risk_difference,
)
from .changepoints import ChangePoint, binary_segmentation, e_divisive_means
from .bayes import prob_variant_better, prob_variant_better_exact
from .multiple import adjust, benjamini_hochberg, holm
from .noninferiority import noninferiority_test
from .paired import (
    TestResult,
    bca_bootstrap,
    cluster_means,
    clustered_mean_se,
    mcnemar_exact,
    paired_t,
    wilcoxon_signed_rank,
)
from .power import (
    mcnemar_exact_power,
    paired_means_mde,
    paired_means_sample_size,
    paired_proportions_mde,
    paired_proportions_sample_size,
    paired_t_power,
    repeated_trials_mde,
    repeated_trials_normal_sample_size,
    repeated_trials_sample_size,
    repeated_trials_variance,
)
from .proportions import clopper_pearson, newcombe_paired_interval, wilson_interval
from .design import cheapest_design, decision_power, tasks_for_decision
from .permutation import SignFlipResult, sign_flip_test
from .sequential import (
    ConfidenceSequence,
    betting_confidence_sequence,
    msprt_confidence_sequence,
    msprt_log_lr,
    msprt_pvalues,
    sequential_decisions,
)

__all__ = [
    "ConfidenceSequence",
    "SignFlipResult",
    "betting_confidence_sequence",
    "cheapest_design",
    "decision_power",
    "sequential_decisions",
    "sign_flip_test",
    "tasks_for_decision",
    "ChangePoint",
    "binary_segmentation",
    "e_divisive_means",
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
    "mcnemar_exact_power",
    "msprt_confidence_sequence",
    "msprt_log_lr",
    "msprt_pvalues",
    "newcombe_paired_interval",
    "noninferiority_test",
    "paired_means_mde",
    "paired_means_sample_size",
    "paired_proportions_mde",
    "paired_proportions_sample_size",
    "paired_t",
    "paired_t_power",
    "prob_variant_better",
    "prob_variant_better_exact",
    "rank_biserial",
    "repeated_trials_mde",
    "repeated_trials_normal_sample_size",
    "repeated_trials_sample_size",
    "repeated_trials_variance",
    "risk_difference",
    "wilcoxon_signed_rank",
    "wilson_interval",
]
