"""Beta-binomial probability that the variant's pass rate exceeds the baseline's.

The two arms get independent Beta(prior) priors updated by their pass counts; this
ignores the pairing by task, so it complements (does not replace) the paired tests.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate, special, stats


def _posteriors(successes_a, n_a, successes_b, n_b, prior) -> tuple[float, float, float, float]:
    a0, b0 = (float(v) for v in prior)
    if a0 <= 0 or b0 <= 0:
        raise ValueError(f"prior parameters must be positive, got {prior}")
    for s, n in ((successes_a, n_a), (successes_b, n_b)):
        if not 0 <= s <= n:
            raise ValueError(f"need 0 <= successes <= n, got {s} of {n}")
    return a0 + successes_a, b0 + n_a - successes_a, a0 + successes_b, b0 + n_b - successes_b


def prob_variant_better(successes_a: int, n_a: int, successes_b: int, n_b: int, *,
                        prior: tuple[float, float] = (1, 1), draws: int = 20000, seed: int = 0) -> float:
    """Monte Carlo P(p_b > p_a) under Beta posteriors (a = baseline, b = variant); seeded."""
    aa, ba, ab, bb = _posteriors(successes_a, n_a, successes_b, n_b, prior)
    rng = np.random.default_rng(seed)
    return float(np.mean(rng.beta(ab, bb, draws) > rng.beta(aa, ba, draws)))


def prob_variant_better_exact(successes_a: int, n_a: int, successes_b: int, n_b: int, *,
                              prior: tuple[float, float] = (1, 1)) -> float:
    """P(p_b > p_a) without sampling.

    With an integer posterior alpha_b the closed-form sum
        sum_{i < alpha_b} B(alpha_a + i, beta_a + beta_b) / ((beta_b + i) B(1 + i, beta_b) B(alpha_a, beta_a))
    is used (computed in log space); otherwise the integral of pdf_b(x) * cdf_a(x) dx.
    """
    aa, ba, ab, bb = _posteriors(successes_a, n_a, successes_b, n_b, prior)
    if float(ab).is_integer() and ab <= 1e6:
        i = np.arange(int(ab), dtype=float)
        log_terms = (special.betaln(aa + i, ba + bb) - np.log(bb + i)
                     - special.betaln(1 + i, bb) - special.betaln(aa, ba))
        return float(min(max(np.exp(special.logsumexp(log_terms)), 0.0), 1.0))
    return prob_variant_better_integral(aa, ba, ab, bb)


def prob_variant_better_integral(aa: float, ba: float, ab: float, bb: float) -> float:
    """Numerical integral of P(p_b > p_a) = int pdf_b(x) cdf_a(x) dx for Beta posteriors."""
    mean = ab / (ab + bb)
    sd = math.sqrt(ab * bb / ((ab + bb) ** 2 * (ab + bb + 1)))
    lo, hi = max(0.0, mean - 14 * sd), min(1.0, mean + 14 * sd)  # outside, pdf_b is negligible
    value, _ = integrate.quad(lambda x: stats.beta.pdf(x, ab, bb) * stats.beta.cdf(x, aa, ba), lo, hi,
                              points=[mean], limit=200, epsabs=1e-12, epsrel=1e-10)
    return float(min(max(value, 0.0), 1.0))
