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

#[cfg(test)]
mod tests {
    use super::chi_square_gof;

    #[test]
    fn shares_are_normalized_and_degenerate_inputs_give_nan() {
        // 600 vs 400 against 50/50: (100^2/500) * 2 = 40, whatever scale the shares are given in.
        let (stat, p) = chi_square_gof(&[600, 400], &[0.5, 0.5]);
        assert!((stat - 40.0).abs() < 1e-12, "{stat}");
        assert!(p > 0.0 && p < 1e-9, "{p}");
        assert_eq!(chi_square_gof(&[600, 400], &[1.0, 1.0]), (stat, p));
        assert_eq!(chi_square_gof(&[600, 400], &[3.0, 2.0]).0, 0.0);
        let nan = |r: (f64, f64)| r.0.is_nan() && r.1.is_nan();
        assert!(nan(chi_square_gof(&[600], &[1.0])), "one category has no degrees of freedom");
        assert!(nan(chi_square_gof(&[600, 400], &[0.5, 0.3, 0.2])), "lengths differ");
        assert!(nan(chi_square_gof(&[600, 400, 10], &[0.5, 0.5])), "lengths differ");
        assert!(nan(chi_square_gof(&[0, 0], &[0.5, 0.5])), "no observations");
        assert!(nan(chi_square_gof(&[600, 400], &[0.0, 0.0])), "no expected share");
        assert!(nan(chi_square_gof(&[600, 400], &[-0.5, -0.5])), "shares that sum below zero");
    }
}
