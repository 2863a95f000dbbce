//! The shift function: V2 against V1 at every decile, plus 0.95 and 0.99, with a simultaneous
//! confidence band, so that a change anywhere in the distribution (a heavier tail, a slow mode in
//! the middle) shows, not only at the percentiles the gates name.
//!
//! Method (Doksum 1974; Wilcox 1995, "Comparing two independent groups via multiple quantiles",
//! The Statistician 44; Wilcox & Erceg-Hurn 2012 for dependent groups), on the log scale so that
//! each point is a V2/V1 ratio like the other latency gates:
//! - estimates: Harrell-Davis quantiles ([`super::quantile::harrell_davis`]) of each version up to
//!   [`HD_MAX_N`] observations; above it the type-7 quantiles, which then differ from HD by far
//!   less than their standard error (and HD's weights would cost seconds);
//! - standard errors and correlations of the eleven log ratios: a bootstrap with [`REPLICATES`]
//!   replicates (Wilcox's shifthd uses 200) that resamples pairs in shadow mode and each version
//!   independently in canary mode, up to [`BOOTSTRAP_MAX_N`] observations; batch means over
//!   [`BATCHES`] random splits above it;
//! - the band: log ratio +- c se, with c the (confidence) quantile of max_k |Z_k| for Z ~ N(0, R),
//!   R the estimated correlation matrix (a sup-t band, Montiel Olea & Plagborg-Moller 2019, J.
//!   Applied Econometrics 34; Wilcox's 2.73 for nine deciles is the same idea calibrated under
//!   normality), simulated with [`SUP_T_DRAWS`] seeded draws. Batch means use Student's t with
//!   K - 1 degrees of freedom in place of N(0, 1).

use super::quantile::{harrell_davis_weights, quantile_sorted, BetaWeights};
use super::Interval;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{ChiSquared, Distribution, StandardNormal};
use rayon::prelude::*;
use serde::Serialize;

/// The probabilities of the shift function.
pub const SHIFT_QUANTILES: [f64; 11] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];
/// Bootstrap replicates for the covariance of the eleven log ratios.
pub const REPLICATES: usize = 200;
/// Above this many observations (pairs, or per version), type-7 estimates instead of HD.
pub const HD_MAX_N: usize = 1_000_000;
/// Above this many observations (pairs, or per version), batch means instead of the bootstrap
/// (each batch then holds at least 2,000 observations, 20 beyond p99).
pub const BOOTSTRAP_MAX_N: usize = 100_000;
/// Batches for the batch-means covariance.
pub const BATCHES: usize = 50;
/// Draws for the sup-t critical value.
pub const SUP_T_DRAWS: usize = 20_000;
/// Added to every quantile before its logarithm (1 microsecond in ms), so that a quantile of 0
/// (sub-millisecond requests rounded down) stays finite; negligible otherwise.
pub const LOG_OFFSET: f64 = 1e-3;

fn ln(x: f64) -> f64 {
    (x + LOG_OFFSET).ln()
}

/// One point of the shift function.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ShiftPoint {
    pub q: f64,
    pub v1_ms: f64,
    pub v2_ms: f64,
    /// V2 - V1 in ms, with the simultaneous band (V1's estimate times the ratio band minus one).
    pub diff_ms: Interval,
    /// V2/V1 with the simultaneous band.
    pub ratio: Interval,
    /// V2/V1 from each version's distribution-free order-statistic interval (at the Bonferroni
    /// level over the eleven points), combined on the log scale: valid whatever the latency
    /// distribution, wider than the band, and what a fail must also clear (a gap or a cluster of
    /// latencies at a quantile can make the band too narrow there).
    pub ratio_distribution_free: Interval,
}

/// The whole shift function.
#[derive(Debug, Clone, Serialize)]
pub struct ShiftFunction {
    pub points: Vec<ShiftPoint>,
    /// Simultaneous confidence of the band.
    pub confidence: f64,
    /// The sup-t critical value c (1.96 would be a pointwise 95% band).
    pub critical_value: f64,
    /// "harrell-davis", "type-7", or a mix when only one version is above [`HD_MAX_N`].
    pub estimator: &'static str,
    /// "bootstrap-paired", "bootstrap-independent", "batch-means" (or a mix per version in canary
    /// mode, "bootstrap+batch-means").
    pub method: &'static str,
    pub resamples: usize,
}

/// Sorted-order permutation: `perm[i]` is the index in `v` of the i-th smallest value.
fn argsort(v: &[f64]) -> Vec<u32> {
    let mut perm: Vec<u32> = (0..v.len() as u32).collect();
    perm.par_sort_unstable_by(|&a, &b| v[a as usize].total_cmp(&v[b as usize]).then(a.cmp(&b)));
    perm
}

/// Cumulative multiplicities in sorted order, given per-observation counts and the sort permutation.
fn cumulative(counts: &[u32], perm: &[u32], cum: &mut Vec<u32>) {
    cum.clear();
    cum.push(0);
    let mut c = 0;
    for &i in perm {
        c += counts[i as usize];
        cum.push(c);
    }
}

/// Replicate r's resample counts: n draws with replacement from 0..n (stream r + 1 of `seed`).
fn resample_counts(n: usize, seed: u64, r: usize, counts: &mut Vec<u32>) {
    counts.clear();
    counts.resize(n, 0);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(r as u64 + 1);
    for _ in 0..n {
        counts[rng.gen_range(0..n)] += 1;
    }
}

/// Sample covariance matrix of rows (replicates x K).
fn covariance(rows: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let k = rows.first().map_or(0, Vec::len);
    let b = rows.len() as f64;
    let mean: Vec<f64> = (0..k).map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / b).collect();
    (0..k).map(|i| (0..k).map(|j| rows.iter().map(|r| (r[i] - mean[i]) * (r[j] - mean[j])).sum::<f64>() / (b - 1.0)).collect()).collect()
}

/// Per-quantile HD weights for n observations.
fn hd_tables(n: usize) -> Vec<BetaWeights> {
    SHIFT_QUANTILES.par_iter().map(|&q| harrell_davis_weights(n, q)).collect()
}

/// ln of the eleven estimates of one sorted sample (HD or type 7).
fn log_estimates(sorted: &[f64], tables: Option<&[BetaWeights]>) -> Vec<f64> {
    match tables {
        Some(t) => t.iter().map(|w| ln(w.apply(sorted, |x| x))).collect(),
        None => SHIFT_QUANTILES.iter().map(|&q| ln(quantile_sorted(sorted, q))).collect(),
    }
}

/// Bootstrap replicates of one version's ln HD estimates, resampled independently: the counts are
/// drawn per position of the sorted sample, so no permutation is needed.
fn bootstrap_one(sorted: &[f64], tables: &[BetaWeights], seed: u64) -> Vec<Vec<f64>> {
    (0..REPLICATES)
        .into_par_iter()
        .map_init(
            || (Vec::new(), Vec::new()),
            |(counts, cum): &mut (Vec<u32>, Vec<u32>), r| {
                resample_counts(sorted.len(), seed, r, counts);
                cum.clear();
                cum.push(0);
                let mut c = 0;
                for &k in counts.iter() {
                    c += k;
                    cum.push(c);
                }
                tables.iter().map(|w| ln(w.apply_resample(sorted, cum))).collect()
            },
        )
        .collect()
}

/// Batch-means covariance of one version's eleven log estimates, or with `paired` the pairs' log
/// ratios, scaled to the full sample (batch covariance / K).
fn batch_covariance(v1: &[f64], paired: Option<&[f64]>, seed: u64) -> Vec<Vec<f64>> {
    let per_batch = |v: &[f64], batches: &[Vec<u32>]| -> Vec<Vec<f64>> {
        batches
            .par_iter()
            .map(|idx| {
                let mut b: Vec<f64> = idx.iter().map(|&i| v[i as usize]).collect();
                // Type 7 reads two order statistics per quantile: select them, not sort.
                super::quantile::select_for_quantiles(&mut b, &SHIFT_QUANTILES);
                log_estimates(&b, None)
            })
            .collect()
    };
    let batches = super::resample::split_batches(v1.len(), seed, super::resample::V1_SALT);
    let rows = match paired {
        Some(v2) => {
            let (l1, l2) = rayon::join(|| per_batch(v1, &batches), || per_batch(v2, &batches));
            l1.iter().zip(&l2).map(|(a, b)| b.iter().zip(a).map(|(y, x)| y - x).collect()).collect()
        }
        None => per_batch(v1, &batches),
    };
    scaled(covariance(&rows))
}

fn scaled(mut c: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    for row in &mut c {
        for x in row.iter_mut() {
            *x /= BATCHES as f64;
        }
    }
    c
}

/// Cholesky factor (lower) of a covariance matrix, with a small ridge for the near-singular
/// matrices that neighbouring quantiles give.
fn cholesky(c: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let k = c.len();
    let ridge = 1e-10 * (0..k).map(|i| c[i][i]).sum::<f64>() / k.max(1) as f64;
    let mut l = vec![vec![0.0; k]; k];
    for i in 0..k {
        for j in 0..=i {
            let s: f64 = (0..j).map(|m| l[i][m] * l[j][m]).sum();
            if i == j {
                l[i][i] = (c[i][i] + ridge - s).max(0.0).sqrt();
            } else if l[j][j] > 0.0 {
                l[i][j] = (c[i][j] - s) / l[j][j];
            }
        }
    }
    l
}

/// The sup-t critical value: the `confidence` quantile of max_k |Z_k| / sd_k over draws of
/// Z ~ N(0, cov) (divided by sqrt(chi2_dof / dof) when `dof` is given: multivariate t).
pub fn sup_t_critical(cov: &[Vec<f64>], confidence: f64, dof: Option<f64>, seed: u64) -> f64 {
    let k = cov.len();
    let l = cholesky(cov);
    let sd: Vec<f64> = (0..k).map(|i| cov[i][i].sqrt()).collect();
    let chi = dof.and_then(|d| ChiSquared::new(d).ok());
    let mut maxima: Vec<f64> = (0..SUP_T_DRAWS)
        .into_par_iter()
        .map(|r| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5u64.rotate_left(40));
            rng.set_stream(r as u64 + 1);
            let z: Vec<f64> = (0..k).map(|_| rng.sample(StandardNormal)).collect();
            let scale = match (&chi, dof) {
                (Some(c), Some(d)) => (c.sample(&mut rng) / d).sqrt(),
                _ => 1.0,
            };
            (0..k)
                .filter(|&i| sd[i] > 0.0)
                .map(|i| ((0..=i).map(|j| l[i][j] * z[j]).sum::<f64>() / sd[i] / scale).abs())
                .fold(0.0, f64::max)
        })
        .collect();
    super::sort_in_place(&mut maxima);
    quantile_sorted(&maxima, confidence)
}

/// The shift function of V2 against V1. `v1`, `v2` are the samples in input order (pairs at the
/// same index when `paired`; unpaired, only `s1`, `s2` are read), `s1`, `s2` the same values
/// sorted ascending. Undefined (NaN) when a version has fewer than 20 observations.
pub fn shift_function(v1: &[f64], v2: &[f64], s1: &[f64], s2: &[f64], paired: bool, confidence: f64, seed: u64) -> ShiftFunction {
    let (n1, n2) = (s1.len(), s2.len());
    let k = SHIFT_QUANTILES.len();
    let undefined = |method| ShiftFunction {
        points: SHIFT_QUANTILES
            .iter()
            .map(|&q| ShiftPoint {
                q,
                v1_ms: f64::NAN,
                v2_ms: f64::NAN,
                diff_ms: Interval::new(f64::NAN, f64::NAN, f64::NAN),
                ratio: Interval::new(f64::NAN, f64::NAN, f64::NAN),
                ratio_distribution_free: Interval::new(f64::NAN, f64::NAN, f64::NAN),
            })
            .collect(),
        confidence,
        critical_value: f64::NAN,
        estimator: "harrell-davis",
        method,
        resamples: 0,
    };
    if n1 < 20 || n2 < 20 || (paired && n1 != n2) || s1[0] < 0.0 || s2[0] < 0.0 {
        return undefined("none");
    }
    // Per version: HD weights up to HD_MAX_N observations, type 7 above.
    let tables = |n: usize| if n <= HD_MAX_N { Some(hd_tables(n)) } else { None };
    let (t1, t2) = if n1 == n2 { (tables(n1), None) } else { rayon::join(|| tables(n1), || tables(n2)) };
    let t2 = if n1 == n2 { t1.as_deref() } else { t2.as_deref() };
    let t1 = t1.as_deref();
    let e1 = log_estimates(s1, t1);
    let e2 = log_estimates(s2, t2);
    let boot1 = t1.filter(|_| n1 <= BOOTSTRAP_MAX_N);
    let boot2 = t2.filter(|_| n2 <= BOOTSTRAP_MAX_N);
    let (cov, method, resamples, dof) = match (paired, boot1, boot2) {
        (true, Some(t1), Some(t2)) => {
            let (p1, p2) = rayon::join(|| argsort(v1), || argsort(v2));
            let rows: Vec<Vec<f64>> = (0..REPLICATES)
                .into_par_iter()
                .map_init(
                    || (Vec::new(), Vec::new(), Vec::new()),
                    |(counts, c1, c2), r| {
                        resample_counts(n1, seed, r, counts);
                        cumulative(counts, &p1, c1);
                        cumulative(counts, &p2, c2);
                        (0..k).map(|i| ln(t2[i].apply_resample(s2, c2)) - ln(t1[i].apply_resample(s1, c1))).collect()
                    },
                )
                .collect();
            (covariance(&rows), "bootstrap-paired", REPLICATES, None)
        }
        (true, _, _) => (batch_covariance(v1, Some(v2), seed), "batch-means", BATCHES, Some((BATCHES - 1) as f64)),
        (false, _, _) => {
            // Independent versions: the covariance of the difference is the sum of each version's,
            // each from the bootstrap (up to HD_MAX_N) or batch means.
            let one = |s: &[f64], t: Option<&[BetaWeights]>, salt: u64| match t {
                Some(t) => covariance(&bootstrap_one(s, t, seed ^ salt)),
                None => batch_covariance(s, None, seed ^ salt),
            };
            let (c1, c2) = rayon::join(|| one(s1, boot1, 0x1111), || one(s2, boot2, 0x2222));
            let sum: Vec<Vec<f64>> = c1.iter().zip(&c2).map(|(a, b)| a.iter().zip(b).map(|(x, y)| x + y).collect()).collect();
            match (boot1.is_some(), boot2.is_some()) {
                (true, true) => (sum, "bootstrap-independent", REPLICATES, None),
                (false, false) => (sum, "batch-means", BATCHES, Some((BATCHES - 1) as f64)),
                _ => (sum, "bootstrap+batch-means", REPLICATES, None),
            }
        }
    };
    let c = sup_t_critical(&cov, confidence, dof, seed);
    if !c.is_finite() {
        return undefined(method);
    }
    let pointwise = 1.0 - (1.0 - confidence) / SHIFT_QUANTILES.len() as f64;
    let free = |s: &[f64], q: f64| super::quantile::quantile_with_ci(s, q, pointwise);
    let points = band_points(&e1, &e2, &cov, c, |q| (free(s1, q), free(s2, q)), (0.0, 0.0));
    let estimator = match (t1.is_some(), t2.is_some()) {
        (true, true) => "harrell-davis",
        (false, false) => "type-7",
        _ => "harrell-davis up to 1,000,000 observations, type-7 above",
    };
    ShiftFunction { points, confidence, critical_value: c, estimator, method, resamples }
}

/// The eleven points from both versions' log estimates `e1`, `e2`, the covariance of their log
/// ratios and the critical value `c`; `free(q)` gives each version's distribution-free interval
/// at q, and `widen` moves the band's and the distribution-free interval's bounds out on the log
/// scale by that much (0 in memory, the rounding bound from summaries).
fn band_points(
    e1: &[f64],
    e2: &[f64],
    cov: &[Vec<f64>],
    c: f64,
    free: impl Fn(f64) -> (Interval, Interval),
    (widen_band, widen_free): (f64, f64),
) -> Vec<ShiftPoint> {
    SHIFT_QUANTILES
        .iter()
        .enumerate()
        .map(|(i, &q)| {
            let lr = e2[i] - e1[i];
            let half = c * cov[i][i].max(0.0).sqrt() + widen_band;
            let ratio = Interval::new(lr.exp(), (lr - half).exp(), (lr + half).exp());
            let (q1, q2) = (e1[i].exp() - LOG_OFFSET, e2[i].exp() - LOG_OFFSET);
            let base = q1 + LOG_OFFSET;
            let (f1, f2) = free(q);
            let offset = |i: Interval| i.map(|x| x + LOG_OFFSET);
            let (lo, hi) = super::quantile_ratio::mover_log_ratio(offset(f1), offset(f2));
            ShiftPoint {
                q,
                v1_ms: q1,
                v2_ms: q2,
                diff_ms: Interval::new(q2 - q1, base * (ratio.lower - 1.0), base * (ratio.upper - 1.0)),
                ratio,
                ratio_distribution_free: Interval::new(ratio.estimate, (lo - widen_free).exp(), (hi + widen_free).exp()),
            }
        })
        .collect()
}

/// The shift function from mergeable summaries ([`super::summary`]): `whole` holds both
/// versions' histograms, `batches` the same per batch (paired: the batches of the pairs;
/// unpaired: each version's own random split, batch k of each side together). What
/// [`shift_function`] computes above [`HD_MAX_N`] pairs (or observations per version) (type-7 estimates, batch-means covariance, the sup-t band
/// with K - 1 degrees of freedom, distribution-free ratios from order statistics), from the
/// rounded values, with the bounds moved out by the most the rounding can move them: the band by
/// [`super::summary::ratio_widening`] with m = c, a distribution-free bound by (2 + sqrt 2) e,
/// e = -ln(1 - a) of the whole samples' accuracy. The critical
/// value c comes from the rounded batches' correlations; it lies between the pointwise and the
/// Bonferroni value either way.
pub fn shift_function_from_summaries(
    whole: (&super::summary::LogHistogram, &super::summary::LogHistogram),
    batches: &[(super::summary::LogHistogram, super::summary::LogHistogram)],
    paired: bool,
    confidence: f64,
    seed: u64,
) -> ShiftFunction {
    let k = batches.len();
    let estimates = |h: &super::summary::LogHistogram| SHIFT_QUANTILES.iter().map(|&q| ln(h.quantile(q))).collect::<Vec<f64>>();
    let defined = whole.0.len() >= 20
        && whole.1.len() >= 20
        && (!paired || whole.0.len() == whole.1.len())
        && k >= 2
        && batches.iter().all(|(a, b)| !a.is_empty() && !b.is_empty());
    if !defined {
        let nan = Interval::new(f64::NAN, f64::NAN, f64::NAN);
        let points = SHIFT_QUANTILES
            .iter()
            .map(|&q| ShiftPoint { q, v1_ms: f64::NAN, v2_ms: f64::NAN, diff_ms: nan, ratio: nan, ratio_distribution_free: nan })
            .collect();
        return ShiftFunction { points, confidence, critical_value: f64::NAN, estimator: "type-7", method: "none", resamples: 0 };
    }
    let (e1, e2) = (estimates(whole.0), estimates(whole.1));
    // Paired: the covariance of the batches' log ratios; unpaired: the sum of each version's
    // (the versions' batches are independent). Scaled to the whole sample: / K.
    let mut cov = if paired {
        let rows: Vec<Vec<f64>> =
            batches.par_iter().map(|(a, b)| estimates(b).iter().zip(estimates(a)).map(|(y, x)| y - x).collect()).collect();
        covariance(&rows)
    } else {
        let (r1, r2): (Vec<Vec<f64>>, Vec<Vec<f64>>) = batches.par_iter().map(|(a, b)| (estimates(a), estimates(b))).unzip();
        let (c1, c2) = (covariance(&r1), covariance(&r2));
        c1.iter().zip(&c2).map(|(a, b)| a.iter().zip(b).map(|(x, y)| x + y).collect()).collect()
    };
    for row in &mut cov {
        for x in row.iter_mut() {
            *x /= k as f64;
        }
    }
    let dof = (k - 1) as f64;
    let c = sup_t_critical(&cov, confidence, Some(dof), seed);
    let whole_alpha = whole.0.alpha().max(whole.1.alpha());
    let batch_alpha = batches.iter().map(|(a, b)| a.alpha().max(b.alpha())).fold(0.0, f64::max);
    let widen = super::summary::ratio_widening(whole_alpha, batch_alpha, c, k);
    let e = super::summary::log_rounding(whole_alpha);
    let pointwise = 1.0 - (1.0 - confidence) / SHIFT_QUANTILES.len() as f64;
    let free = |h: &super::summary::LogHistogram, q: f64| h.quantile_with_ci(q, pointwise);
    let points = band_points(&e1, &e2, &cov, c, |q| (free(whole.0, q), free(whole.1, q)), (widen, (2.0 + std::f64::consts::SQRT_2) * e));
    ShiftFunction { points, confidence, critical_value: c, estimator: "type-7", method: "batch-means", resamples: k }
}

#[cfg(test)]
mod tests {
    //! The shift function recomputed from its definition with the plainest code: explicit
    //! resamples (no multiplicities, no permutations), Harrell-Davis of each, the textbook
    //! covariance, and the band log ratio +- c se with c from [`sup_t_critical`] (tested against
    //! closed forms in src/stats/tests.rs).
    use super::*;
    use crate::stats::quantile::{harrell_davis, quantile_with_ci};
    use crate::stats::sorted;

    fn sample(seed: u64, n: usize) -> (Vec<f64>, Vec<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let v1: Vec<f64> = (0..n).map(|_| 20.0 + 200.0 * rng.gen::<f64>().powi(3)).collect();
        let v2: Vec<f64> = v1.iter().map(|x| x * (0.9 + 0.3 * rng.gen::<f64>())).collect();
        (v1, v2)
    }

    /// Above HD_MAX_N pairs, the shift function from summaries built over the same batches as
    /// the in-memory one: every band and distribution-free interval contains the in-memory one,
    /// the estimates are within the accuracy, the critical values nearly equal.
    #[test]
    fn the_shift_function_from_summaries_contains_the_in_memory_one() {
        use crate::stats::summary::{LogHistogram, RELATIVE_ACCURACY as A};
        let n = HD_MAX_N + 50_000;
        let (v1, v2) = sample(5, n);
        let (s1, s2) = (sorted(&v1), sorted(&v2));
        let want = shift_function(&v1, &v2, &s1, &s2, true, 0.95, 9);
        let h = |idx: &mut dyn Iterator<Item = usize>, v: &[f64]| {
            let mut h = LogHistogram::new(A);
            idx.for_each(|i| {
                h.add(v[i]);
            });
            h
        };
        let whole = (h(&mut (0..n), &v1), h(&mut (0..n), &v2));
        let batches: Vec<(LogHistogram, LogHistogram)> = crate::stats::resample::split_batches(n, 9, crate::stats::resample::V1_SALT)
            .iter()
            .map(|idx| (h(&mut idx.iter().map(|&i| i as usize), &v1), h(&mut idx.iter().map(|&i| i as usize), &v2)))
            .collect();
        let got = shift_function_from_summaries((&whole.0, &whole.1), &batches, true, 0.95, 9);
        assert_eq!((got.estimator, got.method, got.resamples), (want.estimator, want.method, want.resamples));
        assert!((got.critical_value / want.critical_value - 1.0).abs() < 0.01, "{} against {}", got.critical_value, want.critical_value);
        for (g, w) in got.points.iter().zip(&want.points) {
            assert!((g.v1_ms / w.v1_ms - 1.0).abs() <= A && (g.v2_ms / w.v2_ms - 1.0).abs() <= A, "{g:?} against {w:?}");
            let (gr, wr) = (g.ratio, w.ratio);
            assert!(gr.lower <= wr.lower && wr.upper <= gr.upper, "q {}: {gr:?} does not contain {wr:?}", g.q);
            assert!((gr.upper / gr.lower).ln() <= (wr.upper / wr.lower).ln() + 0.012, "q {}: {gr:?} against {wr:?}", g.q);
            let (gf, wf) = (g.ratio_distribution_free, w.ratio_distribution_free);
            assert!(gf.lower <= wf.lower && wf.upper <= gf.upper, "q {}: {gf:?} does not contain {wf:?}", g.q);
        }
        let few = (LogHistogram::new(A), LogHistogram::new(A));
        assert_eq!(shift_function_from_summaries((&few.0, &few.1), &batches, true, 0.95, 9).method, "none");
    }

    /// Unpaired (canary) above HD_MAX_N per version: the same containment over each version's own
    /// batches of its sorted sample, as the in-memory path draws them.
    #[test]
    fn the_unpaired_shift_function_from_summaries_contains_the_in_memory_one() {
        use crate::stats::summary::{LogHistogram, RELATIVE_ACCURACY as A};
        let (v1, _) = sample(6, HD_MAX_N + 30_000);
        let (_, v2) = sample(8, HD_MAX_N + 70_000);
        let (s1, s2) = (sorted(&v1), sorted(&v2));
        let want = shift_function(&s1, &s2, &s1, &s2, false, 0.95, 4);
        let of = |v: &[f64], idx: &[u32]| {
            let mut h = LogHistogram::new(A);
            idx.iter().for_each(|&i| {
                h.add(v[i as usize]);
            });
            h
        };
        let split = |s: &[f64], salt: u64| crate::stats::resample::split_batches(s.len(), 4 ^ salt, crate::stats::resample::V1_SALT);
        let all = |v: &[f64]| (0..v.len() as u32).collect::<Vec<u32>>();
        let whole = (of(&s1, &all(&s1)), of(&s2, &all(&s2)));
        let batches: Vec<(LogHistogram, LogHistogram)> =
            split(&s1, 0x1111).iter().zip(split(&s2, 0x2222).iter()).map(|(a, b)| (of(&s1, a), of(&s2, b))).collect();
        let got = shift_function_from_summaries((&whole.0, &whole.1), &batches, false, 0.95, 4);
        assert_eq!((got.estimator, got.method, got.resamples), (want.estimator, want.method, want.resamples));
        assert!((got.critical_value / want.critical_value - 1.0).abs() < 0.01, "{} against {}", got.critical_value, want.critical_value);
        for (g, w) in got.points.iter().zip(&want.points) {
            let (gr, wr) = (g.ratio, w.ratio);
            assert!(gr.lower <= wr.lower && wr.upper <= gr.upper, "q {}: {gr:?} does not contain {wr:?}", g.q);
            let (gf, wf) = (g.ratio_distribution_free, w.ratio_distribution_free);
            assert!(gf.lower <= wf.lower && wf.upper <= gf.upper, "q {}: {gf:?} does not contain {wf:?}", g.q);
        }
    }

    fn textbook_covariance(rows: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let (b, k) = (rows.len(), rows[0].len());
        let mean = |j: usize| rows.iter().map(|r| r[j]).sum::<f64>() / b as f64;
        let mut c = vec![vec![0.0; k]; k];
        for i in 0..k {
            for j in 0..k {
                let (mi, mj) = (mean(i), mean(j));
                c[i][j] = rows.iter().map(|r| (r[i] - mi) * (r[j] - mj)).sum::<f64>() / (b - 1) as f64;
            }
        }
        c
    }

    fn log_hd(sorted: &[f64]) -> Vec<f64> {
        SHIFT_QUANTILES.iter().map(|&q| (harrell_davis(sorted, q) + LOG_OFFSET).ln()).collect()
    }

    /// n draws with replacement from 0..n on stream r + 1 of `seed`.
    fn draws(n: usize, seed: u64, r: usize) -> Vec<usize> {
        let mut g = ChaCha8Rng::seed_from_u64(seed);
        g.set_stream(r as u64 + 1);
        (0..n).map(|_| g.gen_range(0..n)).collect()
    }

    fn close(got: f64, want: f64, tol: f64, what: &str) {
        assert!(got == want || (got - want).abs() <= tol * want.abs().max(1e-300), "{what}: got {got}, want {want}");
    }

    /// Every point of `sf` against the definition, given each version's sorted sample and the
    /// covariance of the log ratios.
    fn check(sf: &ShiftFunction, s1: &[f64], s2: &[f64], cov: &[Vec<f64>], dof: Option<f64>, seed: u64) {
        check_with(sf, s1, s2, cov, dof, seed, harrell_davis, harrell_davis)
    }

    /// The type-7 estimate, as the shift function uses above HD_MAX_N observations.
    fn type7(sorted: &[f64], q: f64) -> f64 {
        quantile_sorted(sorted, q)
    }

    /// [`check`] with each version's estimator given (Harrell-Davis or type 7).
    #[allow(clippy::too_many_arguments)]
    fn check_with(
        sf: &ShiftFunction,
        s1: &[f64],
        s2: &[f64],
        cov: &[Vec<f64>],
        dof: Option<f64>,
        seed: u64,
        est1: fn(&[f64], f64) -> f64,
        est2: fn(&[f64], f64) -> f64,
    ) {
        let c = sup_t_critical(cov, sf.confidence, dof, seed);
        close(sf.critical_value, c, 1e-9, "critical value");
        let logs = |s: &[f64], est: fn(&[f64], f64) -> f64| -> Vec<f64> {
            SHIFT_QUANTILES.iter().map(|&q| (est(s, q) + LOG_OFFSET).ln()).collect()
        };
        let (e1, e2) = (logs(s1, est1), logs(s2, est2));
        let pointwise = 1.0 - (1.0 - sf.confidence) / 11.0;
        for (i, p) in sf.points.iter().enumerate() {
            let what = |s: &str| format!("q = {}: {s}", p.q);
            let lr = e2[i] - e1[i];
            let half = c * cov[i][i].sqrt();
            close(p.ratio.estimate, lr.exp(), 1e-12, &what("ratio"));
            close(p.ratio.lower, (lr - half).exp(), 1e-9, &what("ratio lower"));
            close(p.ratio.upper, (lr + half).exp(), 1e-9, &what("ratio upper"));
            let (h1, h2) = (est1(s1, p.q), est2(s2, p.q));
            close(p.v1_ms, h1, 1e-12, &what("V1"));
            close(p.v2_ms, h2, 1e-12, &what("V2"));
            close(p.diff_ms.estimate, h2 - h1, 1e-9, &what("difference"));
            close(p.diff_ms.lower, (h1 + LOG_OFFSET) * ((lr - half).exp() - 1.0), 1e-8, &what("difference lower"));
            close(p.diff_ms.upper, (h1 + LOG_OFFSET) * ((lr + half).exp() - 1.0), 1e-8, &what("difference upper"));
            let free = |s: &[f64]| quantile_with_ci(s, p.q, pointwise).map(|x| x + LOG_OFFSET);
            let (lo, hi) = crate::stats::quantile_ratio::mover_log_ratio(free(s1), free(s2));
            close(p.ratio_distribution_free.lower, lo.exp(), 1e-12, &what("distribution-free lower"));
            close(p.ratio_distribution_free.upper, hi.exp(), 1e-12, &what("distribution-free upper"));
        }
    }

    #[test]
    fn paired_band_is_the_bootstrap_of_resampled_pairs() {
        let (v1, v2) = sample(1, 150);
        let (s1, s2) = (sorted(&v1), sorted(&v2));
        let seed = 9;
        let sf = shift_function(&v1, &v2, &s1, &s2, true, 0.95, seed);
        assert_eq!((sf.method, sf.resamples, sf.estimator), ("bootstrap-paired", REPLICATES, "harrell-davis"));
        let rows: Vec<Vec<f64>> = (0..REPLICATES)
            .map(|r| {
                let idx = draws(v1.len(), seed, r);
                let a = sorted(&idx.iter().map(|&i| v1[i]).collect::<Vec<_>>());
                let b = sorted(&idx.iter().map(|&i| v2[i]).collect::<Vec<_>>());
                log_hd(&b).iter().zip(log_hd(&a)).map(|(y, x)| y - x).collect()
            })
            .collect();
        check(&sf, &s1, &s2, &textbook_covariance(&rows), None, seed);
    }

    #[test]
    fn independent_band_adds_each_versions_bootstrap_covariance() {
        let (v1, _) = sample(2, 120);
        let (_, v2) = sample(3, 90);
        let (s1, s2) = (sorted(&v1), sorted(&v2));
        let seed = 4;
        let sf = shift_function(&v1, &v2, &s1, &s2, false, 0.9, seed);
        assert_eq!((sf.method, sf.resamples), ("bootstrap-independent", REPLICATES));
        // Each version resampled on its own stream (salts 0x1111 and 0x2222), by sorted position.
        let cov = sum(&bootstrap_of(&s1, seed ^ 0x1111), &bootstrap_of(&s2, seed ^ 0x2222));
        check(&sf, &s1, &s2, &cov, None, seed);
    }

    #[test]
    fn above_the_bootstrap_limit_paired_bands_come_from_batch_means_with_t() {
        let (v1, v2) = sample(5, BOOTSTRAP_MAX_N + 1);
        let (s1, s2) = (sorted(&v1), sorted(&v2));
        let seed = 6;
        let sf = shift_function(&v1, &v2, &s1, &s2, true, 0.95, seed);
        assert_eq!((sf.method, sf.resamples), ("batch-means", BATCHES));
        let cov = paired_batch_means(&v1, &v2, seed);
        check(&sf, &s1, &s2, &cov, Some((BATCHES - 1) as f64), seed);
    }

    /// Batch-means covariance of the pairs' type-7 log ratios: the same batches of pairs for both
    /// versions (V1's salt), the textbook covariance over them, / K.
    fn paired_batch_means(v1: &[f64], v2: &[f64], seed: u64) -> Vec<Vec<f64>> {
        let t7 = |b: &[f64]| -> Vec<f64> { SHIFT_QUANTILES.iter().map(|&q| (quantile_sorted(b, q) + LOG_OFFSET).ln()).collect() };
        let rows: Vec<Vec<f64>> = crate::stats::resample::split_batches(v1.len(), seed, crate::stats::resample::V1_SALT)
            .iter()
            .map(|idx| {
                let a = t7(&sorted(&idx.iter().map(|&i| v1[i as usize]).collect::<Vec<_>>()));
                let b = t7(&sorted(&idx.iter().map(|&i| v2[i as usize]).collect::<Vec<_>>()));
                b.iter().zip(a).map(|(y, x)| y - x).collect()
            })
            .collect();
        textbook_covariance(&rows).into_iter().map(|r| r.into_iter().map(|x| x / BATCHES as f64).collect()).collect()
    }

    /// Batch-means covariance of one sorted sample's eleven type-7 log quantiles, from its
    /// definition: the batches `split_batches` draws, the textbook covariance over them, / K.
    fn batch_means_of(s: &[f64], seed: u64) -> Vec<Vec<f64>> {
        let rows: Vec<Vec<f64>> = crate::stats::resample::split_batches(s.len(), seed, crate::stats::resample::V1_SALT)
            .iter()
            .map(|idx| {
                let b = sorted(&idx.iter().map(|&i| s[i as usize]).collect::<Vec<_>>());
                SHIFT_QUANTILES.iter().map(|&q| (quantile_sorted(&b, q) + LOG_OFFSET).ln()).collect()
            })
            .collect();
        textbook_covariance(&rows).into_iter().map(|r| r.into_iter().map(|x| x / BATCHES as f64).collect()).collect()
    }

    /// Bootstrap covariance of one sorted sample's eleven HD log quantiles on `seed`'s streams.
    fn bootstrap_of(s: &[f64], seed: u64) -> Vec<Vec<f64>> {
        let rows: Vec<Vec<f64>> =
            (0..REPLICATES).map(|r| log_hd(&sorted(&draws(s.len(), seed, r).iter().map(|&i| s[i]).collect::<Vec<_>>()))).collect();
        textbook_covariance(&rows)
    }

    fn sum(a: &[Vec<f64>], b: &[Vec<f64>]) -> Vec<Vec<f64>> {
        a.iter().zip(b).map(|(x, y)| x.iter().zip(y).map(|(u, v)| u + v).collect()).collect()
    }

    #[test]
    fn unpaired_above_the_bootstrap_limit_both_versions_use_batch_means_with_t() {
        let (v1, _) = sample(10, BOOTSTRAP_MAX_N + 1);
        let (_, v2) = sample(11, BOOTSTRAP_MAX_N + 7);
        let (s1, s2) = (sorted(&v1), sorted(&v2));
        let seed = 12;
        let sf = shift_function(&v1, &v2, &s1, &s2, false, 0.95, seed);
        assert_eq!((sf.method, sf.resamples, sf.estimator), ("batch-means", BATCHES, "harrell-davis"));
        let cov = sum(&batch_means_of(&s1, seed ^ 0x1111), &batch_means_of(&s2, seed ^ 0x2222));
        check(&sf, &s1, &s2, &cov, Some((BATCHES - 1) as f64), seed);
    }

    /// A canary whose V1 side has more than HD_MAX_N requests and V2 side a few hundred: type-7
    /// estimates and batch means for V1, Harrell-Davis and the bootstrap for V2, normal c.
    #[test]
    fn mixed_sizes_add_a_batch_means_and_a_bootstrap_covariance() {
        let (v1, _) = sample(13, HD_MAX_N + 1);
        let (_, v2) = sample(14, 150);
        let (s1, s2) = (sorted(&v1), sorted(&v2));
        let seed = 15;
        let sf = shift_function(&v1, &v2, &s1, &s2, false, 0.9, seed);
        assert_eq!((sf.method, sf.resamples), ("bootstrap+batch-means", REPLICATES));
        assert_eq!(sf.estimator, "harrell-davis up to 1,000,000 observations, type-7 above");
        let cov = sum(&batch_means_of(&s1, seed ^ 0x1111), &bootstrap_of(&s2, seed ^ 0x2222));
        check_with(&sf, &s1, &s2, &cov, None, seed, type7, harrell_davis);
        // The other way round, and both above HD_MAX_N when paired: type 7 on both sides.
        let sf = shift_function(&v2, &v1, &s2, &s1, false, 0.9, seed);
        assert_eq!(sf.estimator, "harrell-davis up to 1,000,000 observations, type-7 above");
        let cov = sum(&bootstrap_of(&s2, seed ^ 0x1111), &batch_means_of(&s1, seed ^ 0x2222));
        check_with(&sf, &s2, &s1, &cov, None, seed, harrell_davis, type7);
    }

    #[test]
    fn above_the_harrell_davis_limit_paired_estimates_are_type_7() {
        let (v1, v2) = sample(16, HD_MAX_N + 1);
        let (s1, s2) = (sorted(&v1), sorted(&v2));
        let seed = 17;
        let sf = shift_function(&v1, &v2, &s1, &s2, true, 0.95, seed);
        assert_eq!((sf.method, sf.estimator), ("batch-means", "type-7"));
        let cov = paired_batch_means(&v1, &v2, seed);
        check_with(&sf, &s1, &s2, &cov, Some((BATCHES - 1) as f64), seed, type7, type7);
    }

    #[test]
    fn undefined_below_twenty_values_for_unequal_pairs_and_negative_latencies() {
        let (v1, v2) = sample(7, 20);
        let (s1, s2) = (sorted(&v1), sorted(&v2));
        assert_eq!(shift_function(&v1, &v2, &s1, &s2, true, 0.95, 1).method, "bootstrap-paired", "20 is enough");
        assert_eq!(shift_function(&v1[1..], &v2[1..], &s1[1..], &s2[1..], true, 0.95, 1).method, "none");
        assert_eq!(shift_function(&v1, &v2[1..], &s1, &s2[1..], false, 0.95, 1).method, "none", "19 on one side");
        let (w1, _) = sample(8, 21);
        assert_eq!(shift_function(&w1, &v2, &sorted(&w1), &s2, true, 0.95, 1).method, "none", "unequal pairs");
        let mut neg = s1.clone();
        neg[0] = -1.0;
        let none = shift_function(&neg, &v2, &neg, &s2, true, 0.95, 1);
        assert_eq!(none.method, "none");
        assert!(none.points.iter().all(|p| p.ratio.estimate.is_nan()) && none.critical_value.is_nan());
        let mut neg2 = s2.clone();
        neg2[0] = -1.0;
        assert_eq!(shift_function(&v1, &neg2, &s1, &neg2, false, 0.95, 1).method, "none", "a negative V2 latency");
        // A latency of 0 (rounded down) is a latency: defined, on either side.
        let mut zero1 = s1.clone();
        zero1[0] = 0.0;
        let mut zero2 = s2.clone();
        zero2[0] = 0.0;
        assert_eq!(shift_function(&zero1, &zero2, &zero1, &zero2, false, 0.95, 1).method, "bootstrap-independent");
    }

    /// The sup-t critical value recomputed from explicit draws on its documented random streams
    /// (stream r + 1 of the seed xor 5 << 40: k normals, then the chi-square for the degrees of
    /// freedom), so that a release that changes them shows in this test and not only as moved
    /// bands. The closed forms it must match are in src/stats/tests.rs.
    #[test]
    fn sup_t_draws_are_the_documented_streams() {
        let cov = [vec![4.0, 1.2], vec![1.2, 0.81]];
        let ridge = 1e-10 * (4.0 + 0.81) / 2.0;
        let l00 = (4.0f64 + ridge).sqrt();
        let l10 = 1.2 / l00;
        let l11 = (0.81 + ridge - l10 * l10).sqrt();
        // Bits 40 and 42 set: xor, or and and of the mixed-in constant all differ.
        let seed = (1u64 << 40) | (1 << 42) | 77;
        for dof in [None, Some(7.0)] {
            let mut maxima: Vec<f64> = (0..SUP_T_DRAWS)
                .map(|r| {
                    let mut g = ChaCha8Rng::seed_from_u64(seed ^ (5u64 << 40));
                    g.set_stream(r as u64 + 1);
                    let (z0, z1): (f64, f64) = (g.sample(StandardNormal), g.sample(StandardNormal));
                    let scale = dof.map_or(1.0, |d| (ChiSquared::<f64>::new(d).expect("dof").sample(&mut g) / d).sqrt());
                    let a = (l00 * z0 / 2.0 / scale).abs();
                    let b = ((l10 * z0 + l11 * z1) / 0.9 / scale).abs();
                    a.max(b)
                })
                .collect();
            maxima.sort_by(f64::total_cmp);
            let want = quantile_sorted(&maxima, 0.95);
            close(sup_t_critical(&cov, 0.95, dof, seed), want, 1e-12, &format!("c with dof {dof:?}"));
        }
    }

    #[test]
    fn helpers_match_their_definitions() {
        // argsort: ties by index, so the permutation is unique.
        assert_eq!(argsort(&[3.0, 1.0, 2.0, 1.0]), vec![1, 3, 2, 0]);
        let mut cum = Vec::new();
        cumulative(&[2, 0, 1, 1], &[1, 3, 2, 0], &mut cum);
        assert_eq!(cum, vec![0, 0, 1, 2, 4]);
        let mut counts = Vec::new();
        resample_counts(50, 3, 7, &mut counts);
        let mut want = vec![0u32; 50];
        for i in draws(50, 3, 7) {
            want[i] += 1;
        }
        assert_eq!(counts, want);
        let rows = vec![vec![1.0, 2.0], vec![2.0, 1.0], vec![4.0, 7.0]];
        assert_eq!(covariance(&rows), textbook_covariance(&rows));
        assert_eq!(scaled(vec![vec![50.0, 5.0]]), vec![vec![1.0, 0.1]]);
        // The Cholesky factor is that of the matrix plus a ridge of 1e-10 times its mean variance
        // (4e-10 here; rounding in L L^T is ~1e-15).
        let c = vec![vec![4.0, 2.0, 0.6], vec![2.0, 5.0, 1.5], vec![0.6, 1.5, 3.0]];
        let l = cholesky(&c);
        let ridge = 1e-10 * (4.0 + 5.0 + 3.0) / 3.0;
        for i in 0..3 {
            assert_eq!(l[i][i + 1..].iter().filter(|&&x| x != 0.0).count(), 0, "lower triangular");
            for j in 0..3 {
                let llt: f64 = (0..3).map(|m| l[i][m] * l[j][m]).sum();
                let want = c[i][j] + if i == j { ridge } else { 0.0 };
                assert!((llt - want).abs() < 1e-13, "(L L^T)[{i}][{j}] = {llt}, want {want}");
            }
        }
        // Singular (two identical quantiles): the ridge keeps the second pivot sqrt(2 ridge) > 0.
        let l = cholesky(&[vec![1.0, 1.0], vec![1.0, 1.0]]);
        close(l[1][1], (2e-10f64 - 1e-20).sqrt(), 1e-5, "pivot of a singular matrix");
        // All zero: no ridge, zero pivots, and no division by them.
        assert_eq!(cholesky(&vec![vec![0.0; 2]; 2]), vec![vec![0.0; 2]; 2]);
        assert_eq!(ln(0.0), LOG_OFFSET.ln());
        close(ln(100.0), (100.0 + LOG_OFFSET).ln(), 1e-15, "ln");
    }
}
