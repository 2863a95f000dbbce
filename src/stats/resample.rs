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
pub(crate) fn t_two_sided(confidence: f64, dof: f64) -> f64 {
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
            let seed = seed.wrapping_add(i as u64);
            let (n1, n2) = (v1.len(), v2.len());
            if n1 < 2 || n2 < 2 || (paired && n1 != n2) || !est.is_finite() {
                return RatioInterval { interval: Interval::new(est, f64::NAN, f64::NAN), method: "none", resamples: 0 };
            }
            if n1.max(n2) <= BOOTSTRAP_MAX_N {
                let stat = |a: &mut [f64], b: &mut [f64]| (quantile_select(b, q) / quantile_select(a, q)).ln();
                return bootstrap_interval(v1, v2, est, paired, confidence, seed, stat);
            }
            // Batch means over random splits: each batch's quantile, found without gathering it.
            let (q1, q2) = rayon::join(
                || batch_quantiles(v1, s1, q, seed, V1_SALT),
                || batch_quantiles(v2, s2, q, seed, if paired { V1_SALT } else { V2_SALT }),
            );
            batch_means_interval(est, q1.iter().zip(&q2).map(|(a, b)| (b / a).ln()).collect(), confidence)
        })
        .collect()
}

/// The type-7 q-quantile of each of the [`BATCHES`] batches of `v` (assigned as
/// [`split_batches`]`(v.len(), seed, salt)` assigns them), equal bit for bit to
/// [`quantile_select`] of the gathered batch, but in one sequential pass instead of a gather of
/// every value and a selection per batch (a quarter of a second per quantile at 10M pairs).
///
/// A batch of m values drawn at random from the whole sample has its q-quantile within a few
/// sqrt(q(1-q)/m) of the whole sample's in probability: `sorted` (the sample ascending) gives the
/// values [L, H] at the ranks 10 of those standard deviations either side. The pass counts each
/// batch's values below L and keeps only those within [L, H] (a few hundred per batch); the two
/// order statistics type 7 interpolates between are selected among the kept ones. A batch whose
/// order statistics fall outside the band (about 1e-23 per batch for a random split, or any
/// batch when `sorted` is not the sample sorted) is gathered and selected in full, so the result
/// never depends on the band.
pub(crate) fn batch_quantiles(v: &[f64], sorted: &[f64], q: f64, seed: u64, salt: u64) -> Vec<f64> {
    const PIECE: usize = 1 << 20;
    let n = v.len();
    let key = splitmix(seed ^ salt);
    let batch_of = |i: usize| (splitmix(key ^ i as u64) % BATCHES as u64) as usize;
    let order = super::total_order_key;
    let q = q.clamp(0.0, 1.0);
    let (low, high) = match sorted.len() {
        0 => (i64::MAX, i64::MIN),
        len => {
            let m = (n / BATCHES).max(1) as f64;
            let margin = 10.0 * (q * (1.0 - q) / m).sqrt() + 20.0 / m;
            let at = |p: f64| sorted[((p.clamp(0.0, 1.0) * (len - 1) as f64).round() as usize).min(len - 1)];
            (order(at(q - margin)), order(at(q + margin)))
        }
    };
    struct Tally {
        total: [usize; BATCHES],
        below: [usize; BATCHES],
        band: Vec<Vec<f64>>,
    }
    let tally = |range: std::ops::Range<usize>| {
        let mut t = Tally { total: [0; BATCHES], below: [0; BATCHES], band: vec![Vec::new(); BATCHES] };
        for i in range {
            let b = batch_of(i);
            let x = v[i];
            let o = order(x);
            t.total[b] += 1;
            if o < low {
                t.below[b] += 1;
            } else if o <= high {
                t.band[b].push(x);
            }
        }
        t
    };
    let pieces: Vec<Tally> = (0..n.div_ceil(PIECE)).into_par_iter().map(|p| tally(p * PIECE..((p + 1) * PIECE).min(n))).collect();
    let mut all = Tally { total: [0; BATCHES], below: [0; BATCHES], band: vec![Vec::new(); BATCHES] };
    for p in pieces {
        for b in 0..BATCHES {
            all.total[b] += p.total[b];
            all.below[b] += p.below[b];
            all.band[b].extend_from_slice(&p.band[b]);
        }
    }
    all.band
        .into_par_iter()
        .enumerate()
        .map(|(b, mut band)| {
            let (m, below) = (all.total[b], all.below[b]);
            if m == 0 {
                return f64::NAN;
            }
            let h = (m - 1) as f64 * q;
            let lo = h.floor() as usize;
            // The ranks quantile_select reads: lo, and lo + 1 when it interpolates.
            let last = if h - lo as f64 == 0.0 || lo + 1 >= m { lo } else { lo + 1 };
            if lo >= below && last < below + band.len() {
                let (_, &mut a, rest) = band.select_nth_unstable_by(lo - below, f64::total_cmp);
                if last == lo {
                    return a;
                }
                // The next order statistic: the smallest value above position lo, which lies in
                // the band (the values above it are larger still).
                let next = rest.iter().copied().fold(f64::INFINITY, f64::min);
                return a + (h - lo as f64) * (next - a);
            }
            let mut whole: Vec<f64> = (0..n).filter(|&i| batch_of(i) == b).map(|i| v[i]).collect();
            quantile_select(&mut whole, q)
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
    if nx < 2.0 || ny < 2.0 {
        return DELTA_UNDEFINED;
    }
    let (mx, my) = (super::mean(x), super::mean(y));
    delta_ratio((nx, mx), (ny, my), confidence, || {
        let cov = paired.then(|| x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum::<f64>() / (nx - 1.0));
        (variance(x), variance(y), cov)
    })
}

/// [`mean_ratio`] with fewer than two values on a side.
pub(crate) const DELTA_UNDEFINED: RatioInterval =
    RatioInterval { interval: Interval { estimate: f64::NAN, lower: f64::NAN, upper: f64::NAN }, method: "delta-method", resamples: 0 };

/// The delta-method interval of my / mx from each side's (count, mean) and, asked only when both
/// means are positive, `moments`: (var x, var y, cov x y when paired). The arithmetic
/// [`mean_ratio`] and [`paired_mean_ratio`] share, so that the two give the same bits.
pub(crate) fn delta_ratio(
    (nx, mx): (f64, f64),
    (ny, my): (f64, f64),
    confidence: f64,
    moments: impl FnOnce() -> (f64, f64, Option<f64>),
) -> RatioInterval {
    if mx <= 0.0 || my <= 0.0 {
        return RatioInterval { interval: Interval::point(my / mx), ..DELTA_UNDEFINED };
    }
    let (var_x, var_y, cov) = moments();
    let r = my / mx;
    let mut var_log = var_y / (ny * my * my) + var_x / (nx * mx * mx);
    if let Some(cov) = cov {
        var_log -= 2.0 * cov / (nx * mx * my);
    }
    let se = var_log.max(0.0).sqrt();
    let z = z_two_sided(confidence);
    RatioInterval { interval: Interval::new(r, r * (-z * se).exp(), r * (z * se).exp()), method: "delta-method", resamples: 0 }
}

/// [`mean_ratio`] of `n` pairs read through `pair(k)`, paired, without gathering them into two
/// vectors: one pass for the sums, one for the squares and products, the same operations in the
/// same order as [`mean_ratio`] on the gathered pairs, so the same bits. Also each side's mean as
/// [`crate::metrics::resources::compare`] reports it (a sum from +0.0). None when a value is not
/// finite: then the caller gathers, and [`mean_ratio`] leaves those pairs out.
pub fn paired_mean_ratio(n: usize, pair: impl Fn(usize) -> (f64, f64), confidence: f64) -> Option<(RatioInterval, f64, f64)> {
    // Sums as `Iterator::sum` takes them (from -0.0) and as a fold from +0.0 takes them.
    let (mut sx, mut sy, mut fx, mut fy) = (-0.0f64, -0.0f64, 0.0f64, 0.0f64);
    for k in 0..n {
        let (x, y) = pair(k);
        if !x.is_finite() || !y.is_finite() {
            return None;
        }
        (sx, sy, fx, fy) = (sx + x, sy + y, fx + x, fy + y);
    }
    let nf = n as f64;
    let means = (fx / nf, fy / nf);
    if n < 2 {
        return Some((DELTA_UNDEFINED, means.0, means.1));
    }
    let (mx, my) = (sx / nf, sy / nf);
    let ratio = delta_ratio((nf, mx), (nf, my), confidence, || {
        let (mut sxx, mut syy, mut sxy) = (-0.0f64, -0.0f64, -0.0f64);
        for k in 0..n {
            let (x, y) = pair(k);
            let (dx, dy) = (x - mx, y - my);
            (sxx, syy, sxy) = (sxx + dx * dx, syy + dy * dy, sxy + dx * dy);
        }
        (sxx / (nf - 1.0), syy / (nf - 1.0), Some(sxy / (nf - 1.0)))
    });
    Some((ratio, means.0, means.1))
}

/// Percentile bootstrap interval of exp(stat) around `est`, for samples of at least two values
/// (and equal lengths when paired).
fn bootstrap_interval(
    v1: &[f64],
    v2: &[f64],
    est: f64,
    paired: bool,
    confidence: f64,
    seed: u64,
    stat: impl Fn(&mut [f64], &mut [f64]) -> f64 + Sync,
) -> RatioInterval {
    let (n1, n2) = (v1.len(), v2.len());
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
        return RatioInterval { interval: Interval::new(est, f64::NAN, f64::NAN), method: "bootstrap-percentile", resamples: 0 };
    }
    super::sort_in_place(&mut logs);
    let a = 1.0 - confidence;
    let lo = quantile_sorted(&logs, a / 2.0).exp();
    let hi = quantile_sorted(&logs, 1.0 - a / 2.0).exp();
    RatioInterval { interval: Interval::new(est, lo, hi), method: "bootstrap-percentile", resamples: logs.len() }
}

/// The batch-means interval around `est` from the batches' log ratios `logs`.
pub(crate) fn batch_means_interval(est: f64, logs: Vec<f64>, confidence: f64) -> RatioInterval {
    if logs.iter().any(|v| !v.is_finite()) {
        return RatioInterval { interval: Interval::new(est, f64::NAN, f64::NAN), method: "batch-means", resamples: 0 };
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

#[cfg(test)]
mod tests {
    use super::{batch_quantiles, split_batches, BATCHES, V1_SALT};
    use crate::stats::quantile::quantile_select;
    use proptest::prelude::*;

    /// Each batch's quantile the plain way: gather the batch's values, select.
    fn gathered(v: &[f64], q: f64, seed: u64) -> Vec<f64> {
        split_batches(v.len(), seed, V1_SALT)
            .iter()
            .map(|idx| quantile_select(&mut idx.iter().map(|&i| v[i as usize]).collect::<Vec<_>>(), q))
            .collect()
    }

    fn bits(x: &[f64]) -> Vec<u64> {
        x.iter().map(|v| v.to_bits()).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// The one-pass batch quantiles equal the gathered ones bit for bit: with values from a
        /// few (ties, signed zeros) to many distinct ones, every quantile level including the ends,
        /// batches from empty to thousands of values, and with a hint that is the sample sorted, a
        /// constant (the band misses most batches) or empty (no band: every batch gathered).
        #[test]
        fn batch_quantiles_equal_the_gathered_batches(
            picks in proptest::collection::vec(0usize..1000, 0..4000),
            distinct in prop_oneof![Just(3usize), Just(40), Just(1000)],
            q in prop_oneof![Just(0.0), Just(1.0), Just(0.5), Just(0.99), 0.0f64..=1.0],
            hint in 0u8..3,
            seed in any::<u64>(),
        ) {
            let pool: Vec<f64> = (0..distinct).map(|k| match k % 7 { 0 => -0.0, 1 => 0.0, _ => (k as f64).ln() * 10.0 - 20.0 }).collect();
            let v: Vec<f64> = picks.iter().map(|&p| pool[p % distinct]).collect();
            let mut sorted = v.clone();
            sorted.sort_unstable_by(f64::total_cmp);
            let hint: Vec<f64> = match hint {
                0 => sorted,
                1 => vec![7.0; v.len()],
                _ => Vec::new(),
            };
            let got = batch_quantiles(&v, &hint, q, seed, V1_SALT);
            prop_assert_eq!(got.len(), BATCHES);
            prop_assert_eq!(bits(&got), bits(&gathered(&v, q, seed)));
        }
    }

    proptest! {
        /// The one-pass paired mean ratio is [`super::mean_ratio`] of the gathered pairs, bit for
        /// bit, with each side's mean as a fold from +0.0 (signed zeros included); any value that
        /// is not finite hands the pairs back to the gathering path.
        #[test]
        fn paired_mean_ratio_equals_the_gathered_one(
            pairs in proptest::collection::vec((prop_oneof![Just(0.0), Just(-0.0), 0.0f64..1e4], prop_oneof![Just(0.0), -1.0f64..1e4]), 0..200),
            bad in proptest::option::of((0usize..200, prop_oneof![Just(f64::NAN), Just(f64::INFINITY)])),
        ) {
            let mut pairs = pairs;
            if let Some((k, v)) = bad {
                if let Some(p) = pairs.get_mut(k) {
                    p.1 = v;
                }
            }
            let (x, y): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
            let got = super::paired_mean_ratio(pairs.len(), |k| pairs[k], 0.95);
            if pairs.iter().any(|(a, b)| !a.is_finite() || !b.is_finite()) {
                prop_assert!(got.is_none());
            } else {
                let (r, m1, m2) = got.expect("all finite");
                let want = super::mean_ratio(&x, &y, true, 0.95);
                let fold = |v: &[f64]| v.iter().fold(0.0f64, |s, a| s + a) / v.len() as f64;
                let b = |i: &super::Interval| [i.estimate.to_bits(), i.lower.to_bits(), i.upper.to_bits()];
                prop_assert_eq!(b(&r.interval), b(&want.interval));
                prop_assert_eq!(r.method, want.method);
                if !pairs.is_empty() {
                    // (Without pairs there is no mean: the caller reports no metric.)
                    prop_assert_eq!((m1.to_bits(), m2.to_bits()), (fold(&x).to_bits(), fold(&y).to_bits()));
                }
            }
        }
    }

    /// At the size the band is made for (batches of 2,000), nearly every batch is answered from
    /// it, and still exactly.
    #[test]
    fn batch_quantiles_of_a_large_sample_equal_the_gathered_batches() {
        let v: Vec<f64> = (0..100_000u64).map(|i| (super::splitmix(i) % 100_000) as f64 / 7.0).collect();
        let mut sorted = v.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        for q in [0.5, 0.9, 0.95, 0.99] {
            assert_eq!(bits(&batch_quantiles(&v, &sorted, q, 3, V1_SALT)), bits(&gathered(&v, q, 3)), "q = {q}");
        }
    }
}
