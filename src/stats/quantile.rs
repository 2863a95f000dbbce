//! Quantiles and their distribution-free confidence intervals.

use super::Interval;
use statrs::distribution::{Binomial, DiscreteCDF};

/// Type-7 quantile (Hyndman & Fan 1996, definition 7; NumPy's default `linear`, R's default) of
/// an ascending-sorted slice: h = (n-1)q, x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]).
/// NaN for an empty slice. O(1).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let q = q.clamp(0.0, 1.0);
    let h = (n - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let frac = h - lo as f64;
    if frac == 0.0 {
        sorted[lo]
    } else {
        sorted[lo] + frac * (sorted[hi] - sorted[lo])
    }
}

/// Type-7 quantile of unsorted data by selection instead of sorting: two `select_nth_unstable`
/// calls, O(n) expected. Reorders `x`. NaN for an empty slice.
pub fn quantile_select(x: &mut [f64], q: f64) -> f64 {
    let n = x.len();
    if n == 0 {
        return f64::NAN;
    }
    let q = q.clamp(0.0, 1.0);
    let h = (n - 1) as f64 * q;
    let lo = h.floor() as usize;
    let frac = h - lo as f64;
    let (_, &mut a, rest) = x.select_nth_unstable_by(lo, f64::total_cmp);
    if frac == 0.0 || rest.is_empty() {
        return a;
    }
    // The next order statistic is the minimum of everything above position lo.
    let b = rest.iter().copied().fold(f64::INFINITY, f64::min);
    a + frac * (b - a)
}

/// Ranks (1-based) of the order statistics that bound the q-quantile with at least `confidence`
/// coverage, distribution-free (Hahn & Meeker 1991, sec. 5.2; Conover 1999, sec. 3.2):
/// l = Binom(n,q).ppf(a/2), u = Binom(n,q).ppf(1-a/2) + 1 with a = 1 - confidence, so that
/// P(x_(l) <= xi_q <= x_(u)) = F(u-1) - F(l-1) >= 1 - a. A rank of 0 means "no finite lower bound"
/// and a rank of n+1 "no finite upper bound". O(log n) CDF evaluations.
pub fn order_statistic_ranks(n: usize, q: f64, confidence: f64) -> (usize, usize) {
    if n == 0 {
        return (0, 1);
    }
    let a = 1.0 - confidence;
    let q = q.clamp(0.0, 1.0);
    if q <= 0.0 {
        return (1, 1);
    }
    if q >= 1.0 {
        return (n, n);
    }
    let Ok(binom) = Binomial::new(q, n as u64) else {
        return (0, n + 1);
    };
    let l = binom.inverse_cdf(a / 2.0) as usize;
    let u = binom.inverse_cdf(1.0 - a / 2.0) as usize + 1;
    (l, u.min(n + 1))
}

/// Exact coverage F(u-1) - F(l-1) of the order-statistic interval [x_(l), x_(u)] for the
/// q-quantile of a continuous distribution.
pub fn order_statistic_coverage(n: usize, q: f64, l: usize, u: usize) -> f64 {
    let Ok(binom) = Binomial::new(q.clamp(0.0, 1.0), n as u64) else {
        return f64::NAN;
    };
    let upper = if u == 0 { 0.0 } else { binom.cdf((u - 1) as u64) };
    let lower = if l == 0 { 0.0 } else { binom.cdf((l - 1) as u64) };
    upper - lower
}

/// Type-7 point estimate of the q-quantile of an ascending-sorted slice with its distribution-free
/// order-statistic confidence interval ([`order_statistic_ranks`]). A bound the data cannot give
/// (too few observations in that tail) is infinite.
pub fn quantile_with_ci(sorted: &[f64], q: f64, confidence: f64) -> Interval {
    let n = sorted.len();
    if n == 0 {
        return Interval::new(f64::NAN, f64::NEG_INFINITY, f64::INFINITY);
    }
    let (l, u) = order_statistic_ranks(n, q, confidence);
    let lower = if l == 0 { f64::NEG_INFINITY } else { sorted[l - 1] };
    let upper = if u > n { f64::INFINITY } else { sorted[u - 1] };
    Interval::new(quantile_sorted(sorted, q), lower, upper)
}

/// `points + 1` evenly spaced type-7 quantiles (value, probability) of an ascending-sorted slice:
/// an ECDF outline whose size does not depend on n (empty for empty input). O(points).
pub fn evenly_spaced_quantiles(sorted: &[f64], points: usize) -> Vec<(f64, f64)> {
    if sorted.is_empty() {
        return Vec::new();
    }
    (0..=points).map(|k| k as f64 / points.max(1) as f64).map(|p| (quantile_sorted(sorted, p), p)).collect()
}
