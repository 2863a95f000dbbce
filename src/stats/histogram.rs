//! Equal-width histograms: shares of a sample per bin over `[lo, hi)`, values outside clamped to
//! the first or last bin, non-finite values counted in the total but in no bin.

/// The bin of a finite value: `floor((v - lo) / width)`, clamped to `0..bins`. Monotone in `v`,
/// which is what lets [`shares_sorted`] count a sorted sample by binary search.
pub fn bin(v: f64, lo: f64, width: f64, bins: usize) -> usize {
    (((v - lo) / width).floor().max(0.0) as usize).min(bins - 1)
}

/// Share of `values` in each of `bins` equal bins over `[lo, hi)`, in one pass. O(n).
pub fn shares(values: &[f64], lo: f64, hi: f64, bins: usize) -> Vec<f64> {
    let mut counts = vec![0u64; bins];
    let width = (hi - lo) / bins as f64;
    for &v in values.iter().filter(|v| v.is_finite()) {
        counts[bin(v, lo, width, bins)] += 1;
    }
    normalize(&counts, values.len())
}

/// [`shares`] of a sample sorted by `f64::total_cmp`, the same numbers, by a binary search per
/// bin edge: O(bins log n).
pub fn shares_sorted(sorted: &[f64], lo: f64, hi: f64, bins: usize) -> Vec<f64> {
    let width = (hi - lo) / bins as f64;
    // total_cmp puts -NaN and -inf before the finite values, +inf and +NaN after them.
    let start = sorted.partition_point(|v| v.is_nan() && v.is_sign_negative() || *v == f64::NEG_INFINITY);
    let end = sorted.partition_point(|v| v.is_finite() || v.is_sign_negative());
    let finite = &sorted[start..end.max(start)];
    let edges: Vec<usize> =
        (0..=bins).map(|j| if j == bins { finite.len() } else { finite.partition_point(|&v| bin(v, lo, width, bins) < j) }).collect();
    let counts: Vec<u64> = edges.windows(2).map(|w| (w[1] - w[0]) as u64).collect();
    normalize(&counts, sorted.len())
}

fn normalize(counts: &[u64], n: usize) -> Vec<f64> {
    let n = n.max(1) as f64;
    counts.iter().map(|&c| c as f64 / n).collect()
}

#[cfg(test)]
mod tests {
    use super::{shares, shares_sorted};
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            -5.0f64..5.0,
            (-500i32..500).prop_map(|k| f64::from(k) / 100.0),
            Just(f64::NAN),
            Just(-f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(0.0),
            Just(-0.0),
        ]
    }

    proptest! {
        #[test]
        fn counting_a_sorted_sample_by_search_gives_the_one_pass_shares(
            mut v in prop::collection::vec(value(), 0..300),
            lo in -3.0f64..1.0,
            span in 0.01f64..4.0,
            bins in 1usize..70,
        ) {
            let want = shares(&v, lo, lo + span, bins);
            crate::stats::sort_in_place(&mut v);
            let got = shares_sorted(&v, lo, lo + span, bins);
            prop_assert_eq!(got.len(), bins);
            prop_assert!(got.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()), "{:?} vs {:?}", got, want);
        }
    }

    #[test]
    fn values_outside_fall_in_the_end_bins_and_non_finite_ones_in_none() {
        let v = [-10.0, 0.05, 0.5, 0.95, 10.0, f64::NAN, f64::INFINITY, -f64::NAN];
        assert_eq!(shares(&v, 0.0, 1.0, 2), vec![2.0 / 8.0, 3.0 / 8.0]);
        let mut s = v.to_vec();
        crate::stats::sort_in_place(&mut s);
        assert_eq!(shares_sorted(&s, 0.0, 1.0, 2), vec![2.0 / 8.0, 3.0 / 8.0]);
        assert_eq!(shares(&[], 0.0, 1.0, 3), vec![0.0; 3]);
    }
}
