//! Sample-ratio mismatch: does the observed traffic split match the configured one?

use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Pearson's chi-square goodness-of-fit test of observed counts against expected proportions
/// (which are normalized to sum to 1), k-1 degrees of freedom; SciPy's `chisquare`. Returns
/// (statistic, p). Used for sample-ratio mismatch (Fabijan et al. 2019, KDD). O(k).
pub fn chi_square_gof(observed: &[u64], expected_share: &[f64]) -> (f64, f64) {
    let total: u64 = observed.iter().sum();
    let share_sum: f64 = expected_share.iter().sum();
    if observed.len() < 2 || observed.len() != expected_share.len() || total == 0 || share_sum <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let stat: f64 = observed
        .iter()
        .zip(expected_share)
        .map(|(o, s)| {
            let e = total as f64 * s / share_sum;
            (*o as f64 - e).powi(2) / e
        })
        .sum();
    let dof = (observed.len() - 1) as f64;
    let p = ChiSquared::new(dof).map_or(f64::NAN, |c| c.sf(stat));
    (stat, p)
}
