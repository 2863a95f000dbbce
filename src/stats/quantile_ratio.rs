//! Intervals for the ratio Q_q(V2) / Q_q(V1) of two independent samples' quantiles (canary mode:
//! V1 and V2 served different requests), built from per-version pieces so that a large V1 is
//! summarised once and combined with any V2.
//!
//! shadowgate's canary quantile-ratio intervals are [`bca_quantile_ratio`]: the narrowest of the
//! candidates compared in docs/statistics.md ("Canary intervals") whose coverage stayed within
//! 94-96% at every V2 size from 2,000 to 50,000 and every quantile from p50 to p99. The candidates:
//! - [`bootstrap_log_quantiles`]: the percentile bootstrap per version with independent
//!   resamples (Efron & Tibshirani 1993, ch. 13), and [`bca_log_ratio`], its bias-corrected and
//!   accelerated form (Efron 1987; E&T ch. 14). A bootstrap replicate of a quantile is drawn
//!   without materialising the resample: the order statistics of n draws from the empirical
//!   distribution are F_n^-1 of the order statistics of n uniforms, and U_(k) ~ Beta(k, n+1-k).
//!   Each replicate costs O(1) whatever n is, and is exactly a draw of the ordinary bootstrap.
//! - [`mover_log_ratio`]: distribution-free order-statistic intervals per version
//!   ([`super::quantile::quantile_with_ci`]) combined on the log scale by the MOVER of Zou &
//!   Donner (2008).
//! - [`super::quantile::maritz_jarrett_se`]: the Maritz & Jarrett (1978) standard error of a sample quantile,
//!   combined on the log scale as a normal interval ([`normal_log_ratio`]).

use super::quantile::quantile_sorted;
use super::resample::RatioInterval;
use super::{normal_cdf, normal_quantile, z_two_sided, Interval};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution};
use rayon::prelude::*;

/// x_(i) for the uniform order statistic u: F_n^-1(u) = x_(ceil(n u)) (1-based), clamped to the
/// sample.
fn inverse_ecdf(sorted: &[f64], u: f64) -> f64 {
    let n = sorted.len();
    let i = (n as f64 * u).ceil() as usize;
    sorted[i.clamp(1, n) - 1]
}

/// One bootstrap replicate of the type-7 q-quantile of an ascending-sorted sample: the quantile of
/// n draws with replacement, drawn in O(1). With h = (n-1)q, k = floor(h) + 1 and f = h - floor(h),
/// the resample's quantile is x*_(k) + f (x*_(k+1) - x*_(k)); U_(k) ~ Beta(k, n+1-k) and, given it,
/// U_(k+1) = U_(k) + (1 - U_(k)) V with V ~ Beta(1, n-k) (the smallest of the n-k uniforms above).
/// NaN for an empty sample.
pub fn bootstrap_quantile_draw<R: Rng + ?Sized>(sorted: &[f64], q: f64, rng: &mut R) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    if n == 1 {
        return sorted[0];
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let k = h.floor() as usize + 1;
    let f = h - (k - 1) as f64;
    let u_k = match Beta::new(k as f64, (n + 1 - k) as f64) {
        Ok(b) => b.sample(rng),
        Err(_) => return f64::NAN,
    };
    let a = inverse_ecdf(sorted, u_k);
    if f == 0.0 || k >= n {
        return a;
    }
    // V ~ Beta(1, m) = 1 - W^(1/m) for W uniform on (0, 1].
    let m = (n - k) as f64;
    let w: f64 = 1.0 - rng.gen::<f64>();
    let v = -(w.ln() / m).exp_m1();
    let b = inverse_ecdf(sorted, u_k + (1.0 - u_k) * v);
    a + f * (b - a)
}

/// `replicates` bootstrap replicates of ln Q_q of one sample (ascending-sorted, positive values),
/// replicate r from the ChaCha8 stream (seed, r + 1), so the draws do not depend on the thread
/// count. Two versions drawn with different seeds are independent resamples.
pub fn bootstrap_log_quantiles(sorted: &[f64], q: f64, replicates: usize, seed: u64) -> Vec<f64> {
    (0..replicates)
        .into_par_iter()
        .map(|r| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(r as u64 + 1);
            bootstrap_quantile_draw(sorted, q, &mut rng).ln()
        })
        .collect()
}

/// Percentile interval of ln(Q2/Q1) from independent per-version replicates (`d1`, `d2`, both
/// ln Q*): the a/2 and 1-a/2 type-7 quantiles of d2[r] - d1[r]. Returns (lower, upper) on the
/// log scale; NaN when fewer than half the replicates are finite.
pub fn percentile_log_ratio(d1: &[f64], d2: &[f64], confidence: f64) -> (f64, f64) {
    let mut diffs = finite_diffs(d1, d2);
    if diffs.len() < d1.len().min(d2.len()) / 2 || diffs.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    super::sort_in_place(&mut diffs);
    let a = 1.0 - confidence;
    (quantile_sorted(&diffs, a / 2.0), quantile_sorted(&diffs, 1.0 - a / 2.0))
}

fn finite_diffs(d1: &[f64], d2: &[f64]) -> Vec<f64> {
    d1.iter().zip(d2).map(|(a, b)| b - a).filter(|d| d.is_finite()).collect()
}

/// Jackknife values of ln Q_q (type 7) for an ascending-sorted sample, as (value, multiplicity):
/// deleting any observation below the two order statistics the quantile interpolates gives one
/// value, deleting any above gives another, and each of the two gives its own. O(1).
fn jackknife_log_quantile(sorted: &[f64], q: f64) -> Vec<(f64, f64)> {
    let n = sorted.len();
    if n < 3 {
        return Vec::new();
    }
    let q = q.clamp(0.0, 1.0);
    // The quantile of the sample with position j (0-based) deleted; i <= n - 2 below.
    let without = |j: usize| {
        let h = (n - 2) as f64 * q;
        let lo = h.floor() as usize;
        let f = h - lo as f64;
        let at = |i: usize| if i < j { sorted[i] } else { sorted[i + 1] };
        let a = at(lo);
        let b = at((lo + 1).min(n - 2));
        (a + f * (b - a)).ln()
    };
    let lo = ((n - 2) as f64 * q).floor() as usize;
    // Positions that matter: lo and lo + 1 of the reduced sample come from positions lo..=lo+2.
    // Deleting any of the lo positions below them gives without(0), any above without(n - 1)
    // (either group can be empty: multiplicity 0).
    let last = (lo + 2).min(n - 1);
    let mut out = vec![(without(0), lo as f64)];
    out.extend((lo..=last).map(|j| (without(j), 1.0)));
    out.push((without(n - 1), (n - 1 - last) as f64));
    out
}

/// Bias-corrected and accelerated (BCa) interval of ln(Q2/Q1) from independent per-version
/// replicates (Efron 1987; Efron & Tibshirani 1993, ch. 14). z0 = Phi^-1(share of replicates below
/// the estimate, ties counted half); the acceleration combines both samples' jackknife influence
/// values: a = sum_j sum_i U_ji^3 / n_j^3 / (6 (sum_j sum_i U_ji^2 / n_j^2)^(3/2)) (Efron 1987,
/// sec. 6, for several independent samples), with U_ji = (n_j - 1)(mean jackknife - jackknife i)
/// and the V1 influence entering with a minus sign. Returns (lower, upper) on the log scale.
pub fn bca_log_ratio(s1: &[f64], s2: &[f64], q: f64, d1: &[f64], d2: &[f64], confidence: f64) -> (f64, f64) {
    // ln Q2 - ln Q1 exactly as the replicates are formed, so that a replicate equal to the
    // estimate (common for quantiles: both resamples hit the same order statistics) counts as a tie.
    let est = quantile_sorted(s2, q).ln() - quantile_sorted(s1, q).ln();
    let mut diffs = finite_diffs(d1, d2);
    if diffs.len() < d1.len().min(d2.len()) / 2 || diffs.is_empty() || !est.is_finite() {
        return (f64::NAN, f64::NAN);
    }
    super::sort_in_place(&mut diffs);
    let below = diffs.iter().filter(|&&d| d < est).count() as f64;
    let equal = diffs.iter().filter(|&&d| d == est).count() as f64;
    let z0 = normal_quantile((below + 0.5 * equal) / diffs.len() as f64);
    let (mut num, mut den) = (0.0, 0.0);
    for (s, sign) in [(s1, -1.0), (s2, 1.0)] {
        let n = s.len() as f64;
        let jack = jackknife_log_quantile(s, q);
        // Every jackknife value equal (dense ties): no influence, and no rounding noise either.
        if jack.iter().all(|(v, _)| *v == jack[0].0) {
            continue;
        }
        let mean = jack.iter().map(|(v, m)| v * m).sum::<f64>() / n;
        for (v, m) in jack {
            let u = sign * (n - 1.0) * (mean - v);
            num += m * u.powi(3) / n.powi(3);
            den += m * u * u / (n * n);
        }
    }
    let acc = if den > 0.0 { num / (6.0 * den.powf(1.5)) } else { 0.0 };
    if !z0.is_finite() || !acc.is_finite() {
        return (f64::NAN, f64::NAN);
    }
    let z = z_two_sided(confidence);
    let adjusted = |zz: f64| normal_cdf(z0 + (z0 + zz) / (1.0 - acc * (z0 + zz)));
    (quantile_sorted(&diffs, adjusted(-z)), quantile_sorted(&diffs, adjusted(z)))
}

/// MOVER interval of ln(Q2/Q1) from each version's own interval for its quantile (estimate and
/// bounds, positive): with theta = ln Q2 - ln Q1,
/// L = theta - sqrt((ln Q2 - ln l2)^2 + (ln u1 - ln Q1)^2), U = theta + sqrt((ln u2 - ln Q2)^2 +
/// (ln Q1 - ln l1)^2) (Zou & Donner 2008, "Construction of confidence limits about effect measures:
/// a general approach", Stat Med 27). Infinite per-version bounds give infinite bounds.
pub fn mover_log_ratio(i1: Interval, i2: Interval) -> (f64, f64) {
    let (t1, t2) = (i1.estimate.ln(), i2.estimate.ln());
    let theta = t2 - t1;
    let lower = theta - ((t2 - i2.lower.ln()).powi(2) + (i1.upper.ln() - t1).powi(2)).sqrt();
    let upper = theta + ((i2.upper.ln() - t2).powi(2) + (t1 - i1.lower.ln()).powi(2)).sqrt();
    (lower, upper)
}

/// Normal interval of ln(Q2/Q1) from each version's quantile estimate and the standard error of
/// that estimate (delta method: se(ln Q) = se(Q) / Q, independent versions add in variance).
pub fn normal_log_ratio(q1: f64, se1: f64, q2: f64, se2: f64, confidence: f64) -> (f64, f64) {
    let theta = (q2 / q1).ln();
    let se = ((se1 / q1).powi(2) + (se2 / q2).powi(2)).sqrt();
    let z = z_two_sided(confidence);
    (theta - z * se, theta + z * se)
}

/// Bootstrap replicates per version for [`bca_quantile_ratio`]: each costs O(1), so enough that the
/// interval's Monte Carlo error is small next to its width.
pub const CANARY_REPLICATES: usize = 4_000;

/// V2/V1 ratio of the type-7 q-quantiles of two independent ascending-sorted samples with its BCa
/// interval ([`bca_log_ratio`] over [`CANARY_REPLICATES`] independent replicates per version, V1's
/// drawn with seed `seed ^ V1_SALT`, V2's with `seed ^ V2_SALT`). O(B) after the sorts, whatever the
/// sample sizes; the same for any thread count.
pub fn bca_quantile_ratio(s1: &[f64], s2: &[f64], q: f64, confidence: f64, seed: u64) -> RatioInterval {
    let est = quantile_sorted(s2, q) / quantile_sorted(s1, q);
    let undefined = RatioInterval { interval: Interval::new(est, f64::NAN, f64::NAN), method: "bootstrap-bca", resamples: 0 };
    if s1.len() < 3 || s2.len() < 3 || !est.is_finite() || est <= 0.0 {
        return undefined;
    }
    let (d1, d2) = rayon::join(
        || bootstrap_log_quantiles(s1, q, CANARY_REPLICATES, seed ^ super::resample::V1_SALT),
        || bootstrap_log_quantiles(s2, q, CANARY_REPLICATES, seed ^ super::resample::V2_SALT),
    );
    let (lo, hi) = bca_log_ratio(s1, s2, q, &d1, &d2, confidence);
    if !(lo.is_finite() && hi.is_finite()) {
        return undefined;
    }
    RatioInterval { interval: Interval::new(est, lo.exp(), hi.exp()), method: "bootstrap-bca", resamples: CANARY_REPLICATES }
}

#[cfg(test)]
mod tests {
    //! The O(1) bootstrap draw against the bootstrap distribution enumerated in full (all n^n
    //! resamples of a tiny sample, each sorted and its type-7 quantile taken), its random streams
    //! and its edges. The distribution at exact order statistics and the interpolated mean are
    //! also checked against SciPy in src/stats/tests.rs.
    use super::*;

    /// The exact bootstrap distribution of the type-7 q-quantile of `x`: (value, probability)
    /// sorted by value, equal values merged.
    fn enumerated(x: &[f64], q: f64) -> Vec<(f64, f64)> {
        let n = x.len();
        let total = n.pow(n as u32);
        let mut values: Vec<f64> = (0..total)
            .map(|code| {
                let mut c = code;
                let mut r: Vec<f64> = (0..n)
                    .map(|_| {
                        let i = c % n;
                        c /= n;
                        x[i]
                    })
                    .collect();
                r.sort_by(f64::total_cmp);
                quantile_sorted(&r, q)
            })
            .collect();
        values.sort_by(f64::total_cmp);
        let mut out: Vec<(f64, f64)> = Vec::new();
        for v in values {
            match out.last_mut() {
                Some((last, p)) if *last == v => *p += 1.0 / total as f64,
                _ => out.push((v, 1.0 / total as f64)),
            }
        }
        out
    }

    #[test]
    fn interpolated_draws_follow_the_enumerated_bootstrap_distribution() {
        const DRAWS: usize = 100_000;
        // Dvoretzky-Kiefer-Wolfowitz: the ECDF of the draws is within this of the true CDF
        // everywhere, except with probability 1e-6.
        let dkw = ((2.0f64 / 1e-6).ln() / (2.0 * DRAWS as f64)).sqrt();
        let five = [1.0, 2.0, 4.0, 50.0, 51.0];
        for (x, q) in [(&five[..3], 0.75), (&five[..3], 0.25), (&five[..], 0.3), (&five[..], 0.9), (&five[..], 0.5), (&five[..], 1.0)] {
            let exact = enumerated(x, q);
            let mut rng = ChaCha8Rng::seed_from_u64(3);
            let mut draws: Vec<f64> = (0..DRAWS).map(|_| bootstrap_quantile_draw(x, q, &mut rng)).collect();
            draws.sort_by(f64::total_cmp);
            // Every draw is a value some resample gives (the same arithmetic, so bit for bit).
            let support: Vec<f64> = exact.iter().map(|e| e.0).collect();
            for d in draws.iter().step_by(97) {
                assert!(support.binary_search_by(|s| s.total_cmp(d)).is_ok(), "x = {x:?}, q = {q}: {d} is no resample's quantile");
            }
            let mut cdf = 0.0;
            let mut worst: f64 = 0.0;
            for (v, p) in &exact {
                cdf += p;
                let below = draws.partition_point(|d| d <= v) as f64 / DRAWS as f64;
                worst = worst.max((below - cdf).abs());
            }
            assert!(worst <= dkw, "x = {x:?}, q = {q}: sup |ECDF - exact| = {worst:.5} > {dkw:.5}");
        }
    }

    #[test]
    fn draws_at_the_edges() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert!(bootstrap_quantile_draw(&[], 0.5, &mut rng).is_nan());
        assert_eq!(bootstrap_quantile_draw(&[7.0], 0.5, &mut rng), 7.0);
        // q outside [0, 1] is clamped: the resample's minimum or maximum, always a sample value.
        for q in [-0.5, 1.5] {
            let v = bootstrap_quantile_draw(&[1.0, 2.0, 3.0], q, &mut rng);
            assert!([1.0, 2.0, 3.0].contains(&v), "q = {q}: {v}");
        }
        assert_eq!(inverse_ecdf(&[1.0, 2.0, 3.0], 0.0), 1.0);
        assert_eq!(inverse_ecdf(&[1.0, 2.0, 3.0], 1.0 / 3.0), 1.0);
        assert_eq!(inverse_ecdf(&[1.0, 2.0, 3.0], 0.34), 2.0);
        assert_eq!(inverse_ecdf(&[1.0, 2.0, 3.0], 1.0), 3.0);
    }

    /// The percentile interval: the type-7 quantiles (NumPy's default `np.percentile`) of the
    /// finite replicate differences, worked out by hand here.
    #[test]
    fn percentile_interval_of_the_finite_replicate_differences() {
        let d1 = [0.5; 5];
        let d2 = [1.5, 2.5, 3.5, 4.5, 5.5]; // differences 1, 2, 3, 4, 5
        assert_eq!(percentile_log_ratio(&d1, &d2, 0.5), (2.0, 4.0));
        let (lo, hi) = percentile_log_ratio(&d1, &d2, 0.9); // positions 0.2 and 3.8
        assert!((lo - 1.2).abs() < 1e-12 && (hi - 4.8).abs() < 1e-12, "90%: ({lo}, {hi})");
        // Non-finite replicates are left out while at least half (rounded down) are finite.
        let nan = f64::NAN;
        assert_eq!(percentile_log_ratio(&d1, &[1.5, 2.5, nan, f64::INFINITY, 5.5], 0.5), (1.5, 3.5), "1, 2, 5");
        assert_eq!(percentile_log_ratio(&d1, &[1.5, nan, nan, nan, 5.5], 0.5), (2.0, 4.0), "1 and 5: two of five is enough");
        let none = |d2: &[f64]| {
            let (lo, hi) = percentile_log_ratio(&d1, d2, 0.5);
            lo.is_nan() && hi.is_nan()
        };
        assert!(none(&[1.5, nan, nan, nan, nan]), "one of five");
        assert!(none(&[nan; 5]) && percentile_log_ratio(&[], &[], 0.5).0.is_nan(), "none");
    }

    /// The grouped O(1) jackknife against the brute-force one: every leave-one-out sample built,
    /// sorted and its type-7 quantile taken, for every position.
    #[test]
    fn grouped_jackknife_is_the_brute_force_jackknife() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for n in [3usize, 4, 5, 10, 57] {
            // whole numbers from a small range: ties at and around the quantile are common
            let mut x: Vec<f64> = (0..n).map(|_| f64::from(rng.gen_range(1..20u32))).collect();
            x.sort_by(f64::total_cmp);
            // outside [0, 1] clamped, as quantile_sorted does
            for q in [-0.2, 0.0, 0.1, 0.5, 0.77, 0.95, 0.99, 1.0, 1.3] {
                let mut brute: Vec<f64> = (0..n)
                    .map(|j| {
                        let rest: Vec<f64> = x.iter().enumerate().filter(|&(i, _)| i != j).map(|(_, v)| *v).collect();
                        quantile_sorted(&rest, q).ln()
                    })
                    .collect();
                brute.sort_by(f64::total_cmp);
                let grouped = jackknife_log_quantile(&x, q);
                assert_eq!(grouped.iter().map(|g| g.1).sum::<f64>(), n as f64, "n = {n}, q = {q}: multiplicities");
                let mut expanded: Vec<f64> = grouped.iter().flat_map(|&(v, m)| std::iter::repeat_n(v, m as usize)).collect();
                expanded.sort_by(f64::total_cmp);
                for (a, b) in expanded.iter().zip(&brute) {
                    assert!((a - b).abs() <= 1e-15 * b.abs().max(1.0), "n = {n}, q = {q}: {expanded:?} vs {brute:?}");
                }
            }
        }
        assert!(jackknife_log_quantile(&[1.0, 2.0], 0.5).is_empty(), "fewer than three values: no jackknife");
    }

    /// The canary interval is BCa over CANARY_REPLICATES replicates per version, V1's on the seed
    /// xor V1_SALT and V2's on the seed xor V2_SALT (BCa itself is checked against SciPy in
    /// src/stats/tests.rs); fewer than three values, or a quantile of 0, give no interval.
    #[test]
    fn canary_interval_is_bca_over_each_versions_own_replicates() {
        use crate::stats::resample::{V1_SALT, V2_SALT};
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let mut s1: Vec<f64> = (0..400).map(|_| 50.0 + 100.0 * rng.gen::<f64>().powi(2)).collect();
        let mut s2: Vec<f64> = (0..150).map(|_| 55.0 + 110.0 * rng.gen::<f64>().powi(2)).collect();
        s1.sort_by(f64::total_cmp);
        s2.sort_by(f64::total_cmp);
        let seed = (1u64 << 40) | 3;
        for (q, confidence) in [(0.5, 0.95), (0.95, 0.9)] {
            let r = bca_quantile_ratio(&s1, &s2, q, confidence, seed);
            assert_eq!((r.method, r.resamples), ("bootstrap-bca", CANARY_REPLICATES));
            let d1 = bootstrap_log_quantiles(&s1, q, CANARY_REPLICATES, seed ^ V1_SALT);
            let d2 = bootstrap_log_quantiles(&s2, q, CANARY_REPLICATES, seed ^ V2_SALT);
            let (lo, hi) = bca_log_ratio(&s1, &s2, q, &d1, &d2, confidence);
            assert_eq!(r.interval.estimate, quantile_sorted(&s2, q) / quantile_sorted(&s1, q));
            assert_eq!((r.interval.lower, r.interval.upper), (lo.exp(), hi.exp()), "q = {q}");
            assert!(r.interval.lower < r.interval.estimate && r.interval.estimate < r.interval.upper);
        }
        let none = |a: &[f64], b: &[f64]| {
            let r = bca_quantile_ratio(a, b, 0.5, 0.95, 1);
            r.interval.lower.is_nan() && r.interval.upper.is_nan() && r.resamples == 0 && r.method == "bootstrap-bca"
        };
        assert!(none(&s1[..2], &s2) && none(&s1, &s2[..2]), "two values");
        assert!(!none(&s1[..3], &s2[..3]), "three values are enough");
        assert!(none(&[0.0; 5], &s2) && none(&s1, &[0.0; 5]), "a median of 0: ratio infinite or 0");
        let zero = bca_quantile_ratio(&s1, &[0.0; 5], 0.5, 0.95, 1);
        assert_eq!(zero.interval.estimate, 0.0, "the estimate is kept");
    }

    /// BCa's guards: more than half of the replicates finite, a finite estimate; with every value
    /// equal the jackknife has no influence (acceleration 0) and every replicate ties the estimate.
    #[test]
    fn bca_guards_and_constant_samples() {
        let s1: Vec<f64> = (1..=20).map(f64::from).collect();
        let s2: Vec<f64> = (1..=20).map(|i| f64::from(i) * 1.1).collect();
        let d1 = vec![0.0; 10];
        // replicate differences around the estimate ln 1.1
        let mut d2: Vec<f64> = (0..10).map(|i| 1.1f64.ln() - 0.05 + 0.01 * f64::from(i)).collect();
        assert!(bca_log_ratio(&s1, &s2, 0.5, &d1, &d2, 0.9).0.is_finite());
        for i in [0, 2, 4, 6, 8] {
            d2[i] = f64::NAN;
        }
        assert!(bca_log_ratio(&s1, &s2, 0.5, &d1, &d2, 0.9).0.is_finite(), "five of ten finite");
        d2[1] = f64::NAN;
        assert!(bca_log_ratio(&s1, &s2, 0.5, &d1, &d2, 0.9).0.is_nan(), "four of ten");
        assert!(bca_log_ratio(&s1, &s2, 0.5, &[], &[], 0.9).0.is_nan(), "no replicates");
        let mut z = s1.clone();
        z[..15].fill(0.0);
        assert!(bca_log_ratio(&z, &s2, 0.5, &d1, &d1, 0.9).1.is_nan(), "V1 median 0");
        // Every replicate above the estimate: z0 = -infinity, no interval.
        let above: Vec<f64> = (0..10).map(|i| 1.1f64.ln() + 0.01 * f64::from(i + 1)).collect();
        let (lo, hi) = bca_log_ratio(&s1, &s2, 0.5, &d1, &above, 0.9);
        assert!(lo.is_nan() && hi.is_nan(), "all above: ({lo}, {hi})");
        // Constant samples: every jackknife value equal, so the acceleration is 0 and BCa is the
        // bias-corrected percentile interval (z0 = 0 here: the replicates are symmetric about the
        // estimate). For nine fives at q = 0.9 the weighted mean of the nine equal jackknife values
        // rounds 2e-16 away from them; without the guard that noise gave an acceleration of
        // 1 / (6 sqrt(9)).
        let (c1, c2) = ([5.0; 9], [6.0; 9]);
        let est = 6.0f64.ln() - 5.0f64.ln();
        let zeros = vec![0.0; 101];
        let spread: Vec<f64> = (0..101).map(|i| est + f64::from(i - 50) * 0.002).collect();
        let z = crate::stats::z_two_sided(0.95);
        let want = (quantile_sorted(&spread, normal_cdf(-z)), quantile_sorted(&spread, normal_cdf(z)));
        assert_eq!(bca_log_ratio(&c1, &c2, 0.9, &zeros, &spread, 0.95), want);
        assert_eq!(bca_log_ratio(&c1, &c2, 0.9, &zeros, &[est; 100], 0.95), (est, est), "every replicate ties");
    }

    /// Replicate r is one draw on ChaCha8 stream r + 1 of the seed, whatever the thread count.
    #[test]
    fn replicate_r_is_one_draw_on_stream_r_plus_one() {
        let x: Vec<f64> = (1..=50).map(|i| f64::from(i * i)).collect();
        let d = bootstrap_log_quantiles(&x, 0.9, 7, 42);
        assert_eq!(d.len(), 7);
        for (r, v) in d.iter().enumerate() {
            let mut g = ChaCha8Rng::seed_from_u64(42);
            g.set_stream(r as u64 + 1);
            assert_eq!(*v, bootstrap_quantile_draw(&x, 0.9, &mut g).ln(), "replicate {r}");
        }
        assert!(d.windows(2).any(|w| w[0] != w[1]), "replicates differ");
    }
}
