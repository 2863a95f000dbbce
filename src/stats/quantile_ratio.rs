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
    // The quantile of the sample with position j (0-based) deleted.
    let without = |j: usize| {
        let h = (n - 2) as f64 * q;
        let lo = h.floor() as usize;
        let f = h - lo as f64;
        let at = |i: usize| if i < j { sorted[i] } else { sorted[(i + 1).min(n - 1)] };
        let a = at(lo);
        let b = at((lo + 1).min(n - 2));
        (a + f * (b - a)).ln()
    };
    let lo = ((n - 2) as f64 * q).floor() as usize;
    // Positions that matter: lo and lo + 1 of the reduced sample come from positions lo..=lo+2.
    let first = lo;
    let last = (lo + 2).min(n - 1);
    let mut out = Vec::new();
    if first > 0 {
        out.push((without(0), first as f64));
    }
    for j in first..=last {
        out.push((without(j), 1.0));
    }
    if last + 1 < n {
        out.push((without(n - 1), (n - 1 - last) as f64));
    }
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
