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
    let (lo, hi, frac) = type7_ranks(n as u64, q);
    interpolate(sorted[lo as usize], sorted[hi as usize], frac)
}

/// The two 0-based ranks the type-7 q-quantile of n > 0 values interpolates between, and the
/// weight of the upper one: h = (n-1) q, floor h, min(floor h + 1, n - 1), h - floor h. Shared by
/// every type-7 estimate (slices, and the histograms of [`super::summary`]).
pub fn type7_ranks(n: u64, q: f64) -> (u64, u64, f64) {
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as u64;
    (lo, (lo + 1).min(n - 1), h - lo as f64)
}

/// `a + frac (b - a)`, and `a` itself at `frac` = 0 (so an infinite `b` does not leak in).
pub fn interpolate(a: f64, b: f64, frac: f64) -> f64 {
    if frac == 0.0 {
        a
    } else {
        a + frac * (b - a)
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

/// Reorders `x` so that [`quantile_sorted`] of it at each of `qs` reads what it would read from
/// `x` sorted (by `f64::total_cmp`): the two order statistics each type-7 quantile interpolates
/// between are put in their sorted positions by nested selections, O(n log k) expected for k
/// positions instead of the sort's O(n log n). Values equal by `total_cmp` have the same bits, so
/// the quantiles are the sorted slice's bit for bit.
pub fn select_for_quantiles(x: &mut [f64], qs: &[f64]) {
    let n = x.len();
    if n == 0 {
        return;
    }
    let mut ranks: Vec<usize> = Vec::with_capacity(2 * qs.len());
    for &q in qs {
        let lo = ((n - 1) as f64 * q.clamp(0.0, 1.0)).floor() as usize;
        ranks.extend([lo, (lo + 1).min(n - 1)]);
    }
    ranks.sort_unstable();
    ranks.dedup();
    select_ranks(x, &ranks);
}

/// Puts the order statistic of each rank in `ranks` (ascending, distinct, below `x.len()`) in
/// its sorted position: select the middle rank, then the lower ranks left of it and the upper
/// ranks right of it.
fn select_ranks(x: &mut [f64], ranks: &[usize]) {
    let Some(&r) = ranks.get(ranks.len() / 2) else {
        return;
    };
    let (lower, upper) = (&ranks[..ranks.len() / 2], &ranks[ranks.len() / 2 + 1..]);
    let (left, _, right) = x.select_nth_unstable_by(r, f64::total_cmp);
    select_ranks(left, lower);
    let shifted: Vec<usize> = upper.iter().map(|&k| k - r - 1).collect();
    select_ranks(right, &shifted);
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

/// The weights w_i = I_{i/n}(a, b) - I_{(i-1)/n}(a, b), i = 1..n, of a Beta(a, b) distribution
/// cut at the grid i/n, kept as the CDF over the window of indices where the Beta has mass: the
/// window starts 8 standard deviations either side of the Beta's mean and widens (doubling its
/// step) until the mass left outside is below 1e-16 on each side, which matters for the skewed
/// Betas of extreme quantiles in small samples. Building it costs about 16 sqrt(n q (1-q))
/// incomplete-beta evaluations for a quantile of a large sample; applying it to a sample, or to a
/// resample given as multiplicities, costs no more evaluations.
#[derive(Debug, Clone)]
pub struct BetaWeights {
    n: usize,
    /// First index (1-based) with weight; the table starts at the CDF at (first - 1)/n.
    first: usize,
    /// cdf[j] = I_{(first - 1 + j)/n}(a, b), j = 0..=last - first + 1, forced to 0 and 1 at the
    /// sample's ends.
    cdf: Vec<f64>,
}

impl BetaWeights {
    pub fn new(n: usize, a: f64, b: f64) -> BetaWeights {
        const TAIL: f64 = 1e-16;
        let at = |i: usize| match i {
            0 => 0.0,
            i if i >= n => 1.0,
            i => statrs::function::beta::beta_reg(a, b, i as f64 / n as f64),
        };
        let mean = a / (a + b);
        let sd = (a * b / ((a + b).powi(2) * (a + b + 1.0))).sqrt();
        let mut first = (((mean - 8.0 * sd).max(0.0) * n as f64).floor() as usize).max(1);
        let mut step = 1;
        while first > 1 && at(first - 1) > TAIL {
            first = first.saturating_sub(step).max(1);
            step *= 2;
        }
        let mut last = (((mean + 8.0 * sd).min(1.0) * n as f64).ceil() as usize).clamp(first, n);
        let mut step = 1;
        while last < n && 1.0 - at(last) > TAIL {
            last = (last + step).min(n);
            step *= 2;
        }
        BetaWeights { n, first, cdf: (first - 1..=last).map(at).collect() }
    }

    /// The CDF at j/n, 0 below the window and 1 above it.
    fn cdf_at(&self, j: usize) -> f64 {
        match j.checked_sub(self.first - 1) {
            None => 0.0,
            Some(k) => self.cdf.get(k).copied().unwrap_or(1.0),
        }
    }

    /// sum_i w_i f(x_(i)) over an ascending-sorted sample of the table's n.
    pub fn apply(&self, sorted: &[f64], f: impl Fn(f64) -> f64) -> f64 {
        debug_assert_eq!(sorted.len(), self.n);
        self.cdf.windows(2).zip(&sorted[self.first - 1..]).map(|(w, x)| (w[1] - w[0]) * f(*x)).sum()
    }

    /// The same sum for a resample of the sorted sample given by cumulative multiplicities:
    /// `cum[i]` is how many resampled values are <= x_(i) in sorted order (cum[0] = 0, cum[n] =
    /// n), so x_(i) fills resample positions cum[i-1]+1 ..= cum[i]. Visits only the sample
    /// values whose positions meet the window. O(log n + window).
    pub fn apply_resample(&self, sorted: &[f64], cum: &[u32]) -> f64 {
        debug_assert_eq!(cum.len(), self.n + 1);
        let last = self.first - 1 + self.cdf.len() - 1;
        // First i whose positions end inside or after the window.
        let start = cum.partition_point(|&c| (c as usize) < self.first).max(1);
        let mut sum = 0.0;
        for i in start..=self.n {
            let (lo, hi) = (cum[i - 1] as usize, cum[i] as usize);
            if lo >= last {
                break;
            }
            if hi > lo {
                sum += (self.cdf_at(hi) - self.cdf_at(lo)) * sorted[i - 1];
            }
        }
        sum
    }
}

/// Harrell-Davis weights for the q-quantile of n values: Beta((n+1)q, (n+1)(1-q)).
pub fn harrell_davis_weights(n: usize, q: f64) -> BetaWeights {
    BetaWeights::new(n, (n + 1) as f64 * q, (n + 1) as f64 * (1.0 - q))
}

/// Harrell-Davis estimate of the q-quantile of an ascending-sorted sample (Harrell & Davis 1982,
/// Biometrika 69; `scipy.stats.mstats.hdquantiles`): sum_i W_i x_(i) with W_i = I_{i/n}(a, b) -
/// I_{(i-1)/n}(a, b), a = (n+1)q, b = (n+1)(1-q). A smooth weighted average of the order
/// statistics near the quantile: more efficient than one order statistic in small samples and
/// with ties. NaN for an empty sample; the single value for n = 1.
pub fn harrell_davis(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    if n == 1 || q <= 0.0 || q >= 1.0 {
        return if q >= 1.0 { sorted[n - 1] } else { sorted[0] };
    }
    harrell_davis_weights(n, q).apply(sorted, |x| x)
}

/// Maritz-Jarrett standard error of the sample q-quantile x_(m), m = floor(n q + 0.5), of an
/// ascending-sorted sample (Maritz & Jarrett 1978, JASA 73; Wilcox 2012, sec. 3.5.3; the
/// definition of `scipy.stats.mstats.mjci`): W_i = I_{i/n}(m-1, n-m) - I_{(i-1)/n}(m-1, n-m),
/// C_k = sum W_i x_(i)^k, se = sqrt(C_2 - C_1^2). NaN when m < 2 or m >= n.
pub fn maritz_jarrett_se(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let m = (q * n as f64 + 0.5).floor() as usize;
    if n < 3 || m < 2 || m >= n {
        return f64::NAN;
    }
    let (a, b) = ((m - 1) as f64, (n - m) as f64);
    // Moments about x_(m): the standard error is shift-invariant and this keeps C_2 - C_1^2 from
    // cancelling catastrophically for large values.
    let centre = sorted[m - 1];
    let w = BetaWeights::new(n, a, b);
    let c1 = w.apply(sorted, |x| x - centre);
    let c2 = w.apply(sorted, |x| (x - centre) * (x - centre));
    (c2 - c1 * c1).max(0.0).sqrt()
}

/// `points + 1` evenly spaced type-7 quantiles (value, probability) of an ascending-sorted slice:
/// an ECDF outline whose size does not depend on n (empty for empty input). O(points).
pub fn evenly_spaced_quantiles(sorted: &[f64], points: usize) -> Vec<(f64, f64)> {
    if sorted.is_empty() {
        return Vec::new();
    }
    evenly_spaced(points, |p| quantile_sorted(sorted, p))
}

/// (quantile(p), p) at p = k / points, k = 0..=points.
pub fn evenly_spaced(points: usize, quantile: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
    (0..=points).map(|k| k as f64 / points.max(1) as f64).map(|p| (quantile(p), p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// After the selections, each type-7 quantile is the sorted slice's, bit for bit, with
        /// ties, signed zeros and NaN among the values.
        #[test]
        fn selected_quantiles_are_the_sorted_ones(
            picks in proptest::collection::vec(0usize..12, 0..300),
            qs in proptest::collection::vec(0.0f64..=1.0, 1..12),
        ) {
            let pool = [0.0, -0.0, 1.5, 1.5, 2.0, 3.25, 1e9, f64::NAN, 7.0, 0.1, 42.0, 3.25];
            let mut x: Vec<f64> = picks.iter().map(|&p| pool[p]).collect();
            let mut s = x.clone();
            s.sort_by(f64::total_cmp);
            let mut all = qs.clone();
            all.extend([0.0, 1.0, 0.5]);
            select_for_quantiles(&mut x, &all);
            for q in all {
                prop_assert_eq!(quantile_sorted(&x, q).to_bits(), quantile_sorted(&s, q).to_bits(), "q = {}", q);
            }
        }
    }

    #[test]
    fn selection_puts_every_asked_rank_in_place_and_nothing_else_is_promised() {
        // 0..20 reversed: after selecting ranks 3, 10 and 19, those positions hold 3, 10 and 19.
        let mut x: Vec<f64> = (0..20).rev().map(f64::from).collect();
        select_ranks(&mut x, &[3, 10, 19]);
        assert_eq!((x[3], x[10], x[19]), (3.0, 10.0, 19.0));
        // Type-7 at 0.5 of 20 values reads positions 9 and 10.
        let mut y: Vec<f64> = (0..20).rev().map(f64::from).collect();
        select_for_quantiles(&mut y, &[0.5]);
        assert_eq!((y[9], y[10], quantile_sorted(&y, 0.5)), (9.0, 10.0, 9.5));
        select_for_quantiles(&mut [], &[0.5]);
    }

    #[test]
    fn an_upper_rank_beyond_the_sample_means_no_finite_bound() {
        // n = 10, q = 0.99: Binom(10, 0.99).ppf(0.975) = 10, so u = 11 = n + 1.
        assert_eq!(order_statistic_ranks(10, 0.99, 0.95), (9, 11));
        let ci = quantile_with_ci(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.99, 0.95);
        assert_eq!(ci.upper, f64::INFINITY);
        assert_eq!(ci.lower, 9.0);
    }

    #[test]
    fn harrell_davis_at_the_ends_is_the_extreme_and_of_one_value_that_value() {
        let x = [1.0, 2.0, 4.0, 8.0, 16.0];
        assert_eq!(harrell_davis(&x, 0.0), 1.0);
        assert_eq!(harrell_davis(&x, -0.5), 1.0);
        assert_eq!(harrell_davis(&x, 1.0), 16.0);
        assert_eq!(harrell_davis(&x, 1.5), 16.0);
        assert_eq!(harrell_davis(&[7.0], 0.3), 7.0);
        assert!(harrell_davis(&[], 0.5).is_nan());
    }

    #[test]
    fn maritz_jarrett_is_undefined_outside_two_to_n_minus_one() {
        // m = floor(n q + 0.5) must satisfy 2 <= m <= n - 1 (the Beta(m - 1, n - m) weights).
        let x = [3.0, 1.0, 4.0, 1.5, 9.0, 2.6, 5.3, 5.8, 9.7, 9.3];
        let mut s = x;
        s.sort_by(f64::total_cmp);
        assert!(maritz_jarrett_se(&s, 0.1).is_nan(), "m = 1");
        assert!(maritz_jarrett_se(&s, 0.15).is_finite(), "m = 2");
        assert!(maritz_jarrett_se(&s, 0.9).is_finite(), "m = n - 1");
        assert!(maritz_jarrett_se(&s, 0.97).is_nan(), "m = n");
        assert!(maritz_jarrett_se(&[1.0, 2.0], 0.5).is_nan(), "n = 2");
        assert!(maritz_jarrett_se(&[1.0, 2.0, 4.0], 0.5).is_finite(), "n = 3, m = 2");
    }

    #[test]
    fn evenly_spaced_quantiles_outline_the_ecdf() {
        let s = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(evenly_spaced_quantiles(&s, 4), vec![(1.0, 0.0), (2.0, 0.25), (3.0, 0.5), (4.0, 0.75), (5.0, 1.0)]);
        assert_eq!(evenly_spaced_quantiles(&s, 8)[3], (2.5, 0.375));
        assert_eq!(evenly_spaced_quantiles(&s, 0), vec![(1.0, 0.0)]);
        assert!(evenly_spaced_quantiles(&[], 4).is_empty());
    }

    #[test]
    fn order_statistic_coverage_is_the_binomial_mass_between_the_ranks() {
        // SciPy: binom.cdf(8, 10, 0.5) - binom.cdf(1, 10, 0.5) = 1002/1024.
        assert!((order_statistic_coverage(10, 0.5, 2, 9) - 0.978515625).abs() < 1e-15);
        // Rank 0 has no order statistic below: F(-1) = 0; u = 0 covers nothing.
        assert!((order_statistic_coverage(10, 0.5, 0, 10) - 0.9990234375).abs() < 1e-15);
        assert_eq!(order_statistic_coverage(10, 0.5, 0, 0), 0.0);
    }

    #[test]
    fn selection_at_an_exact_rank_ignores_the_next_value() {
        // q = 0 is exactly rank 1: the infinite next value must not enter (0 * inf is NaN).
        assert_eq!(quantile_select(&mut [f64::INFINITY, 1.0], 0.0), 1.0);
        assert_eq!(quantile_sorted(&[1.0, f64::INFINITY], 0.0), 1.0);
        assert_eq!(quantile_select(&mut [3.0, 1.0, 2.0], 0.75), 2.5);
    }
}
