//! The summaries against the in-memory functions: each statistic of a summary equals the
//! in-memory function applied to the rounded values (those functions are checked against SciPy in
//! `stats/tests.rs`), and stays within the stated bound of the in-memory function applied to the
//! exact values.

use super::{batch_means_ratio, LogHistogram, Moments, PairMoments, SignedHistogram, RELATIVE_ACCURACY};
use crate::stats::nonparametric::{hodges_lehmann_one_sample, wilcoxon_signed_rank, RankTest};
use crate::stats::quantile::{quantile_sorted, quantile_with_ci};
use crate::stats::resample::{batch_means_interval, mean_ratio, splitmix, BATCHES};
use crate::stats::{sorted, variance};
use proptest::prelude::*;

const A: f64 = RELATIVE_ACCURACY;
/// Floating-point slack on the stated bounds (the bounds are exact in real arithmetic).
const FP: f64 = 1e-9;

/// Latency-like values: log-uniform over 24 decades, whole milliseconds (ties), exact zeros,
/// values on and next to cell edges, and extremes.
fn latency() -> impl Strategy<Value = f64> {
    let gamma = (1.0 + A) / (1.0 - A);
    prop_oneof![
        4 => (-6.0f64..6.0).prop_map(|e| 10f64.powf(e)),
        2 => (0u32..200).prop_map(f64::from),
        1 => Just(0.0),
        1 => (-2000i32..2000).prop_map(move |i| gamma.powi(i)),
        1 => (-2000i32..2000).prop_map(move |i| f64::from_bits(gamma.powi(i).to_bits() + 1)),
        1 => prop_oneof![Just(f64::MIN_POSITIVE), Just(5e-324), Just(1e300)],
    ]
}

fn histogram(values: &[f64]) -> LogHistogram {
    let mut h = LogHistogram::new(A);
    for &v in values {
        assert!(h.add(v));
    }
    h
}

fn cells(h: &LogHistogram) -> Vec<(u64, u64)> {
    h.cells().map(|(c, n)| (c.value.to_bits(), n)).collect()
}

fn quantiles() -> Vec<f64> {
    vec![0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0, 1.0 / 3.0]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn a_value_is_rounded_within_the_accuracy_inside_its_cell_and_in_order(x in latency(), y in latency()) {
        let h = LogHistogram::new(A);
        let r = h.rounded(x);
        prop_assert!((r - x).abs() <= A * x * (1.0 + FP), "{x} -> {r}");
        let mut one = LogHistogram::new(A);
        one.add(x);
        let (cell, _) = one.cells().next().expect("one cell");
        prop_assert!(cell.lower <= x && x <= cell.upper, "{x} outside {cell:?}");
        prop_assert_eq!(cell.value.to_bits(), r.to_bits());
        if x <= y {
            prop_assert!(h.rounded(x) <= h.rounded(y));
        }
        // Located on the fine grid, counted on one ten times coarser: still a cell holding x.
        let mut coarse = one.coarsened(10);
        coarse.add_at(one.locate(x).expect("takes x"));
        let (cell, _) = coarse.cells().next().expect("one cell");
        prop_assert!(cell.lower <= x && x <= cell.upper, "{x} outside the coarse {cell:?}");
        prop_assert!((cell.value - x).abs() <= coarse.alpha() * x * (1.0 + FP), "{x} -> {cell:?}");
        prop_assert!((coarse.alpha() / (10.0 * A) - 1.0).abs() < 1e-3);
    }

    #[test]
    fn quantiles_are_the_rounded_values_type_7_and_within_the_accuracy_of_the_exact_ones(
        values in prop::collection::vec(latency(), 1..400),
    ) {
        let h = histogram(&values);
        let exact = sorted(&values);
        let rounded = sorted(&values.iter().map(|&v| h.rounded(v)).collect::<Vec<_>>());
        for q in quantiles() {
            let got = h.quantile(q);
            prop_assert_eq!(got.to_bits(), quantile_sorted(&rounded, q).to_bits(), "q {}", q);
            let want = quantile_sorted(&exact, q);
            prop_assert!((got - want).abs() <= A * want * (1.0 + FP), "q {q}: {got} against {want}");
            let (lo, hi) = h.quantile_bounds(q);
            prop_assert!(lo <= want * (1.0 + FP) && want <= hi * (1.0 + FP), "q {q}: {want} outside [{lo}, {hi}]");
        }
    }

    #[test]
    fn quantile_intervals_contain_the_exact_ones_and_are_at_most_a_cell_wider(
        values in prop::collection::vec(latency(), 1..400),
        confidence in prop_oneof![Just(0.95), Just(0.99), 0.5f64..0.999],
    ) {
        let h = histogram(&values);
        let exact = sorted(&values);
        let gamma = (1.0 + A) / (1.0 - A) * (1.0 + 1e-11);
        for q in quantiles() {
            let got = h.quantile_with_ci(q, confidence);
            let want = quantile_with_ci(&exact, q, confidence);
            prop_assert_eq!(got.lower.is_finite(), want.lower.is_finite());
            prop_assert_eq!(got.upper.is_finite(), want.upper.is_finite());
            if want.lower.is_finite() {
                prop_assert!(got.lower <= want.lower && got.lower * gamma >= want.lower, "q {q}: {got:?} against {want:?}");
            }
            if want.upper.is_finite() {
                prop_assert!(got.upper >= want.upper && got.upper <= want.upper * gamma, "q {q}: {got:?} against {want:?}");
            }
        }
    }

    #[test]
    fn merged_parts_are_the_histogram_of_the_whole(
        values in prop::collection::vec(latency(), 0..300),
        cuts in prop::collection::vec(0usize..300, 0..4),
    ) {
        let whole = histogram(&values);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(values.len())).collect();
        cuts.push(0);
        cuts.push(values.len());
        cuts.sort_unstable();
        let parts: Vec<LogHistogram> = cuts.windows(2).map(|w| histogram(&values[w[0]..w[1]])).collect();
        // forwards and backwards: merging is order-free
        let mut forwards = LogHistogram::new(A);
        parts.iter().for_each(|p| forwards.merge(p));
        let mut backwards = LogHistogram::new(A);
        parts.iter().rev().for_each(|p| backwards.merge(p));
        prop_assert_eq!(cells(&forwards), cells(&whole));
        prop_assert_eq!(cells(&backwards), cells(&whole));
        prop_assert_eq!(forwards.len(), values.len() as u64);
        let signed = |v: &[f64]| {
            let mut h = SignedHistogram::for_relative_accuracy(A);
            v.iter().for_each(|&x| { h.add(x.ln()); });
            h
        };
        let mut merged = SignedHistogram::for_relative_accuracy(A);
        cuts.windows(2).rev().for_each(|w| merged.merge(&signed(&values[w[0]..w[1]])));
        let bits = |h: &SignedHistogram| h.cells().map(|(v, c)| (v.to_bits(), c)).collect::<Vec<_>>();
        prop_assert_eq!(bits(&merged), bits(&signed(&values)));
    }
}

/// Log ratios: continuous, on a coarse lattice (ties and exact zeros), and on cell midpoints.
fn log_ratio() -> impl Strategy<Value = f64> {
    let w = 2.0 * A.ln_1p();
    prop_oneof![
        4 => -0.5f64..0.6,
        2 => (-20i32..20).prop_map(|k| f64::from(k) * 0.01),
        1 => (-40i32..40).prop_map(move |k| (f64::from(k) + 0.5) * w),
        1 => -30.0f64..30.0,
    ]
}

fn signed_histogram(d: &[f64]) -> SignedHistogram {
    let mut h = SignedHistogram::for_relative_accuracy(A);
    for &v in d {
        assert!(h.add(v));
    }
    h
}

fn same_test(a: RankTest, b: RankTest) -> bool {
    let bits = |t: RankTest| (t.statistic.to_bits(), t.z.to_bits(), t.p_value.to_bits(), t.method, t.n, t.effect_size.to_bits());
    bits(a) == bits(b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_signed_rank_test_of_a_summary_is_the_test_of_the_rounded_values(
        d in prop::collection::vec(log_ratio(), 0..300),
    ) {
        let h = signed_histogram(&d);
        let rounded: Vec<f64> = d.iter().map(|&v| h.rounded(v)).collect();
        let (got, want) = (h.signed_rank(), wilcoxon_signed_rank(&rounded));
        prop_assert!(same_test(got, want), "{got:?} against {want:?}");
    }

    #[test]
    fn hodges_lehmann_of_a_summary_is_that_of_the_rounded_values_and_within_half_a_cell(
        d in prop::collection::vec(log_ratio(), 1..250),
        confidence in prop_oneof![Just(0.95), 0.5f64..0.999],
    ) {
        let h = signed_histogram(&d);
        let w = h.width();
        let rounded: Vec<f64> = d.iter().map(|&v| h.rounded(v)).collect();
        let got = h.hodges_lehmann(confidence);
        let of_rounded = hodges_lehmann_one_sample(&rounded, confidence);
        let exact = hodges_lehmann_one_sample(&d, confidence);
        let close = |a: f64, b: f64| a == b || (a - b).abs() <= 1e-12 * a.abs().max(1.0);
        for (a, b) in [(got.estimate, of_rounded.estimate), (got.lower, of_rounded.lower), (got.upper, of_rounded.upper)] {
            prop_assert!(close(a, b), "{got:?} against the rounded values' {of_rounded:?}");
        }
        let near = |a: f64, b: f64| a == b || (a - b).abs() <= w / 2.0 * (1.0 + FP);
        for (a, b) in [(got.estimate, exact.estimate), (got.lower, exact.lower), (got.upper, exact.upper)] {
            prop_assert!(near(a, b), "{got:?} against the exact {exact:?}");
        }
        let wide = h.hodges_lehmann_widened(confidence);
        prop_assert!(wide.lower <= exact.lower && exact.upper <= wide.upper, "{wide:?} does not contain {exact:?}");
    }

    #[test]
    fn moments_merged_from_parts_give_the_two_pass_mean_variance_and_mean_ratio(
        pairs in prop::collection::vec((0.0f64..5000.0, 0.0f64..5000.0), 2..300),
        cut in 0usize..300,
    ) {
        let cut = cut.min(pairs.len());
        let (x, y): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
        let of = |p: &[(f64, f64)]| {
            let mut m = PairMoments::default();
            p.iter().for_each(|&(a, b)| m.add(a, b));
            m
        };
        let mut m = of(&pairs[cut..]);
        m.merge(&of(&pairs[..cut]));
        let rel = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-300);
        prop_assert!(rel(m.x.mean, crate::stats::mean(&x)) && rel(m.y.mean, crate::stats::mean(&y)));
        prop_assert!(rel(m.x.variance(), variance(&x)), "{} against {}", m.x.variance(), variance(&x));
        let (got, want) = (m.mean_ratio(0.95), mean_ratio(&x, &y, true, 0.95));
        prop_assert_eq!(got.method, want.method);
        for (a, b) in [(got.interval.estimate, want.interval.estimate), (got.interval.lower, want.interval.lower), (got.interval.upper, want.interval.upper)] {
            prop_assert!(a == b || rel(a, b), "{got:?} against {want:?}");
        }
        let mut one = Moments::default();
        x.iter().for_each(|&v| one.add(v));
        let i = one.mean_interval(0.95);
        let s = crate::metrics::latency::summarize_sorted(&sorted(&x), 0.95);
        prop_assert!(rel(i.estimate, s.mean.estimate) && rel(i.lower, s.mean.lower) && rel(i.upper, s.mean.upper));
    }
}

/// Log-normal latencies of `n` pairs, V2 about 4% slower with its own noise: (v1, v2).
pub(crate) fn pairs(n: usize, seed: u64) -> Vec<(f64, f64)> {
    let normal = |k: u64| {
        // Box-Muller on two splitmix uniforms
        let u = (splitmix(seed ^ (2 * k)) >> 11) as f64 / (1u64 << 53) as f64;
        let v = (splitmix(seed ^ (2 * k + 1)) >> 11) as f64 / (1u64 << 53) as f64;
        (-2.0 * (1.0 - u).ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    };
    (0..n as u64)
        .map(|k| {
            let base = 4.0 + 0.8 * normal(3 * k);
            ((base + 0.1 * normal(3 * k + 1)).exp(), (base + 0.04 + 0.1 * normal(3 * k + 2)).exp())
        })
        .collect()
}

#[test]
fn batch_means_from_summaries_contain_the_exact_interval_of_the_same_batches() {
    for (n, seed) in [(30_000, 1u64), (120_000, 2), (60_000, 3)] {
        let p = pairs(n, seed);
        let batch_of = |k: usize| (splitmix(seed ^ k as u64) % BATCHES as u64) as usize;
        let mut whole = (LogHistogram::new(A), LogHistogram::new(A));
        let mut batches: Vec<(LogHistogram, LogHistogram)> = (0..BATCHES).map(|_| (LogHistogram::new(A), LogHistogram::new(A))).collect();
        let mut gathered: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); BATCHES];
        for (k, &(a, b)) in p.iter().enumerate() {
            whole.0.add(a);
            whole.1.add(b);
            let batch = batch_of(k);
            batches[batch].0.add(a);
            batches[batch].1.add(b);
            gathered[batch].0.push(a);
            gathered[batch].1.push(b);
        }
        let (s1, s2): (Vec<f64>, Vec<f64>) = p.iter().copied().unzip();
        let (s1, s2) = (sorted(&s1), sorted(&s2));
        for q in [0.5, 0.9, 0.95, 0.99] {
            let got = batch_means_ratio((&whole.0, &whole.1), &batches, q, 0.95);
            let logs = gathered.iter().map(|(a, b)| (quantile_sorted(&sorted(b), q) / quantile_sorted(&sorted(a), q)).ln()).collect();
            let want = batch_means_interval(quantile_sorted(&s2, q) / quantile_sorted(&s1, q), logs, 0.95);
            let (g, w) = (got.interval, want.interval);
            assert_eq!((got.method, got.resamples), ("batch-means", BATCHES));
            assert!(g.lower <= w.lower && w.upper <= g.upper, "n {n} q {q}: {g:?} does not contain {w:?}");
            // at most the stated widening (0.26%) plus the rounding of the batch quantiles
            assert!(g.lower >= w.lower * (1.0 - 0.006) && g.upper <= w.upper * (1.0 + 0.006), "n {n} q {q}: {g:?} against {w:?}");
            assert!((g.estimate / w.estimate - 1.0).abs() <= 2.0 * A * (1.0 + FP), "n {n} q {q}: {g:?} against {w:?}");
        }
    }
}

#[test]
fn summaries_of_nothing_and_of_one_value() {
    let empty = LogHistogram::new(A);
    assert!(empty.quantile(0.5).is_nan());
    let i = empty.quantile_with_ci(0.5, 0.95);
    assert!(i.estimate.is_nan() && i.lower == f64::NEG_INFINITY && i.upper == f64::INFINITY);
    assert!(empty.evenly_spaced_quantiles(10).is_empty());
    let one = histogram(&[7.0]);
    assert_eq!(one.quantile(0.99), one.rounded(7.0));
    let i = one.quantile_with_ci(0.5, 0.95);
    assert_eq!((i.lower, i.upper), (f64::NEG_INFINITY, f64::INFINITY), "one value bounds no median at 95%");
    let zeros = histogram(&[0.0, 0.0, -0.0]);
    assert_eq!((zeros.quantile(0.5), zeros.quantile_bounds(1.0)), (0.0, (0.0, 0.0)));
    let mut h = LogHistogram::new(A);
    assert!(!h.add(-1.0) && !h.add(f64::NAN) && !h.add(f64::INFINITY));
    assert!(h.is_empty());
    let s = SignedHistogram::for_relative_accuracy(A);
    assert_eq!(s.signed_rank().n, 0);
    assert!(s.hodges_lehmann(0.95).estimate.is_nan());
    let mut s = SignedHistogram::for_relative_accuracy(A);
    assert!(!s.add(f64::NAN) && !s.add(f64::NEG_INFINITY) && s.is_empty());
    assert_eq!(Moments::default().mean_interval(0.95).estimate.to_bits(), f64::NAN.to_bits());
}

#[test]
fn a_summary_of_a_million_pairs_gives_the_in_memory_latency_statistics_within_their_bounds() {
    let p = pairs(1_000_000, 7);
    let (v1, v2): (Vec<f64>, Vec<f64>) = p.iter().copied().unzip();
    let (s1, s2) = (sorted(&v1), sorted(&v2));
    let (h1, h2) = (histogram(&v1), histogram(&v2));
    for (h, s) in [(&h1, &s1), (&h2, &s2)] {
        for q in [0.5, 0.9, 0.95, 0.99] {
            let (got, want) = (h.quantile_with_ci(q, 0.95), quantile_with_ci(s, q, 0.95));
            assert!((got.estimate / want.estimate - 1.0).abs() <= A, "{got:?} against {want:?}");
            assert!(got.lower <= want.lower && got.upper >= want.upper, "{got:?} against {want:?}");
        }
    }
    let logs: Vec<f64> = v1.iter().zip(&v2).map(|(a, b)| ((b + 1e-3) / (a + 1e-3)).ln()).collect();
    let d = signed_histogram(&logs);
    let (got, want) = (d.hodges_lehmann_widened(0.95), hodges_lehmann_one_sample(&logs, 0.95));
    assert!(got.lower <= want.lower && want.upper <= got.upper && (got.estimate - want.estimate).abs() <= d.width() / 2.0);
    let (got, want) = (d.signed_rank(), wilcoxon_signed_rank(&logs));
    // a different test (of the rounded differences), the same conclusion on a 4% shift
    assert!(got.p_value < 1e-12 && want.p_value < 1e-12 && (got.z / want.z - 1.0).abs() < 1e-3, "{got:?} against {want:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn confidence_sequences_from_summaries_contain_the_exact_ones(
        a in prop::collection::vec(latency(), 1..300),
        b in prop::collection::vec(latency(), 1..300),
        q in prop_oneof![Just(0.5), Just(0.95), Just(0.99), 0.0f64..=1.0],
        tuned_for in prop_oneof![Just(1_000u64), Just(1_000_000)],
    ) {
        use crate::stats::sequential::{quantile_ratio_sequence, quantile_ratio_sequence_of, quantile_sequence, quantile_sequence_of};
        let (ha, hb) = (histogram(&a), histogram(&b));
        let (sa, sb) = (sorted(&a), sorted(&b));
        let (got, want) = (quantile_sequence_of(&ha, q, 0.05, tuned_for), quantile_sequence(&sa, q, 0.05, tuned_for));
        prop_assert!(got.lower <= want.lower && want.upper <= got.upper, "{got:?} does not contain {want:?}");
        prop_assert_eq!((got.lower.is_finite(), got.upper.is_finite()), (want.lower.is_finite(), want.upper.is_finite()));
        prop_assert_eq!(got.estimate.to_bits(), ha.quantile(q).to_bits());
        let (got, want) = (quantile_ratio_sequence_of(&ha, &hb, q, 0.05, tuned_for), quantile_ratio_sequence(&sa, &sb, q, 0.05, tuned_for));
        // 0 / 0 (a version's quantile or bound of 0) is NaN on both sides
        let below = |g: f64, w: f64| g <= w || (g.is_nan() && w.is_nan());
        prop_assert!(below(got.lower, want.lower) && below(want.upper, got.upper), "{got:?} does not contain {want:?}");
    }

    #[test]
    fn two_sample_statistics_of_summaries_are_those_of_the_rounded_values(
        x in prop::collection::vec(latency(), 0..200),
        y in prop::collection::vec(latency(), 0..200),
        confidence in prop_oneof![Just(0.95), 0.5f64..0.999],
    ) {
        use crate::stats::nonparametric::{hodges_lehmann_two_sample, mann_whitney};
        use super::{hodges_lehmann_two_sample_of, mean_ratio_unpaired, mann_whitney_of};
        let (hx, hy) = (histogram(&x), histogram(&y));
        let (rx, ry): (Vec<f64>, Vec<f64>) = (x.iter().map(|&v| hx.rounded(v)).collect(), y.iter().map(|&v| hy.rounded(v)).collect());
        let (got, want) = (mann_whitney_of(&hx, &hy), mann_whitney(&rx, &ry));
        prop_assert!(same_test(got, want) || (got.n == want.n && got.statistic.is_nan() && want.statistic.is_nan()), "{got:?} against {want:?}");
        let got = hodges_lehmann_two_sample_of(&hx, &hy, confidence);
        let of_rounded = hodges_lehmann_two_sample(&rx, &ry, confidence);
        prop_assert_eq!(got.estimate.to_bits(), of_rounded.estimate.to_bits());
        if x.len() > 50 && y.len() > 50 {
            let exact = hodges_lehmann_two_sample(&x, &y, confidence);
            prop_assert!(got.lower <= exact.lower && exact.upper <= got.upper, "{got:?} does not contain {exact:?}");
        }
        let moments = |v: &[f64]| {
            let mut m = Moments::default();
            v.iter().for_each(|&a| m.add(a));
            m
        };
        let (got, want) = (mean_ratio_unpaired(&moments(&x), &moments(&y), 0.95), mean_ratio(&x, &y, false, 0.95));
        let close = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a - b).abs() <= 1e-9 * a.abs().max(b.abs());
        prop_assert!(close(got.interval.estimate, want.interval.estimate) && close(got.interval.lower, want.interval.lower), "{got:?} against {want:?}");
        prop_assert!(close(got.interval.upper, want.interval.upper), "{got:?} against {want:?}");
    }
}

#[test]
fn far_values_cost_one_entry_each_not_the_cells_between() {
    let h = histogram(&[1e-300, 5e-324, 1e300, 1.0, 2.0, 1e8]);
    assert_eq!(h.counts.far.len(), 3, "1e-300, 5e-324 and 1e300 lie outside the dense window");
    assert!(h.counts.dense.len() <= 2 * 184_207, "{} dense cells", h.counts.dense.len());
    assert_eq!(h.quantile(1.0), h.rounded(1e300));
    assert_eq!(h.quantile(0.0), h.rounded(5e-324));
    let mut d = SignedHistogram::for_relative_accuracy(A);
    for v in [-1e6, 1e6, 0.5, -0.25, 700.0] {
        d.add(v);
    }
    assert_eq!(d.counts.far.len(), 3);
    assert!(d.counts.dense.len() < 10_000);
    let rounded: Vec<f64> = [-1e6, 1e6, 0.5, -0.25, 700.0].iter().map(|&v| d.rounded(v)).collect();
    assert!(same_test(d.signed_rank(), wilcoxon_signed_rank(&rounded)));
    assert_eq!(d.hodges_lehmann(0.5).estimate, hodges_lehmann_one_sample(&rounded, 0.5).estimate);
}
