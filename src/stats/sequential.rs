//! Anytime-valid intervals (confidence sequences) for re-analysing a growing night-by-night log:
//! with a fixed-sample 95% interval, a team that re-runs every night and stops at the first NO_GO
//! is wrong far more often than 5% of the time (Netflix found 66 of 100 A/A runs rejected under
//! such peeking). A confidence sequence covers the truth at every sample size at once with
//! probability 1 - alpha, so looking every night costs nothing.
//!
//! - A rate (error rate, discrepancy rate): the conjugate beta-binomial mixture martingale
//!   (Robbins 1970; Howard, Ramdas, McAuliffe & Sekhon 2021, Ann. Statist. 49, prop. 6-7):
//!   m_n(p) = B(kp + S, k(1-p) + n - S) / B(kp, k(1-p)) / (p^S (1-p)^(n-S)), a nonnegative
//!   martingale under rate p, so by Ville's inequality {p : m_n(p) < 1/alpha} covers the rate at
//!   every n with probability 1 - alpha. The prior weight k = t/(2L + ln(1 + 2L)) - 1 with
//!   L = ln(1/alpha) makes the sequence tightest near t requests (their `best_rho` tuning); t must
//!   be fixed before the data are seen ([`DEFAULT_TUNED_FOR`] unless the policy says otherwise).
//! - A quantile: the count of observations at or below the true q-quantile is a Bernoulli(q) sum,
//!   so the same martingale at p = q accepts a range of counts [S_lo, S_hi], and
//!   [x_(S_lo), x_(S_hi + 1)] is a confidence sequence for the quantile (Howard & Ramdas 2022,
//!   Bernoulli 28, "Sequential estimation of quantiles"; the method behind Lindon, Sanden &
//!   Shirikian 2022, KDD, Netflix's sequential canary tests).
//! - Two versions: each version's sequence at alpha/2 (a union bound, valid paired or not and for
//!   any sample sizes): the difference of rates is [L2 - U1, U2 - L1], the ratio of quantiles
//!   [L2 / U1, U2 / L1].

use super::Interval;
use statrs::function::beta::ln_beta;

/// The sample size the sequences are tuned for when the policy does not say: tightest around a
/// night of a 1% canary of 10M requests, valid at every size.
pub const DEFAULT_TUNED_FOR: u64 = 100_000;

/// The mixture's prior weight k for error level `alpha`, tuned for `tuned_for` observations.
pub fn prior_weight(alpha: f64, tuned_for: u64) -> f64 {
    let l = (1.0 / alpha).ln();
    (tuned_for as f64 / (2.0 * l + (1.0 + 2.0 * l).ln()) - 1.0).max(1e-3)
}

/// ln m_n(p) of the beta-binomial mixture for `s` successes in `n` trials.
pub fn log_mixture(s: f64, n: f64, p: f64, k: f64) -> f64 {
    // At p = 0 or 1 (or where rounding reaches them) the mixture is outside every sequence; statrs'
    // ln_beta would panic on a zero argument.
    if !(p > 0.0 && p < 1.0) || k * p <= 0.0 || k * (1.0 - p) <= 0.0 {
        return f64::INFINITY;
    }
    ln_beta(k * p + s, k * (1.0 - p) + n - s) - ln_beta(k * p, k * (1.0 - p)) - s * p.ln() - (n - s) * (1.0 - p).ln()
}

/// Confidence sequence for a rate from `x` events in `n` trials at level 1 - `alpha`: the rates
/// p whose mixture stays below 1/alpha. Bisection on each side of x/n (the mixture rises away from
/// it), 80 steps. [0, 1] for n = 0.
pub fn rate_sequence(x: u64, n: u64, alpha: f64, tuned_for: u64) -> Interval {
    if n == 0 {
        return Interval::new(f64::NAN, 0.0, 1.0);
    }
    let (s, nf) = (x as f64, n as f64);
    let k = prior_weight(alpha, tuned_for);
    let bound = (1.0 / alpha).ln();
    let inside = |p: f64| log_mixture(s, nf, p, k) < bound;
    let phat = s / nf;
    let search = |mut outside: f64, mut inner: f64| {
        for _ in 0..80 {
            let mid = 0.5 * (outside + inner);
            if inside(mid) {
                inner = mid;
            } else {
                outside = mid;
            }
        }
        inner
    };
    let lower = if x == 0 { 0.0 } else { search(0.0, phat) };
    let upper = if x == n { 1.0 } else { search(1.0, phat) };
    Interval::new(phat, lower, upper)
}

/// Range of counts [s_lo, s_hi] at or below the true q-quantile that the mixture at p = q accepts
/// after n observations (integer bisection on each side of nq).
pub fn accepted_counts(n: u64, q: f64, alpha: f64, tuned_for: u64) -> (u64, u64) {
    let k = prior_weight(alpha, tuned_for);
    let bound = (1.0 / alpha).ln();
    let nf = n as f64;
    let inside = |s: u64| log_mixture(s as f64, nf, q, k) < bound;
    let centre = ((nf * q).round() as u64).min(n);
    if !inside(centre) {
        return (centre, centre);
    }
    let lo = if inside(0) { 0 } else { boundary(centre, 0, inside) };
    let hi = if inside(n) { n } else { boundary(centre, n, inside) };
    (lo, hi)
}

/// Integer bisection between an accepted count `ins` and a rejected one `out` (on either side):
/// the accepted count next to the boundary. Invariant: `ins` is accepted, `out` is not.
fn boundary(mut ins: u64, mut out: u64, inside: impl Fn(u64) -> bool) -> u64 {
    while ins.abs_diff(out) > 1 {
        let mid = ins.min(out) + ins.abs_diff(out) / 2;
        if inside(mid) {
            ins = mid;
        } else {
            out = mid;
        }
    }
    ins
}

/// Confidence sequence for the q-quantile of an ascending-sorted sample: [x_(s_lo), x_(s_hi + 1)]
/// with the accepted counts of [`accepted_counts`]; a bound the data cannot give yet is infinite
/// (a count of 0 has no lower order statistic, one of n no upper). The estimate is type 7.
pub fn quantile_sequence(sorted: &[f64], q: f64, alpha: f64, tuned_for: u64) -> Interval {
    let n = sorted.len();
    if n == 0 {
        return Interval::new(f64::NAN, f64::NEG_INFINITY, f64::INFINITY);
    }
    let (lo, hi) = accepted_counts(n as u64, q, alpha, tuned_for);
    let lower = if lo == 0 { f64::NEG_INFINITY } else { sorted[lo as usize - 1] };
    let upper = if hi as usize >= n { f64::INFINITY } else { sorted[hi as usize] };
    Interval::new(super::quantile::quantile_sorted(sorted, q), lower, upper)
}

/// V2 - V1 of two rates from each version's sequence at alpha/2 (a union bound).
pub fn rate_difference_sequence(x1: u64, n1: u64, x2: u64, n2: u64, alpha: f64, tuned_for: u64) -> Interval {
    let (a, b) = (rate_sequence(x1, n1, alpha / 2.0, tuned_for), rate_sequence(x2, n2, alpha / 2.0, tuned_for));
    Interval::new(b.estimate - a.estimate, b.lower - a.upper, b.upper - a.lower)
}

/// Q_q(V2) / Q_q(V1) from each version's quantile sequence at alpha/2 (a union bound); positive
/// samples. An unbounded V1 lower bound (or a V1 lower bound of 0) leaves the upper bound
/// unbounded.
pub fn quantile_ratio_sequence(s1: &[f64], s2: &[f64], q: f64, alpha: f64, tuned_for: u64) -> Interval {
    ratio_of_sequences(quantile_sequence(s1, q, alpha / 2.0, tuned_for), quantile_sequence(s2, q, alpha / 2.0, tuned_for))
}

/// [`quantile_sequence`] from a mergeable summary of the sample: the estimate of the rounded
/// values, the bounds at the outer edges of their order statistics' cells, so that the sequence
/// contains the exact sample's (at most one cell, 0.2%, wider at each end).
pub fn quantile_sequence_of(h: &super::summary::LogHistogram, q: f64, alpha: f64, tuned_for: u64) -> Interval {
    if h.is_empty() {
        return Interval::new(f64::NAN, f64::NEG_INFINITY, f64::INFINITY);
    }
    let (lo, hi) = accepted_counts(h.len(), q, alpha, tuned_for);
    let (lower, upper) = h.outer_edges(lo, hi + 1);
    Interval::new(h.quantile(q), lower, upper)
}

/// [`quantile_ratio_sequence`] from mergeable summaries ([`quantile_sequence_of`]).
pub fn quantile_ratio_sequence_of(
    h1: &super::summary::LogHistogram,
    h2: &super::summary::LogHistogram,
    q: f64,
    alpha: f64,
    tuned_for: u64,
) -> Interval {
    ratio_of_sequences(quantile_sequence_of(h1, q, alpha / 2.0, tuned_for), quantile_sequence_of(h2, q, alpha / 2.0, tuned_for))
}

/// Q2 / Q1 from the two versions' quantile sequences `a` (V1) and `b` (V2).
fn ratio_of_sequences(a: Interval, b: Interval) -> Interval {
    let div = |x: f64, y: f64| if y > 0.0 && y.is_finite() { x.max(0.0) / y } else { f64::INFINITY };
    let lower = if a.upper.is_finite() && b.lower.is_finite() { b.lower.max(0.0) / a.upper } else { 0.0 };
    Interval::new(b.estimate / a.estimate, lower, div(b.upper, a.lower))
}
