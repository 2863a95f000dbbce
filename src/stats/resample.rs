//! Confidence intervals for V2/V1 ratios of a quantile or a mean, paired (shadow mode: both
//! versions served the same requests) or unpaired (canary mode).

use super::quantile::{quantile_select, quantile_sorted};
use super::{sorted, variance, z_two_sided, Interval};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// At or below this many observations (per version) quantile-ratio intervals use the bootstrap;
/// above it, batch means.
pub const BOOTSTRAP_MAX_N: usize = 20_000;
/// Bootstrap replicates.
pub const BOOTSTRAP_REPLICATES: usize = 2_000;
/// Number of random batches for the batch-means interval.
pub const BATCHES: usize = 50;
/// Salts of V1's and V2's random streams (batch assignment, canary bootstrap), so the two
/// versions never draw from the same stream of one seed.
pub const V1_SALT: u64 = 0x5151;
pub const V2_SALT: u64 = 0xA2A2;

/// A ratio with its interval and the method that produced the interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RatioInterval {
    #[serde(flatten)]
    pub interval: Interval,
    /// "bootstrap-percentile", "batch-means" or "delta-method".
    pub method: &'static str,
    /// Replicates (bootstrap) or batches (batch means); 0 for the delta method.
    pub resamples: usize,
}

/// Splitmix64 finalizer: a fast, well-mixed hash of a 64-bit value (Steele et al. 2014).
pub(crate) fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Student-t two-sided critical value with `dof` degrees of freedom.
fn t_two_sided(confidence: f64, dof: f64) -> f64 {
    StudentsT::new(0.0, 1.0, dof).map_or(f64::NAN, |t| t.inverse_cdf(1.0 - (1.0 - confidence) / 2.0))
}

/// Confidence interval for Q_q(v2) / Q_q(v1) (type-7 quantiles).
///
/// `paired = true` means `v1[i]` and `v2[i]` are the same request (shadow mode) and resampling
/// keeps pairs together, so the correlation between the versions narrows the interval; `paired =
/// false` treats the samples as independent (canary mode).
///
/// Unpaired, the interval is [`super::quantile_ratio::bca_quantile_ratio`] (BCa bootstrap per
/// version, O(B) from the sorted samples at any size). Paired, the method is chosen by size and
/// stated in the result:
/// - n <= [`BOOTSTRAP_MAX_N`]: percentile bootstrap (Efron & Tibshirani 1993, ch. 13) with
///   [`BOOTSTRAP_REPLICATES`] replicates. Cost O(B n), parallel over replicates.
/// - larger n: batch means over random splits (Schmeiser 1982; the "random groups" variance
///   estimator of Wolter 2007, ch. 2): observations are assigned to [`BATCHES`] batches by a seeded
///   hash, the log ratio is computed in each batch, and the interval is
///   log R_hat +- t_{K-1} sd(batch log ratios) / sqrt(K). Cost O(n), parallel over batches.
///
/// Replicate r (or the batch assignment) draws from a ChaCha8 stream keyed by (seed, r), so the
/// result does not depend on the thread count.
pub fn quantile_ratio(v1: &[f64], v2: &[f64], q: f64, paired: bool, confidence: f64, seed: u64) -> RatioInterval {
    quantile_ratios(v1, v2, &[q], paired, confidence, seed)[0]
}

/// [`quantile_ratio`] for several quantiles at once: each sample is sorted once for all point
/// estimates (instead of once per quantile), and quantile `qs[i]` uses seed `seed + i`, so the
/// result for each quantile equals a separate [`quantile_ratio`] call with that seed.
pub fn quantile_ratios(v1: &[f64], v2: &[f64], qs: &[f64], paired: bool, confidence: f64, seed: u64) -> Vec<RatioInterval> {
    let (s1, s2) = rayon::join(|| sorted(v1), || sorted(v2));
    quantile_ratios_sorted(v1, v2, &s1, &s2, qs, paired, confidence, seed)
}

/// [`quantile_ratios`] for a caller that already has `v1` and `v2` sorted (`s1`, `s2`: the same
/// values in ascending order), which saves both sorts.
#[allow(clippy::too_many_arguments)]
pub fn quantile_ratios_sorted(
    v1: &[f64],
    v2: &[f64],
    s1: &[f64],
    s2: &[f64],
    qs: &[f64],
    paired: bool,
    confidence: f64,
    seed: u64,
) -> Vec<RatioInterval> {
    debug_assert!(s1.len() == v1.len() && s2.len() == v2.len());
    if !paired {
        // Independent samples: the BCa bootstrap per version, O(B) from the sorted samples.
        return qs
            .iter()
            .enumerate()
            .map(|(i, &q)| super::quantile_ratio::bca_quantile_ratio(s1, s2, q, confidence, seed.wrapping_add(i as u64)))
            .collect();
    }
    resampled_quantile_ratios(v1, v2, s1, s2, qs, true, confidence, seed)
}

/// The resampling intervals of [`quantile_ratios_sorted`]'s paired path (percentile bootstrap up
/// to [`BOOTSTRAP_MAX_N`], batch means above), for either pairing. Canary intervals used the
/// unpaired form until the study in docs/statistics.md ("Canary intervals") showed its batch means
/// covering p99 in only 80% of seeds at 2,000 V2 requests against a large V1; it stays callable so
/// that study can be rerun.
#[allow(clippy::too_many_arguments)]
pub fn resampled_quantile_ratios(
    v1: &[f64],
    v2: &[f64],
    s1: &[f64],
    s2: &[f64],
    qs: &[f64],
    paired: bool,
    confidence: f64,
    seed: u64,
) -> Vec<RatioInterval> {
    qs.iter()
        .enumerate()
        .map(|(i, &q)| {
            let est = quantile_sorted(s2, q) / quantile_sorted(s1, q);
            let stat = |a: &mut [f64], b: &mut [f64]| (quantile_select(b, q) / quantile_select(a, q)).ln();
            ratio_interval(v1, v2, est, paired, confidence, seed.wrapping_add(i as u64), stat)
        })
        .collect()
}

/// Like [`quantile_ratio`] for the ratio of means, mean(v2) / mean(v1), with the delta method on the
/// log scale (Cochran 1977, sec. 6.4): se(log R)^2 = var(y)/(n y^2) + var(x)/(n x^2) - 2 cov(x,y)/(n x y)
/// for pairs, without the covariance term and with each sample's own n when unpaired.
/// Values that are NaN are skipped (pairwise when paired). O(n).
pub fn mean_ratio(v1: &[f64], v2: &[f64], paired: bool, confidence: f64) -> RatioInterval {
    // Copies without the NaNs only when there are any (latencies never have them).
    let all_finite = |v: &[f64]| v.iter().all(|a| a.is_finite());
    let owned: (Vec<f64>, Vec<f64>);
    let (x, y): (&[f64], &[f64]) = if all_finite(v1) && all_finite(v2) && (!paired || v1.len() == v2.len()) {
        (v1, v2)
    } else if paired {
        let (mut x, mut y) = (Vec::with_capacity(v1.len()), Vec::with_capacity(v2.len()));
        for (a, b) in v1.iter().zip(v2).filter(|(a, b)| a.is_finite() && b.is_finite()) {
            x.push(*a);
            y.push(*b);
        }
        owned = (x, y);
        (&owned.0, &owned.1)
    } else {
        owned = (v1.iter().copied().filter(|a| a.is_finite()).collect(), v2.iter().copied().filter(|a| a.is_finite()).collect());
        (&owned.0, &owned.1)
    };
    let (nx, ny) = (x.len() as f64, y.len() as f64);
    let nan = RatioInterval { interval: Interval::new(f64::NAN, f64::NAN, f64::NAN), method: "delta-method", resamples: 0 };
    if nx < 2.0 || ny < 2.0 {
        return nan;
    }
    let (mx, my) = (super::mean(x), super::mean(y));
    if mx <= 0.0 || my <= 0.0 {
        return RatioInterval { interval: Interval::point(my / mx), ..nan };
    }
    let r = my / mx;
    let mut var_log = variance(y) / (ny * my * my) + variance(x) / (nx * mx * mx);
    if paired {
        let cov = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum::<f64>() / (nx - 1.0);
        var_log -= 2.0 * cov / (nx * mx * my);
    }
    let se = var_log.max(0.0).sqrt();
    let z = z_two_sided(confidence);
    RatioInterval { interval: Interval::new(r, r * (-z * se).exp(), r * (z * se).exp()), method: "delta-method", resamples: 0 }
}

fn ratio_interval(
    v1: &[f64],
    v2: &[f64],
    est: f64,
    paired: bool,
    confidence: f64,
    seed: u64,
    stat: impl Fn(&mut [f64], &mut [f64]) -> f64 + Sync,
) -> RatioInterval {
    let (n1, n2) = (v1.len(), v2.len());
    let undefined = |method| RatioInterval { interval: Interval::new(est, f64::NAN, f64::NAN), method, resamples: 0 };
    if n1 < 2 || n2 < 2 || (paired && n1 != n2) || !est.is_finite() {
        return undefined("none");
    }
    if n1.max(n2) <= BOOTSTRAP_MAX_N {
        let mut logs: Vec<f64> = (0..BOOTSTRAP_REPLICATES)
            .into_par_iter()
            .map(|r| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(r as u64 + 1);
                let (mut a, mut b) = if paired {
                    (0..n1)
                        .map(|_| {
                            let i = rng.gen_range(0..n1);
                            (v1[i], v2[i])
                        })
                        .unzip::<f64, f64, Vec<f64>, Vec<f64>>()
                } else {
                    let a: Vec<f64> = (0..n1).map(|_| v1[rng.gen_range(0..n1)]).collect();
                    let b: Vec<f64> = (0..n2).map(|_| v2[rng.gen_range(0..n2)]).collect();
                    (a, b)
                };
                stat(&mut a, &mut b)
            })
            .filter(|v| v.is_finite())
            .collect();
        if logs.len() < BOOTSTRAP_REPLICATES / 2 {
            return undefined("bootstrap-percentile");
        }
        super::sort_in_place(&mut logs);
        let a = 1.0 - confidence;
        let lo = quantile_sorted(&logs, a / 2.0).exp();
        let hi = quantile_sorted(&logs, 1.0 - a / 2.0).exp();
        return RatioInterval { interval: Interval::new(est, lo, hi), method: "bootstrap-percentile", resamples: logs.len() };
    }
    // Batch means over random splits.
    let batches1 = split_batches(n1, seed, V1_SALT);
    let batches2 = if paired { Vec::new() } else { split_batches(n2, seed, V2_SALT) };
    let batches2 = if paired { &batches1 } else { &batches2 };
    let logs: Vec<f64> = (0..BATCHES)
        .into_par_iter()
        .map(|k| {
            let mut a: Vec<f64> = batches1[k].iter().map(|&i| v1[i as usize]).collect();
            let mut b: Vec<f64> = batches2[k].iter().map(|&i| v2[i as usize]).collect();
            stat(&mut a, &mut b)
        })
        .collect();
    if logs.iter().any(|v| !v.is_finite()) {
        return undefined("batch-means");
    }
    let k = logs.len() as f64;
    let sd = variance(&logs).sqrt();
    let t = t_two_sided(confidence, k - 1.0);
    let half = t * sd / k.sqrt();
    let centre = est.ln();
    RatioInterval { interval: Interval::new(est, (centre - half).exp(), (centre + half).exp()), method: "batch-means", resamples: BATCHES }
}

/// Assigns indices 0..n to [`BATCHES`] batches with a seeded hash; returns the index lists,
/// each ascending. Built in parallel pieces that are concatenated in order, so the lists do not
/// depend on the thread count.
pub(crate) fn split_batches(n: usize, seed: u64, salt: u64) -> Vec<Vec<u32>> {
    const PIECE: usize = 1 << 20;
    let key = splitmix(seed ^ salt);
    let split = |range: std::ops::Range<usize>| {
        let mut out: Vec<Vec<u32>> = (0..BATCHES).map(|_| Vec::with_capacity(range.len() / BATCHES + 16)).collect();
        for i in range {
            let b = (splitmix(key ^ i as u64) % BATCHES as u64) as usize;
            out[b].push(i as u32);
        }
        out
    };
    if n <= PIECE {
        return split(0..n);
    }
    let pieces: Vec<Vec<Vec<u32>>> = (0..n.div_ceil(PIECE)).into_par_iter().map(|p| split(p * PIECE..((p + 1) * PIECE).min(n))).collect();
    (0..BATCHES)
        .into_par_iter()
        .map(|b| {
            let mut list = Vec::with_capacity(pieces.iter().map(|p| p[b].len()).sum());
            for p in &pieces {
                list.extend_from_slice(&p[b]);
            }
            list
        })
        .collect()
}
