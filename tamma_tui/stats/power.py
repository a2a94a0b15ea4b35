"""Sample size and minimum detectable effect (MDE) for paired designs.

All tests are two-sided at level ``alpha``; ``mde`` is a positive improvement of the
variant over the baseline. Three designs:
  - pass/fail, one trial per task: exact McNemar test (Connor 1987 + exact power check);
  - a continuous per-task difference: paired t test, effect in d_z units (noncentral t);
  - pass rate with K trials per task: paired t on per-task pass fractions, variance from
    Miller (2024), "Adding Error Bars to Evals" (power-analysis section).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

_MAX_N = 10_000_000
_TAIL = 1e-16


def _check_level(alpha: float, power: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if not 0 < power < 1:
        raise ValueError(f"power must be in (0, 1), got {power}")


# ---------------------------------------------------------------- paired proportions (McNemar)


def _discordant_cells(p_baseline: float, mde: float, discordance: float | None) -> tuple[float, float]:
    """(p10, p01): P(baseline pass, variant fail) and P(baseline fail, variant pass)."""
    p1, p2 = p_baseline, p_baseline + mde
    if not 0 <= p1 <= 1 or not 0 <= p2 <= 1:
        raise ValueError(f"baseline rate {p1} + mde {mde} must stay within [0, 1]")
    # Default: the arms pass independently given the rates (no task-level correlation),
    # the conservative choice when nothing is known about how often the arms disagree.
    psi = p1 * (1 - p2) + p2 * (1 - p1) if discordance is None else float(discordance)
    p10, p01 = (psi - mde) / 2, (psi + mde) / 2
    tol = 1e-12
    if p10 < -tol or p01 > 1 - p1 + tol or p10 > p1 + tol or p01 > p2 + tol:
        raise ValueError(f"discordance {psi} is impossible for baseline {p1} and mde {mde}")
    return max(p10, 0.0), p01


def _reject_limit(m: np.ndarray, alpha: float) -> np.ndarray:
    """Largest k with exact two-sided McNemar p = 2 * BinCDF(k; m, 1/2) <= alpha (-1: none)."""
    k = stats.binom.ppf(alpha / 2, m, 0.5)
    k = np.where(stats.binom.cdf(k, m, 0.5) <= alpha / 2, k, k - 1)
    return np.where(m > 0, k, -1)


def mcnemar_exact_power(n: int, p10: float, p01: float, alpha: float = 0.05) -> float:
    """Exact power of the exact McNemar test with n tasks and discordant cell rates p10, p01.

    The number of discordant tasks is Bin(n, p10 + p01); given m of them the variant-only
    passes are Bin(m, p01 / (p10 + p01)); summed over m.
    """
    psi = min(p10 + p01, 1.0)
    if n <= 0 or psi <= 0:
        return 0.0
    # Only discordant counts with non-negligible probability matter (the tails left out
    # weigh < 1e-15 together); this keeps large n cheap.
    first = int(stats.binom.ppf(_TAIL, n, psi))
    last = int(stats.binom.isf(_TAIL, n, psi))
    m = np.arange(max(first - 1, 0), min(last + 1, n) + 1)
    weight = stats.binom.pmf(m, n, psi)
    k = _reject_limit(m, alpha)
    q = p01 / psi
    lower = np.where(k >= 0, stats.binom.cdf(k, m, q), 0.0)
    upper = np.where(k >= 0, stats.binom.sf(m - k - 1, m, q), 0.0)
    return float(np.sum(weight * (lower + upper)))


def connor_sample_size(p10: float, p01: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Connor (1987) normal-approximation tasks for McNemar: fractional, before rounding up."""
    psi, delta = p10 + p01, p01 - p10
    za, zb = stats.norm.isf(alpha / 2), stats.norm.isf(1 - power)
    return float((za * math.sqrt(psi) + zb * math.sqrt(max(psi - delta**2, 0.0))) ** 2 / delta**2)


def paired_proportions_sample_size(p_baseline: float, mde: float, *, alpha: float = 0.05, power: float = 0.8,
                                   discordance: float | None = None) -> int:
    """Tasks needed to detect pass rate p_baseline -> p_baseline + mde with an exact McNemar test.

    Starts from Connor's formula with discordance psi = p10 + p01 (default: arms independent,
    psi = p1(1-p2) + p2(1-p1)) and then adds tasks until the exact power (binomial on the
    discordant pairs) reaches ``power``: Connor's n if it already does, else the n found by
    bracketing and bisection, which reaches the target while n - 1 does not (exact power
    is saw-toothed in n, so a few larger n may dip below the target again).
    """
    _check_level(alpha, power)
    if mde <= 0:
        raise ValueError(f"mde must be positive, got {mde}")
    p10, p01 = _discordant_cells(p_baseline, mde, discordance)
    n = max(1, math.ceil(connor_sample_size(p10, p01, alpha, power) - 1e-9))
    reaches = lambda k: mcnemar_exact_power(k, p10, p01, alpha) >= power  # noqa: E731
    if reaches(n):
        return n
    # Bracket by doubling steps, then bisect, keeping "low fails, high reaches": the
    # answer reaches the target and one task fewer does not.
    low, step = n, 1
    while not reaches(n + step):
        low, step = n + step, step * 2
        if n + step > _MAX_N:
            raise ValueError("no sample size reaches the requested power")
    high = n + step
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if reaches(mid) else (mid, high)
    return high


def paired_proportions_mde(p_baseline: float, n_tasks: int, *, alpha: float = 0.05, power: float = 0.8,
                           discordance: float | None = None) -> float:
    """Smallest improvement the exact McNemar test detects with ``power`` on ``n_tasks`` tasks.

    Same assumptions as :func:`paired_proportions_sample_size`; NaN when even the largest
    possible improvement is not detectable.
    """
    _check_level(alpha, power)
    p1 = p_baseline
    top = 1 - p1
    if discordance is not None:
        top = min(top, discordance, 2 * (1 - p1) - discordance)
    if top <= 0:
        return math.nan

    def shortfall(delta: float) -> float:
        p10, p01 = _discordant_cells(p1, delta, discordance)
        return mcnemar_exact_power(n_tasks, p10, p01, alpha) - power

    if shortfall(top) < 0:
        return math.nan
    low = max(0.0, discordance - 2 * p1) if discordance is not None else 0.0
    low, high = max(low, 1e-9), top
    for _ in range(60):  # bisection: power rises with the effect for a fixed discordance model
        mid = (low + high) / 2
        low, high = (mid, high) if shortfall(mid) < 0 else (low, mid)
    return high


# ---------------------------------------------------------------- paired means (d_z)


def paired_t_power(effect_size_dz: float, n: int, alpha: float = 0.05) -> float:
    """Power of the two-sided paired t test (noncentral t, both tails), n pairs."""
    if n < 2:
        return 0.0
    df = n - 1
    crit = stats.t.isf(alpha / 2, df)
    nc = abs(effect_size_dz) * math.sqrt(n)
    near = float(stats.nct.sf(crit, df, nc))
    # The far tail P(T < -crit) = P(T(-nc) > crit); scipy can return NaN for it when it
    # is vanishingly small, so treat NaN as 0.
    far = float(stats.nct.sf(crit, df, -nc))
    return near + (0.0 if math.isnan(far) else far)


def paired_means_sample_size(effect_size_dz: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """Pairs needed by the two-sided paired t test to detect ``effect_size_dz`` (mean / sd of
    the per-task differences); matches ceil of statsmodels' TTestPower().solve_power."""
    _check_level(alpha, power)
    d = abs(effect_size_dz)
    if d == 0 or not math.isfinite(d):
        raise ValueError(f"effect size must be finite and non-zero, got {effect_size_dz}")
    z = stats.norm.isf(alpha / 2) + stats.norm.isf(1 - power)
    n = max(2, math.ceil((z / d) ** 2))
    while paired_t_power(d, n, alpha) < power:
        n += 1
        if n > _MAX_N:
            raise ValueError("no sample size reaches the requested power")
    while n > 2 and paired_t_power(d, n - 1, alpha) >= power:
        n -= 1
    return n


def paired_means_mde(n: int, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest d_z the two-sided paired t test detects with ``power`` on n pairs."""
    _check_level(alpha, power)
    if n < 2:
        return math.nan
    high = 1.0
    while paired_t_power(high, n, alpha) < power:
        high *= 2
        if high > 1e6:
            return math.nan
    return float(optimize.brentq(lambda d: paired_t_power(d, n, alpha) - power, 1e-12, high, xtol=1e-12))


# ---------------------------------------------------------------- repeated trials (K per task)

DEFAULT_WITHIN_TASK_CORR = 0.5


def repeated_trials_variance(p_baseline: float, mde: float, trials_per_task: int,
                             within_task_corr: float | None = None, between_arm_corr: float = 0.0) -> float:
    """Variance of one task's difference of pass fractions (variant - baseline), K trials each.

    Miller (2024): Var = omega^2 + (sigma_A^2 + sigma_B^2) / K, where omega^2 is the variance
    across tasks of the difference of the arms' true per-task pass probabilities and
    sigma_X^2 = E[p_i (1 - p_i)] the mean within-task Bernoulli variance. For a binary
    outcome p(1-p) = Var(p_i) + E[p_i(1-p_i)]; with rho = ``within_task_corr`` (the
    correlation of two trials of the same task, i.e. Var(p_i) / (p(1-p))):
      Var(p_i) = rho p(1-p),  sigma^2 = (1 - rho) p(1-p),
      omega^2 = rho (pA qA + pB qB) - 2 r rho sqrt(pA qA pB qB),  r = ``between_arm_corr``
    (the correlation of the two arms' per-task probabilities; 0 = arms independent, the
    conservative default). rho defaults to DEFAULT_WITHIN_TASK_CORR (0.5), an assumption,
    not a measured value: pass an estimate from a pilot run when you have one.
    """
    rho = DEFAULT_WITHIN_TASK_CORR if within_task_corr is None else float(within_task_corr)
    if not 0 <= rho <= 1:
        raise ValueError(f"within_task_corr must be in [0, 1], got {rho}")
    if not -1 <= between_arm_corr <= 1:
        raise ValueError(f"between_arm_corr must be in [-1, 1], got {between_arm_corr}")
    if trials_per_task < 1:
        raise ValueError(f"trials_per_task must be >= 1, got {trials_per_task}")
    pa, pb = p_baseline, p_baseline + mde
    if not 0 <= pa <= 1 or not 0 <= pb <= 1:
        raise ValueError(f"baseline rate {pa} + mde {mde} must stay within [0, 1]")
    va, vb = pa * (1 - pa), pb * (1 - pb)
    omega2 = rho * (va + vb) - 2 * between_arm_corr * rho * math.sqrt(va * vb)
    return omega2 + (1 - rho) * (va + vb) / trials_per_task


def repeated_trials_normal_sample_size(p_baseline: float, mde: float, trials_per_task: int, *,
                                       alpha: float = 0.05, power: float = 0.8,
                                       within_task_corr: float | None = None,
                                       between_arm_corr: float = 0.0) -> float:
    """Miller's normal-approximation tasks n = (z_{a/2} + z_b)^2 Var / mde^2 (fractional)."""
    _check_level(alpha, power)
    var = repeated_trials_variance(p_baseline, mde, trials_per_task, within_task_corr, between_arm_corr)
    z = stats.norm.isf(alpha / 2) + stats.norm.isf(1 - power)
    return float(z * z * var / (mde * mde))


def repeated_trials_sample_size(p_baseline: float, mde: float, trials_per_task: int, *, alpha: float = 0.05,
                                power: float = 0.8, within_task_corr: float | None = None,
                                between_arm_corr: float = 0.0) -> int:
    """Tasks needed when each arm runs K = ``trials_per_task`` trials per task.

    The analysis is a paired t test on per-task pass fractions, so the variance of
    :func:`repeated_trials_variance` turns ``mde`` into d_z = mde / sqrt(Var) and the
    noncentral-t sample size of :func:`paired_means_sample_size` is returned. Miller's
    normal formula n = (z_{a/2} + z_b)^2 Var / mde^2 is its large-sample limit (it is never
    larger). Assumes per-task differences close to normal and tasks independent.
    """
    _check_level(alpha, power)
    if mde <= 0:
        raise ValueError(f"mde must be positive, got {mde}")
    var = repeated_trials_variance(p_baseline, mde, trials_per_task, within_task_corr, between_arm_corr)
    if var <= 0:
        return 2
    return paired_means_sample_size(mde / math.sqrt(var), alpha=alpha, power=power)


def repeated_trials_mde(p_baseline: float, n_tasks: int, trials_per_task: int, *, alpha: float = 0.05,
                        power: float = 0.8, within_task_corr: float | None = None,
                        between_arm_corr: float = 0.0) -> float:
    """Smallest improvement detectable on ``n_tasks`` tasks with K trials each (same model as
    :func:`repeated_trials_sample_size`); NaN when no improvement up to 1 - p_baseline is."""
    _check_level(alpha, power)
    dz_needed = paired_means_mde(n_tasks, alpha=alpha, power=power)
    top = 1 - p_baseline
    if math.isnan(dz_needed) or top <= 0:
        return math.nan

    def gap(delta: float) -> float:
        var = repeated_trials_variance(p_baseline, delta, trials_per_task, within_task_corr, between_arm_corr)
        return (math.inf if var <= 0 else delta / math.sqrt(var)) - dz_needed

    if gap(top) < 0:
        return math.nan
    return float(optimize.brentq(gap, 1e-12, top, xtol=1e-12))
