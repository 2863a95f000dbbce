//! Every statistical function against reference values computed independently by SciPy,
//! NumPy and statsmodels (tests/data/reference_stats.json, written by scripts/gen_reference.py).
//! Tolerances: 1e-9 relative for statistics and interval bounds, 1e-6 for p-values.

use crate::stats::quantile::{harrell_davis, harrell_davis_weights};
use crate::stats::shift::{sup_t_critical, SHIFT_QUANTILES};
use crate::stats::{multiple, nonparametric as np, proportion as pr, quantile as qu, srm};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::sync::OnceLock;

fn reference() -> &'static Value {
    static R: OnceLock<Value> = OnceLock::new();
    R.get_or_init(|| {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/reference_stats.json")).expect("reference file");
        serde_json::from_str(&text).expect("reference parses")
    })
}

fn cases(section: &str) -> &'static Vec<Value> {
    let c = reference()[section].as_array().unwrap_or_else(|| panic!("section {section}"));
    assert!(!c.is_empty(), "{section} has cases");
    c
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn xs(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(f).collect()
}

#[track_caller]
fn close(got: f64, want: f64, rel: f64, what: &str) {
    if want.is_nan() {
        assert!(got.is_nan(), "{what}: got {got}, want NaN/null");
        return;
    }
    // Relative tolerance, with an absolute floor of 1e-15 for values that are 0 up to rounding
    // (statsmodels returns 2e-19 where the exact bound is 0).
    let tol = (rel * want.abs()).max(1e-15);
    assert!((got - want).abs() <= tol || got == want, "{what}: got {got:e}, want {want:e}");
}

#[test]
fn quantile_type7_matches_numpy() {
    for c in cases("quantile_type7") {
        let mut x = xs(&c["x"]);
        x.sort_by(f64::total_cmp);
        for (q, want) in xs(&c["q"]).iter().zip(xs(&c["expected"])) {
            close(qu::quantile_sorted(&x, *q), want, 1e-12, &format!("{} q={q}", c["name"]));
            let mut y = x.clone();
            close(qu::quantile_select(&mut y, *q), want, 1e-12, &format!("{} select q={q}", c["name"]));
        }
    }
}

#[test]
fn order_statistic_intervals_match_binomial_ranks() {
    for c in cases("quantile_ci") {
        let mut x = xs(&c["x"]);
        x.sort_by(f64::total_cmp);
        let n = x.len();
        let (q, conf) = (f(&c["q"]), f(&c["confidence"]));
        let (l, u) = qu::order_statistic_ranks(n, q, conf);
        let name = c["name"].as_str().unwrap();
        assert_eq!(l.clamp(1, n) as u64, c["lower_rank"].as_u64().unwrap(), "{name} lower rank");
        assert_eq!(u.clamp(1, n) as u64, c["upper_rank"].as_u64().unwrap(), "{name} upper rank");
        let iv = qu::quantile_with_ci(&x, q, conf);
        if l >= 1 {
            close(iv.lower, f(&c["lower"]), 1e-12, name);
        } else {
            assert_eq!(iv.lower, f64::NEG_INFINITY, "{name}: no finite lower bound");
        }
        if u <= n {
            close(iv.upper, f(&c["upper"]), 1e-12, name);
            close(qu::order_statistic_coverage(n, q, l.max(1), u), f(&c["coverage"]), 1e-9, name);
        } else {
            assert_eq!(iv.upper, f64::INFINITY, "{name}: no finite upper bound");
        }
    }
}

#[test]
fn wilson_and_clopper_pearson_match_statsmodels() {
    for (section, func) in [("wilson", pr::wilson as fn(u64, u64, f64) -> crate::stats::Interval), ("clopper_pearson", pr::clopper_pearson)]
    {
        for c in cases(section) {
            let (x, n) = (c["successes"].as_u64().unwrap(), c["n"].as_u64().unwrap());
            let iv = func(x, n, f(&c["confidence"]));
            let name = format!("{section} {}", c["name"]);
            if n > 0 {
                assert_eq!(iv.estimate, x as f64 / n as f64, "{name}: the estimate is x / n");
            } else {
                assert!(iv.estimate.is_nan(), "{name}: no estimate without trials");
            }
            close(iv.lower, f(&c["lower"]), 1e-9, &name);
            close(iv.upper, f(&c["upper"]), 1e-9, &name);
        }
    }
}

#[test]
fn newcombe_unpaired_matches_statsmodels() {
    for c in cases("newcombe") {
        let u = |k: &str| c[k].as_u64().unwrap();
        let iv = pr::newcombe_unpaired(u("x1"), u("n1"), u("x2"), u("n2"), f(&c["confidence"]));
        let name = format!("newcombe {}", c["name"]);
        close(iv.estimate, f(&c["diff"]), 1e-12, &name);
        close(iv.lower, f(&c["lower"]), 1e-9, &name);
        close(iv.upper, f(&c["upper"]), 1e-9, &name);
    }
}

#[test]
fn newcombe_paired_matches_the_published_method() {
    for c in cases("paired_diff_proportions_newcombe") {
        let u = |k: &str| c[k].as_u64().unwrap();
        let t = pr::PairedTable { both: u("a"), only_first: u("b"), only_second: u("c"), neither: u("d") };
        let iv = pr::newcombe_paired(t, f(&c["confidence"]));
        let name = format!("paired newcombe {}", c["name"]);
        close(iv.estimate, f(&c["diff"]), 1e-12, &name);
        close(iv.lower, f(&c["lower_phi_cc"]), 1e-9, &name);
        close(iv.upper, f(&c["upper_phi_cc"]), 1e-9, &name);
    }
    // Fagerland, Lydersen & Laake (2014): [[59, 6], [16, 80]] -> -0.0621 (-0.1186, -0.0046).
    let iv = pr::newcombe_paired(pr::PairedTable { both: 59, only_first: 6, only_second: 16, neither: 80 }, 0.95);
    assert!((iv.estimate + 0.0621).abs() < 5e-5 && (iv.lower + 0.1186).abs() < 5e-5 && (iv.upper + 0.0046).abs() < 5e-5, "{iv:?}");
}

#[test]
fn mcnemar_matches_statsmodels() {
    for c in cases("mcnemar") {
        let (b, cc) = (c["b"].as_u64().unwrap(), c["c"].as_u64().unwrap());
        let m = pr::mcnemar(b, cc);
        let name = format!("mcnemar {}", c["name"]);
        if b + cc < pr::MCNEMAR_EXACT_BELOW {
            assert_eq!(m.method, "mcnemar-midp");
            close(m.p_value, f(&c["p_midp"]), 1e-6, &name);
        } else {
            assert_eq!(m.method, "mcnemar-chi2");
            close(m.p_value, f(&c["p_chi2"]), 1e-6, &name);
        }
        if b + cc > 0 {
            close(m.statistic, f(&c["chi2"]), 1e-12, &name);
        }
    }
}

#[test]
fn wilcoxon_signed_rank_matches_scipy() {
    for c in cases("wilcoxon_signed_rank") {
        let d = xs(&c["d"]);
        let t = np::wilcoxon_signed_rank(&d);
        let name = format!("wilcoxon {}", c["name"]);
        close(t.statistic, f(&c["w_plus"]), 1e-12, &name);
        assert_eq!(t.n, c["n_nonzero"].as_u64().unwrap(), "{name}");
        match t.method {
            "exact" => {
                if let Some(p) = c.get("p_exact") {
                    close(t.p_value, f(p), 1e-6, &name);
                }
            }
            _ => {
                close(t.p_value, f(&c["p_value"]), 1e-6, &name);
                close(t.z.abs(), f(&c["z"]).abs(), 1e-9, &name);
            }
        }
    }
}

/// Sorted pairwise differences / Walsh averages by plain enumeration (independent of the
/// linear-time selection under test).
/// Every Walsh average (d_i + d_j)/2, i <= j, ascending: the O(n^2) reference definition.
fn walsh_averages_sorted(d: &[f64]) -> Vec<f64> {
    let mut all: Vec<f64> = (0..d.len()).flat_map(|i| (i..d.len()).map(move |j| (d[i] + d[j]) / 2.0)).collect();
    all.sort_by(f64::total_cmp);
    all
}

/// Every pairwise difference x_i - y_j, ascending: the O(mn) reference definition.
fn differences_sorted(x: &[f64], y: &[f64]) -> Vec<f64> {
    let mut all: Vec<f64> = x.iter().flat_map(|a| y.iter().map(move |b| a - b)).collect();
    all.sort_by(f64::total_cmp);
    all
}

#[test]
fn mann_whitney_and_hodges_lehmann_match_scipy() {
    for c in cases("mann_whitney") {
        let (x, y) = (xs(&c["x"]), xs(&c["y"]));
        let name = format!("mann-whitney {}", c["name"]);
        let t = np::mann_whitney(&x, &y);
        close(t.statistic, f(&c["u_x"]), 1e-12, &name);
        if t.method == "exact" {
            close(t.p_value, f(&c["p_exact"]), 1e-6, &name);
        } else {
            close(t.p_value, f(&c["p_value"]), 1e-6, &name);
        }
        let iv = np::hodges_lehmann_two_sample(&x, &y, 0.95);
        close(iv.estimate, f(&c["hodges_lehmann"]), 1e-12, &name);
        let exact = c.get("hl_exact_attained").and_then(Value::as_bool);
        let has_ties = {
            let mut all: Vec<f64> = x.iter().chain(&y).copied().collect();
            all.sort_by(f64::total_cmp);
            all.windows(2).any(|w| w[0] == w[1])
        };
        if !has_ties && x.len() <= np::EXACT_MAX_N && y.len() <= np::EXACT_MAX_N {
            if exact == Some(true) {
                close(iv.lower, f(&c["hl_exact_lower"]), 1e-12, &name);
                close(iv.upper, f(&c["hl_exact_upper"]), 1e-12, &name);
            } else {
                assert!(iv.lower == f64::NEG_INFINITY && iv.upper == f64::INFINITY, "{name}: too small to bound: {iv:?}");
            }
        } else {
            // Normal approximation, Hollander-Wolfe 1-based convention with SciPy's C.
            let k = c["hl_c"].as_u64().unwrap() as usize;
            let d = differences_sorted(&x, &y);
            close(iv.lower, d[k - 1], 1e-12, &name);
            close(iv.upper, d[d.len() - k], 1e-12, &name);
        }
    }
    // Published example: experiment [10,20,30,40] vs control [1,2,3,4] -> 22.5, 95% CI [6, 39].
    let iv = np::hodges_lehmann_two_sample(&[10.0, 20.0, 30.0, 40.0], &[1.0, 2.0, 3.0, 4.0], 0.95);
    assert_eq!((iv.estimate, iv.lower, iv.upper), (22.5, 6.0, 39.0));
}

/// What the reference cases leave to the definitions: which p-value each rank test reports
/// (exact up to EXACT_MAX_N observations without ties, else the normal approximation), the
/// rank-biserial effect sizes from the reference statistics (Kerby 2014: (W+ - W-) / (W+ + W-),
/// and 2U / (mn) - 1), the Mann-Whitney z that SciPy reports only through its p-value, and the
/// edges.
#[test]
fn rank_tests_methods_effect_sizes_and_z() {
    use crate::stats::normal_quantile;
    let has_ties = |v: &[f64]| {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        s.windows(2).any(|w| w[0] == w[1])
    };
    for c in cases("wilcoxon_signed_rank") {
        let d = xs(&c["d"]);
        let t = np::wilcoxon_signed_rank(&d);
        let name = format!("wilcoxon {}", c["name"]);
        let abs: Vec<f64> = d.iter().filter(|v| **v != 0.0).map(|v| v.abs()).collect();
        let exact = !has_ties(&abs) && abs.len() <= np::EXACT_MAX_N;
        assert_eq!(t.method, if exact { "exact" } else { "normal" }, "{name}");
        assert_eq!(t.test, "wilcoxon-signed-rank");
        let n = f(&c["n_nonzero"]);
        let (w_plus, total) = (f(&c["w_plus"]), n * (n + 1.0) / 2.0);
        close(t.effect_size, (w_plus - (total - w_plus)) / total, 1e-12, &format!("{name} effect size"));
        if exact {
            assert!(t.z.is_nan(), "{name}: no z on the exact path");
        }
    }
    for c in cases("mann_whitney") {
        let (x, y) = (xs(&c["x"]), xs(&c["y"]));
        let t = np::mann_whitney(&x, &y);
        let name = format!("mann-whitney {}", c["name"]);
        let all: Vec<f64> = x.iter().chain(&y).copied().collect();
        let exact = !has_ties(&all) && x.len() <= np::EXACT_MAX_N && y.len() <= np::EXACT_MAX_N;
        assert_eq!(t.method, if exact { "exact" } else { "normal" }, "{name}");
        assert_eq!((t.test, t.n), ("mann-whitney-u", all.len() as u64), "{name}");
        let (m, n, u) = (x.len() as f64, y.len() as f64, f(&c["u_x"]));
        close(t.effect_size, 2.0 * u / (m * n) - 1.0, 1e-12, &format!("{name} effect size"));
        let p = f(&c["p_value"]);
        if exact {
            assert!(t.z.is_nan(), "{name}: no z on the exact path");
        } else if p > 1e-300 && p < 1.0 {
            // |z| = Phi^-1(1 - p / 2), of the sign of U - mn / 2.
            close(t.z.abs(), -normal_quantile(p / 2.0), 1e-6, &format!("{name} |z|"));
            assert_eq!(t.z.signum(), (u - m * n / 2.0).signum(), "{name}: sign of z");
        }
    }
    // At the exact path's limit: 50 distinct differences (or values per sample) are exact, 51 not.
    let signed = |n: usize| -> Vec<f64> { (1..=n).map(|i| if i % 3 == 0 { -(i as f64) } else { i as f64 }).collect() };
    let t = np::wilcoxon_signed_rank(&signed(np::EXACT_MAX_N));
    assert_eq!((t.method, t.statistic), ("exact", 867.0));
    // SciPy's wilcoxon(method="exact"): statistic min(W+, W-) = 408, p = 0.02616696817119646.
    close(t.p_value, 0.02616696817119646, 1e-12, "50 differences, exact p");
    assert_eq!(np::wilcoxon_signed_rank(&signed(np::EXACT_MAX_N + 1)).method, "normal");
    let values = |n: usize, offset: f64| -> Vec<f64> { (0..n).map(|i| i as f64 * 2.0 + offset).collect() };
    let (x50, y50) = (values(np::EXACT_MAX_N, 0.0), values(np::EXACT_MAX_N, 1.0));
    assert_eq!(np::mann_whitney(&x50, &y50).method, "exact");
    assert_eq!(np::mann_whitney(&values(np::EXACT_MAX_N + 1, 0.0), &y50).method, "normal");
    assert_eq!(np::mann_whitney(&x50, &values(np::EXACT_MAX_N + 1, 1.0)).method, "normal");
    // The exact p at 50 x 50 (U = 1225): SciPy's mannwhitneyu(method="exact") gives
    // 0.8664717523984022 (the reference cases stop at 20 x 20).
    let t = np::mann_whitney(&x50, &y50);
    assert_eq!(t.statistic, 1225.0);
    close(t.p_value, 0.8664717523984022, 1e-12, "50 x 50 exact p");
    // W+ at the centre of its exact distribution (5 of 10): p = 1.
    let t = np::wilcoxon_signed_rank(&[1.0, -2.0, -3.0, 4.0]);
    assert_eq!((t.method, t.statistic, t.p_value), ("exact", 5.0, 1.0));
    // Edges: no differences left after dropping zeros; an empty sample.
    let t = np::wilcoxon_signed_rank(&[0.0, 0.0, f64::NAN]);
    assert_eq!((t.n, t.p_value, t.statistic, t.effect_size), (0, 1.0, 0.0, 0.0));
    let t = np::mann_whitney(&[], &[1.0, 2.0]);
    assert!(t.p_value.is_nan() && t.statistic.is_nan() && t.effect_size.is_nan() && t.n == 2);
    assert!(np::mann_whitney(&[1.0], &[]).p_value.is_nan());
    // Every value tied: the variance is 0, so there is no evidence either way (z = 0, p = 1; not
    // the 0/0 of dividing by it).
    let t = np::mann_whitney(&[3.0; 3], &[3.0; 4]);
    assert_eq!((t.method, t.statistic, t.z, t.p_value, t.effect_size), ("normal", 6.0, 0.0, 1.0, 0.0));
    // z has the sign of U - mn/2: negative below the centre. SciPy's
    // mannwhitneyu([1, 2, 3], [3, 4, 5, 6], method="asymptotic"): U = 0.5,
    // p = 0.07446183141740546, and norm.isf(p / 2) = 1.7837651700316897.
    let t = np::mann_whitney(&[1.0, 2.0, 3.0], &[3.0, 4.0, 5.0, 6.0]);
    assert_eq!((t.method, t.statistic), ("normal", 0.5));
    close(t.p_value, 0.07446183141740546, 1e-9, "tied 3 x 4, p");
    close(t.z, -1.7837651700316897, 1e-9, "tied 3 x 4, z");
}

/// Hodges-Lehmann with nothing to estimate from: no estimate and an unbounded interval.
#[test]
fn hodges_lehmann_of_empty_samples() {
    let unbounded = |iv: crate::stats::Interval| iv.estimate.is_nan() && iv.lower == f64::NEG_INFINITY && iv.upper == f64::INFINITY;
    assert!(unbounded(np::hodges_lehmann_one_sample(&[], 0.95)));
    assert!(unbounded(np::hodges_lehmann_two_sample(&[], &[1.0], 0.95)));
    assert!(unbounded(np::hodges_lehmann_two_sample(&[1.0], &[], 0.95)));
    // One pair: the estimate, but too few to bound it.
    let iv = np::hodges_lehmann_one_sample(&[2.0], 0.95);
    assert_eq!((iv.estimate, iv.lower, iv.upper), (2.0, f64::NEG_INFINITY, f64::INFINITY));
}

/// At the smallest sizes: the rank c of the interval's bounds reaching exactly 1, and the median
/// of an odd and of an even number of differences.
#[test]
fn hodges_lehmann_at_the_smallest_sizes() {
    // n = 6 at 95%: c = floor(21/2 - 1.959964 sqrt(6 7 13 / 24)) = floor(1.152) = 1, so the
    // interval runs from the smallest Walsh average to the largest (the sample's extremes).
    let iv = np::hodges_lehmann_one_sample(&[3.0, -1.0, 4.0, 1.0, 5.0, 9.0], 0.95);
    assert_eq!((iv.lower, iv.upper), (-1.0, 9.0));
    // n = 5: c = floor(7.5 - 1.959964 sqrt(5 6 11 / 24)) = floor(0.232) = 0: unbounded.
    let iv = np::hodges_lehmann_one_sample(&[3.0, -1.0, 4.0, 1.0, 5.0], 0.95);
    assert_eq!((iv.lower, iv.upper), (f64::NEG_INFINITY, f64::INFINITY));
    // x - y for x = [1, 2, 4], y = [0, 5, 9]: -8 -7 -5 -4 -3 -1 1 2 4, median -3 (9 values).
    assert_eq!(np::hodges_lehmann_two_sample(&[1.0, 2.0, 4.0], &[0.0, 5.0, 9.0], 0.95).estimate, -3.0);
    // Two differences, -1 and -3: their mean.
    assert_eq!(np::hodges_lehmann_two_sample(&[0.0], &[1.0, 3.0], 0.95).estimate, -2.0);
    // Three: -1, -3, -6, median -3.
    assert_eq!(np::hodges_lehmann_two_sample(&[0.0], &[1.0, 3.0, 6.0], 0.95).estimate, -3.0);
    // 3 x 3 at 90%: P(U <= 0) = 1/20 is exactly a/2, so C = 1 is admissible and the interval
    // runs from the smallest difference to the largest (1 - 0.9 is 0.09999999999999998 in
    // doubles: the comparison needs its tolerance).
    let iv = np::hodges_lehmann_two_sample(&[1.0, 2.0, 4.0], &[0.0, 5.0, 9.0], 0.9);
    assert_eq!((iv.lower, iv.upper), (-8.0, 4.0));
}

#[test]
fn one_sample_hodges_lehmann_matches_walsh_averages() {
    for c in cases("hodges_lehmann_one_sample") {
        let d = xs(&c["d"]);
        let name = format!("hl1 {}", c["name"]);
        let iv = np::hodges_lehmann_one_sample(&d, 0.95);
        close(iv.estimate, f(&c["estimate"]), 1e-12, &name);
        let k = c["c"].as_u64().unwrap() as usize;
        if k == 0 {
            assert!(iv.lower == f64::NEG_INFINITY && iv.upper == f64::INFINITY, "{name}");
        } else {
            let w = walsh_averages_sorted(&d);
            close(iv.lower, w[k - 1], 1e-12, &name);
            close(iv.upper, w[w.len() - k], 1e-12, &name);
        }
    }
}

#[test]
fn chi_square_and_benjamini_hochberg_match_scipy() {
    for c in cases("chisquare_gof") {
        let obs: Vec<u64> = c["observed"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        let (s, p) = srm::chi_square_gof(&obs, &xs(&c["expected_share"]));
        close(s, f(&c["statistic"]), 1e-9, &format!("chi2 {}", c["name"]));
        close(p, f(&c["p_value"]), 1e-6, &format!("chi2 p {}", c["name"]));
    }
    for c in cases("benjamini_hochberg") {
        let q = multiple::benjamini_hochberg(&xs(&c["p"]));
        for (got, want) in q.iter().zip(xs(&c["q"])) {
            close(*got, want, 1e-12, &format!("bh {}", c["name"]));
        }
    }
}

#[test]
fn normal_quantile_matches_scipy() {
    for c in cases("normal_quantile") {
        close(crate::stats::normal_quantile(f(&c["p"])), f(&c["z"]), 1e-9, &format!("ppf {}", c["name"]));
    }
}

/// Regression: statrs' Beta inverse did not finish for Beta(1, 1e7) (the discrepancy interval of
/// ten million clean pairs). The bounds must come back and agree with the Poisson limit
/// (upper = chi2_{2(x+1)}(0.975) / 2n for small x and huge n).
#[test]
fn clopper_pearson_handles_ten_million_trials() {
    let n = 10_000_000;
    for (x, chi2) in [(0u64, 7.377758908227871), (3, 17.534546139484647)] {
        let iv = pr::clopper_pearson(x, n, 0.95);
        let poisson = chi2 / (2.0 * n as f64);
        assert!((iv.upper - poisson).abs() < 1e-3 * poisson, "x={x}: {} vs {poisson}", iv.upper);
        assert!(iv.lower >= 0.0 && iv.lower <= x as f64 / n as f64);
    }
}

/// The selection behind Hodges-Lehmann narrows a value bracket, then enumerates it. Check it
/// against full enumeration on sizes where the bracket path runs (more than 65,536 Walsh averages
/// or differences), with heavy ties (a point mass larger than the enumeration budget forces the
/// exact bit-order fallback) and with both signs.
#[test]
fn implicit_selection_matches_full_enumeration() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let shapes: Vec<(&str, Vec<f64>)> = vec![
        ("smooth", (0..600).map(|_| rng.gen::<f64>().ln() * 3.0 + 1.0).collect()),
        ("integers", (0..500).map(|_| rng.gen_range(-20..20) as f64).collect()),
        ("point mass", (0..700).map(|i| if i % 50 == 0 { rng.gen::<f64>() } else { 0.0 }).collect()),
        ("tiny spread", (0..450).map(|_| 1.0 + rng.gen::<f64>() * 1e-12).collect()),
    ];
    for (name, mut d) in shapes {
        d.sort_unstable_by(f64::total_cmp);
        let all = walsh_averages_sorted(&d);
        let total = all.len() as u64;
        for k in [1, 2, total / 40, total / 2, total / 2 + 1, total - total / 40, total - 1, total] {
            let k = k.max(1);
            assert_eq!(np::kth_walsh_average(&d, k).to_bits(), all[k as usize - 1].to_bits(), "walsh {name} k={k}");
        }
        // x: the whole sample (ascending); y: an affine image of its upper half (ascending)
        let x = d.clone();
        let y: Vec<f64> = d[d.len() / 2..].iter().map(|v| v * 0.7 + 0.5).collect();
        let all = differences_sorted(&x, &y);
        let total = all.len() as u64;
        for k in [1, total / 3, total / 2, total / 2 + 1, total - 7, total] {
            let k = k.max(1);
            assert_eq!(np::kth_pairwise_difference(&x, &y, k).to_bits(), all[k as usize - 1].to_bits(), "differences {name} k={k}");
        }
    }
}

#[test]
fn maritz_jarrett_matches_scipy_mjci() {
    for c in cases("maritz_jarrett") {
        let mut x = xs(&c["x"]);
        x.sort_by(f64::total_cmp);
        for (q, want) in xs(&c["q"]).iter().zip(xs(&c["se"])) {
            // 1e-7: the weights are differences of nearly equal incomplete-beta values (statrs and
            // SciPy's Boost agree to ~2e-12 on each), and se^2 is a difference of moments.
            close(qu::maritz_jarrett_se(&x, *q), want, 1e-7, &format!("{} q={q}", c["name"]));
        }
    }
}

#[test]
fn harrell_davis_matches_scipy_hdquantiles() {
    for c in cases("harrell_davis") {
        let mut x = xs(&c["x"]);
        x.sort_by(f64::total_cmp);
        for (q, want) in xs(&c["q"]).iter().zip(xs(&c["expected"])) {
            close(qu::harrell_davis(&x, *q), want, 1e-9, &format!("{} q={q}", c["name"]));
        }
    }
}

/// The O(1) bootstrap draw of a quantile against the exact bootstrap distribution: the empirical
/// CDF of 200,000 draws of X*_(k) is within the DKW bound (failure probability 1e-6) of
/// P(Bin(n, j/n) >= k) at every order statistic, and the mean of the interpolated type-7 draws is
/// within 5 standard errors of the exact bootstrap mean.
#[test]
fn bootstrap_quantile_draws_follow_the_exact_bootstrap_distribution() {
    use crate::stats::quantile_ratio::bootstrap_quantile_draw;
    const DRAWS: usize = 200_000;
    let dkw = ((2.0f64 / 1e-6).ln() / (2.0 * DRAWS as f64)).sqrt();
    for c in cases("bootstrap_quantile") {
        let name = c["name"].as_str().unwrap();
        let x = xs(&c["x"]);
        let n = x.len();
        let k = c["k"].as_u64().unwrap() as usize;
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        // q that puts the type-7 position exactly on order statistic k (no interpolation).
        let q_k = (k - 1) as f64 / (n - 1) as f64;
        let mut draws: Vec<f64> = (0..DRAWS).map(|_| bootstrap_quantile_draw(&x, q_k, &mut rng)).collect();
        draws.sort_by(f64::total_cmp);
        let mut worst: f64 = 0.0;
        for (j, want) in xs(&c["cdf_k"]).iter().enumerate() {
            let below = draws.partition_point(|d| *d <= x[j]) as f64 / DRAWS as f64;
            worst = worst.max((below - want).abs());
        }
        assert!(worst <= dkw, "{name}: sup |ECDF - exact| = {worst:.5} > {dkw:.5}");
        let q = f(&c["q"]);
        let mean = (0..DRAWS).map(|_| bootstrap_quantile_draw(&x, q, &mut rng)).sum::<f64>() / DRAWS as f64;
        let tol = 5.0 * f(&c["sd_k"]).max(1e-12) / (DRAWS as f64).sqrt();
        assert!((mean - f(&c["mean"])).abs() <= tol, "{name}: bootstrap mean {mean} vs exact {} (tol {tol})", f(&c["mean"]));
    }
}

/// BCa for two independent samples against SciPy's own BCa code on the same replicates: the
/// O(1) grouped jackknife of a type-7 quantile must give SciPy's brute-force acceleration.
#[test]
fn bca_quantile_ratio_matches_scipy() {
    use crate::stats::quantile_ratio::bca_log_ratio;
    for c in cases("bca_quantile_ratio") {
        let name = c["name"].as_str().unwrap();
        let (mut x1, mut x2) = (xs(&c["x1"]), xs(&c["x2"]));
        x1.sort_by(f64::total_cmp);
        x2.sort_by(f64::total_cmp);
        let (lo, hi) = bca_log_ratio(&x1, &x2, f(&c["q"]), &xs(&c["d1"]), &xs(&c["d2"]), f(&c["confidence"]));
        close(lo, f(&c["lower"]), 1e-9, &format!("{name} lower"));
        close(hi, f(&c["upper"]), 1e-9, &format!("{name} upper"));
    }
}

/// The canary quantile-ratio pieces: the normal (delta-method) interval and MOVER, against the
/// generator's SciPy/NumPy values; MOVER of two log-symmetric normal intervals is the normal one,
/// and an unbounded per-version bound gives an unbounded ratio bound.
#[test]
fn log_ratio_intervals_match_scipy() {
    use crate::stats::quantile_ratio::{mover_log_ratio, normal_log_ratio};
    use crate::stats::Interval;
    for c in cases("log_ratio_intervals") {
        let name = c["name"].as_str().unwrap();
        let (lo, hi) = match c["method"].as_str().unwrap() {
            "normal" => normal_log_ratio(f(&c["q1"]), f(&c["se1"]), f(&c["q2"]), f(&c["se2"]), f(&c["confidence"])),
            _ => {
                let iv = |v: &Value| {
                    let v = xs(v);
                    Interval::new(v[0], v[1], v[2])
                };
                mover_log_ratio(iv(&c["v1"]), iv(&c["v2"]))
            }
        };
        close(lo, f(&c["lower"]), 1e-12, &format!("{name} lower"));
        close(hi, f(&c["upper"]), 1e-12, &format!("{name} upper"));
    }
    let z = crate::stats::z_two_sided(0.95);
    let (q1, s1, q2, s2) = (100.0, 0.05, 130.0, 0.08); // relative standard errors
    let log_normal = |q: f64, s: f64| Interval::new(q, q * (-z * s).exp(), q * (z * s).exp());
    let (ml, mu) = mover_log_ratio(log_normal(q1, s1), log_normal(q2, s2));
    let (nl, nu) = normal_log_ratio(q1, s1 * q1, q2, s2 * q2, 0.95);
    close(ml, nl, 1e-12, "MOVER of normal intervals: lower");
    close(mu, nu, 1e-12, "MOVER of normal intervals: upper");
    let (lo, hi) = mover_log_ratio(Interval::new(100.0, 0.0, 120.0), Interval::new(110.0, 100.0, f64::INFINITY));
    assert!(lo.is_finite() && hi == f64::INFINITY, "({lo}, {hi})");
    let (lo, hi) = mover_log_ratio(Interval::new(100.0, 90.0, f64::INFINITY), Interval::new(110.0, 0.0, 130.0));
    assert!(lo == f64::NEG_INFINITY && hi.is_finite(), "({lo}, {hi})");
}

#[test]
fn rate_confidence_sequences_match_scipy() {
    use crate::stats::sequential::{prior_weight, rate_sequence};
    for c in cases("rate_sequence") {
        let name = c["name"].as_str().unwrap();
        let (x, n, alpha, t) = (c["x"].as_u64().unwrap(), c["n"].as_u64().unwrap(), f(&c["alpha"]), c["tuned_for"].as_u64().unwrap());
        close(prior_weight(alpha, t), f(&c["k"]), 1e-12, &format!("{name} k"));
        let iv = rate_sequence(x, n, alpha, t);
        close(iv.lower, f(&c["lower"]), 1e-9, &format!("{name} lower"));
        close(iv.upper, f(&c["upper"]), 1e-9, &format!("{name} upper"));
    }
}

#[test]
fn quantile_confidence_sequences_accept_the_counts_scipy_accepts() {
    use crate::stats::sequential::accepted_counts;
    for c in cases("quantile_sequence") {
        let name = c["name"].as_str().unwrap();
        let (n, q, alpha, t) = (c["n"].as_u64().unwrap(), f(&c["q"]), f(&c["alpha"]), c["tuned_for"].as_u64().unwrap());
        let (lo, hi) = accepted_counts(n, q, alpha, t);
        assert_eq!((lo, hi), (c["s_lo"].as_u64().unwrap(), c["s_hi"].as_u64().unwrap()), "{name}");
    }
}

// The resampling, sup-t and shift-band checks (were in tests/rollout_evidence.rs).

/// Resampling through multiplicities gives exactly the Harrell-Davis estimate of the resample
/// built out and sorted.
#[test]
fn harrell_davis_of_a_resample_by_multiplicities_matches_the_explicit_resample() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for n in [25usize, 200, 3001] {
        let mut x: Vec<f64> = (0..n).map(|_| rng.gen::<f64>() * 100.0).collect();
        x.sort_by(f64::total_cmp);
        for q in [0.1, 0.5, 0.95, 0.99] {
            let w = harrell_davis_weights(n, q);
            let identity: Vec<u32> = (0..=n as u32).collect();
            let direct = harrell_davis(&x, q);
            assert!((w.apply_resample(&x, &identity) - direct).abs() <= 1e-9 * direct, "n={n} q={q}: identity resample");
            let mut counts = vec![0u32; n];
            for _ in 0..n {
                counts[rng.gen_range(0..n)] += 1;
            }
            let mut cum = vec![0u32];
            let mut resample = Vec::with_capacity(n);
            for (i, &c) in counts.iter().enumerate() {
                cum.push(cum[i] + c);
                resample.extend(std::iter::repeat_n(x[i], c as usize));
            }
            let want = harrell_davis(&resample, q);
            let got = w.apply_resample(&x, &cum);
            assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "n={n} q={q}: {got} vs {want}");
        }
    }
}

/// The sup-t critical value: eleven independent normals give Sidak's exact value
/// (Phi^-1((1 + 0.95^(1/11)) / 2) = 2.8315, SciPy), eleven identical ones give 1.96.
#[test]
fn sup_t_critical_values_match_the_closed_forms() {
    let k = SHIFT_QUANTILES.len();
    let identity: Vec<Vec<f64>> = (0..k).map(|i| (0..k).map(|j| if i == j { 4.0 } else { 0.0 }).collect()).collect();
    let c = sup_t_critical(&identity, 0.95, None, 1);
    assert!((c - 2.8315).abs() < 0.03, "independent: {c}");
    let ones: Vec<Vec<f64>> = vec![vec![0.25; k]; k];
    let c = sup_t_critical(&ones, 0.95, None, 1);
    assert!((c - 1.96).abs() < 0.03, "identical: {c}");
    // Two independent coordinates of unequal variance: Sidak's value for two,
    // Phi^-1((1 + 0.95^(1/2)) / 2) = 2.2365 (SciPy); each is divided by its own sd.
    let c = sup_t_critical(&[vec![4.0, 0.0], vec![0.0, 0.25]], 0.95, None, 1);
    assert!((c - 2.2365).abs() < 0.05, "independent, unequal variances: {c}");
    // A coordinate of variance 0 (a constant quantile) is left out: the first coordinate alone,
    // from the same normal draws.
    let alone = sup_t_critical(&[vec![1.0]], 0.95, None, 1);
    let with_constant = sup_t_critical(&[vec![1.0, 0.0], vec![0.0, 0.0]], 0.95, None, 1);
    assert!((with_constant - alone).abs() < 1e-9 && (alone - 1.96).abs() < 0.03, "{with_constant} vs {alone}");
    // All variances 0 (every latency equal): a band of width 0, not NaN.
    assert_eq!(sup_t_critical(&vec![vec![0.0; 2]; 2], 0.95, None, 1), 0.0);
    // With degrees of freedom (batch means), one coordinate is Student's t:
    // t.ppf(0.975, 3) = 3.1825 (SciPy); the normal's 1.96 without them. The Monte Carlo standard
    // error at 20,000 draws is 0.04.
    let c = sup_t_critical(&[vec![9.0]], 0.95, Some(3.0), 1);
    assert!((c - 3.1824463052837078).abs() < 0.15, "Student's t, 3 dof: {c}");
    let c = sup_t_critical(&[vec![9.0]], 0.90, Some(3.0), 2);
    assert!((c - 2.3533634348018233).abs() < 0.1, "Student's t, 3 dof, 90%: {c}");
}

// The helpers of src/stats/mod.rs (normal distribution values from SciPy's norm). statrs' sf and
// cdf at z = 1 are 8.6e-11 (relative) from SciPy's, hence 1e-9 there; its inverse CDF agrees to
// 1e-12.

#[test]
fn normal_helpers_match_scipy_and_clamp_their_probability() {
    use crate::stats::{normal_cdf, normal_quantile, normal_sf, two_sided_p, z_two_sided};
    close(z_two_sided(0.95), 1.959963984540054, 1e-12, "z 95%");
    close(z_two_sided(0.99), 2.5758293035489004, 1e-12, "z 99%");
    close(normal_sf(1.0), 0.15865525393145707, 1e-9, "sf(1)");
    close(normal_cdf(1.0), 0.8413447460685429, 1e-9, "cdf(1)");
    close(two_sided_p(-1.0), 0.31731050786291415, 1e-9, "two-sided p(-1)");
    close(two_sided_p(1.0), 0.31731050786291415, 1e-9, "two-sided p(1)");
    assert_eq!(two_sided_p(0.0), 1.0);
    assert_eq!(normal_quantile(-0.5), f64::NEG_INFINITY);
    assert_eq!(normal_quantile(1.5), f64::INFINITY);
}

#[test]
fn means_variances_and_sorts() {
    use crate::stats::{mean, sort_in_place, sorted, variance, Interval};
    assert_eq!(mean(&[1.0, 2.0, 3.0, 4.0]), 2.5);
    assert!(mean(&[]).is_nan());
    close(variance(&[1.0, 2.0, 3.0, 4.0]), 1.6666666666666667, 1e-15, "variance (NumPy ddof=1)");
    assert!(variance(&[5.0]).is_nan() && variance(&[]).is_nan());
    assert_eq!(variance(&[1.0, 3.0]), 2.0);
    // Two passes, so no cancellation at a large offset (sum(v^2) - n m^2 gives 2.0 here).
    let offset = 1e15;
    assert_eq!(variance(&[offset + 1.0, offset + 2.0, offset + 3.0, offset + 4.0]), 1.6666666666666667);
    // Both sort paths (sequential up to 100,000 values, parallel above), NaN last.
    for n in [10usize, 100_000, 100_001] {
        let mut v: Vec<f64> = (0..n).rev().map(|i| i as f64).collect();
        v[n / 2] = f64::NAN;
        let s = sorted(&v);
        assert!(s[..n - 1].windows(2).all(|w| w[0] < w[1]) && s[n - 1].is_nan(), "n={n}");
        sort_in_place(&mut v);
        assert_eq!(v[..n - 1], s[..n - 1]);
    }
    let i = Interval::new(2.0, 1.0, f64::INFINITY);
    assert_eq!(serde_json::to_string(&i).expect("serializes"), r#"{"estimate":2.0,"lower":1.0,"upper":null}"#);
    assert_eq!(i.map(|x| x * 2.0), Interval::new(4.0, 2.0, f64::INFINITY));
    assert_eq!(Interval::point(3.0), Interval::new(3.0, 3.0, 3.0));
}

#[test]
fn benjamini_hochberg_leaves_nan_out_of_the_count() {
    // SciPy: false_discovery_control([0.01, 0.04]) = [0.02, 0.04].
    let q = multiple::benjamini_hochberg(&[0.01, f64::NAN, 0.04]);
    assert_eq!((q[0], q[2]), (0.02, 0.04));
    assert!(q[1].is_nan());
    assert!(multiple::benjamini_hochberg(&[]).is_empty());
}

/// rate_interval: exact Clopper-Pearson while either count is under 5, Wilson from 5 and 5 on.
#[test]
fn rate_interval_switches_to_wilson_at_five_of_each() {
    let pick = |x: u64, n: u64| {
        let (iv, method) = pr::rate_interval(x, n, 0.95);
        let want = if method == "wilson" { pr::wilson(x, n, 0.95) } else { pr::clopper_pearson(x, n, 0.95) };
        assert_eq!(format!("{iv:?}"), format!("{want:?}"), "{x} of {n}: the interval is the named method's");
        method
    };
    assert_eq!(pick(4, 1000), "clopper-pearson");
    assert_eq!(pick(5, 1000), "wilson");
    assert_eq!(pick(995, 1000), "wilson");
    assert_eq!(pick(996, 1000), "clopper-pearson");
    assert_eq!(pick(0, 0), "clopper-pearson");
    assert_eq!(pick(5, 10), "wilson");
    assert_eq!(pick(5, 9), "clopper-pearson");
}

#[test]
fn newcombe_paired_without_pairs_is_the_whole_range() {
    let iv = pr::newcombe_paired(pr::PairedTable { both: 0, only_first: 0, only_second: 0, neither: 0 }, 0.95);
    assert!(iv.estimate.is_nan());
    assert_eq!((iv.lower, iv.upper), (-1.0, 1.0));
}

#[test]
fn two_proportion_z_matches_statsmodels() {
    for c in cases("two_proportion_z") {
        let u = |k: &str| c[k].as_u64().unwrap();
        let (z, p) = pr::two_proportion_z(u("x1"), u("n1"), u("x2"), u("n2"));
        let name = format!("two-proportion z {}", c["name"]);
        close(z, f(&c["z"]), 1e-9, &name);
        close(p, f(&c["p_value"]), 1e-6, &name);
    }
    // No trials on a side: no test. No variance (both rates 0): z = 0, p = 1.
    for (n1, n2) in [(0, 10), (10, 0)] {
        let (z, p) = pr::two_proportion_z(0, n1, 0, n2);
        assert!(z.is_nan() && p.is_nan(), "n1={n1} n2={n2}: {z} {p}");
    }
    assert_eq!(pr::two_proportion_z(0, 10, 0, 20), (0.0, 1.0));
}

#[test]
fn mcnemar_is_exact_below_one_hundred_discordant_pairs() {
    assert_eq!(pr::mcnemar(40, 59).method, "mcnemar-midp");
    let at = pr::mcnemar(40, 60);
    assert_eq!(at.method, "mcnemar-chi2");
    // (40 - 60)^2 / 100 = 4; SciPy chi2.sf(4, 1) = 0.04550026389635857.
    assert_eq!(at.statistic, 4.0);
    close(at.p_value, 0.04550026389635857, 1e-6, "mcnemar chi2 at 100");
}

/// The compound sequences are each version's sequence at alpha/2, combined (a union bound).
#[test]
fn sequences_of_differences_and_ratios_combine_each_versions_at_half_alpha() {
    use crate::stats::sequential::{accepted_counts, quantile_ratio_sequence, quantile_sequence, rate_difference_sequence, rate_sequence};
    let t = 100_000;
    let (a, b) = (rate_sequence(30, 2000, 0.025, t), rate_sequence(55, 2100, 0.025, t));
    let d = rate_difference_sequence(30, 2000, 55, 2100, 0.05, t);
    assert_eq!((d.estimate, d.lower, d.upper), (b.estimate - a.estimate, b.lower - a.upper, b.upper - a.lower));
    assert!(d.lower < d.estimate && d.estimate < d.upper);
    // A quantile's sequence: the order statistics at the accepted counts, infinite where the data
    // cannot bound it yet.
    let s1: Vec<f64> = (1..=2000).map(f64::from).collect();
    let (lo, hi) = accepted_counts(2000, 0.9, 0.025, t);
    let q1 = quantile_sequence(&s1, 0.9, 0.025, t);
    assert_eq!((q1.estimate, q1.lower, q1.upper), (qu::quantile_sorted(&s1, 0.9), s1[lo as usize - 1], s1[hi as usize]));
    let tiny = quantile_sequence(&[1.0, 2.0, 3.0], 0.99, 0.05, t);
    assert_eq!(tiny.upper, f64::INFINITY);
    let tiny = quantile_sequence(&[1.0, 2.0, 3.0], 0.01, 0.05, t);
    assert_eq!(tiny.lower, f64::NEG_INFINITY);
    let empty = quantile_sequence(&[], 0.5, 0.05, t);
    assert!(empty.estimate.is_nan() && empty.lower == f64::NEG_INFINITY && empty.upper == f64::INFINITY);
    // The ratio: V2's lower over V1's upper, V2's upper over V1's lower.
    let s2: Vec<f64> = s1.iter().map(|x| 2.0 * x).collect();
    let q2 = quantile_sequence(&s2, 0.9, 0.025, t);
    let r = quantile_ratio_sequence(&s1, &s2, 0.9, 0.05, t);
    assert_eq!((r.estimate, r.lower, r.upper), (q2.estimate / q1.estimate, q2.lower / q1.upper, q2.upper / q1.lower));
    // Without a finite V1 lower bound (or a positive one) the upper bound is unbounded, and
    // without a finite V1 upper bound the lower one is 0.
    let r = quantile_ratio_sequence(&[1.0, 2.0, 3.0], &s2, 0.99, 0.05, t);
    assert_eq!(r.lower, 0.0);
    let r = quantile_ratio_sequence(&[1.0, 2.0, 3.0], &s2, 0.01, 0.05, t);
    assert_eq!(r.upper, f64::INFINITY);
    // Rates at the edges, and without trials.
    assert_eq!(rate_sequence(0, 100, 0.05, t).lower, 0.0);
    assert_eq!(rate_sequence(100, 100, 0.05, t).upper, 1.0);
    let none = rate_sequence(0, 0, 0.05, t);
    assert!(none.estimate.is_nan() && (none.lower, none.upper) == (0.0, 1.0));
    // The mixture is outside every sequence at p = 0 and 1; the prior weight has a floor.
    use crate::stats::sequential::{log_mixture, prior_weight};
    for p in [0.0, 1.0, -0.5, f64::NAN] {
        assert_eq!(log_mixture(3.0, 10.0, p, 5.0), f64::INFINITY, "p = {p}");
    }
    assert_eq!(log_mixture(3.0, 10.0, 0.5, 0.0), f64::INFINITY, "no prior weight");
    // Where k p or k (1 - p) rounds to 0 although 0 < p < 1 (ln_beta would panic on it).
    assert_eq!(log_mixture(3.0, 10.0, 5e-324, 0.5), f64::INFINITY, "k p underflows");
    assert_eq!(log_mixture(3.0, 10.0, 1.0 - f64::EPSILON / 2.0, 1e-310), f64::INFINITY, "k (1 - p) underflows");
    assert!(log_mixture(3.0, 10.0, 0.3, 5.0).is_finite());
    assert_eq!(prior_weight(0.05, 1), 1e-3);
    let zeros = vec![0.0; 2000];
    assert_eq!(quantile_ratio_sequence(&zeros, &s2, 0.5, 0.05, t).upper, f64::INFINITY);
    assert_eq!(quantile_ratio_sequence(&s1, &[-5.0; 2000], 0.5, 0.05, t).lower, 0.0);
    assert_eq!(quantile_ratio_sequence(&zeros, &zeros, 0.5, 0.05, t).upper, f64::INFINITY, "0 / 0");
    assert_eq!(quantile_ratio_sequence(&[-5.0; 2000], &s2, 0.5, 0.05, t).upper, f64::INFINITY, "a negative V1 bound");
}

#[test]
fn mean_ratio_matches_the_delta_method_computed_with_numpy() {
    use crate::stats::resample::mean_ratio;
    for c in cases("mean_ratio") {
        let r = mean_ratio(&xs(&c["x"]), &xs(&c["y"]), c["paired"].as_bool().unwrap(), f(&c["confidence"]));
        let name = format!("mean ratio {}", c["name"]);
        assert_eq!((r.method, r.resamples), ("delta-method", 0), "{name}");
        close(r.interval.estimate, f(&c["ratio"]), 1e-12, &name);
        close(r.interval.lower, f(&c["lower"]), 1e-9, &name);
        close(r.interval.upper, f(&c["upper"]), 1e-9, &name);
    }
    // Fewer than two values on a side: no ratio; a mean that is not positive: no interval.
    assert!(mean_ratio(&[1.0], &[1.0, 2.0], false, 0.95).interval.estimate.is_nan());
    assert!(mean_ratio(&[1.0, 2.0], &[f64::NAN, 2.0], true, 0.95).interval.estimate.is_nan());
    let zero = mean_ratio(&[-1.0, 1.0], &[1.0, 2.0], false, 0.95).interval;
    assert_eq!((zero.lower, zero.upper), (f64::INFINITY, f64::INFINITY));
}

/// The batch assignment: a partition of 0..n into BATCHES ascending lists, the same for an index
/// whatever n is (so the pieces cut above 2^20 indices change nothing), different per seed and salt.
#[test]
fn batches_partition_the_indices_the_same_way_at_every_size() {
    use crate::stats::resample::{split_batches, BATCHES};
    let n = (1 << 20) + 5000;
    let small = split_batches(1 << 20, 7, 1);
    let large = split_batches(n, 7, 1);
    assert_eq!((small.len(), large.len()), (BATCHES, BATCHES));
    // Balanced: each batch within 5 binomial SDs of n / BATCHES.
    let p = 1.0 / BATCHES as f64;
    let (m, sd) = (n as f64 * p, (n as f64 * p * (1.0 - p)).sqrt());
    let mut seen = vec![false; n];
    for (s, l) in small.iter().zip(&large) {
        assert!(l.windows(2).all(|w| w[0] < w[1]), "ascending");
        assert_eq!(&l[..s.len()], &s[..], "an index keeps its batch when n grows");
        assert!((l.len() as f64 - m).abs() < 5.0 * sd, "{} vs {m}", l.len());
        for &i in l {
            assert!(!seen[i as usize], "{i} twice");
            seen[i as usize] = true;
        }
    }
    assert!(seen.iter().all(|&s| s));
    assert_ne!(split_batches(1000, 7, 1), split_batches(1000, 8, 1));
    assert_ne!(split_batches(1000, 7, 1), split_batches(1000, 9, 1), "seeds that differ outside the salt's bits");
    assert_ne!(split_batches(1000, 7, 1), split_batches(1000, 7, 2));
}

/// Paired batch means, recomputed from the batches: ln R_hat +- t_49 sd / sqrt(50), with SciPy's
/// t.ppf(0.975, 49) = 2.0095752371292392.
#[test]
fn paired_batch_means_are_the_log_ratio_plus_minus_t_times_the_batch_sd() {
    use crate::stats::resample::{quantile_ratio, split_batches, BATCHES, BOOTSTRAP_MAX_N, V1_SALT};
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let n = BOOTSTRAP_MAX_N + 1;
    let v1: Vec<f64> = (0..n).map(|_| 50.0 + rng.gen::<f64>() * 100.0).collect();
    let v2: Vec<f64> = v1.iter().map(|x| x * (1.0 + 0.1 * rng.gen::<f64>())).collect();
    let seed = 5;
    let r = quantile_ratio(&v1, &v2, 0.95, true, 0.95, seed);
    assert_eq!((r.method, r.resamples), ("batch-means", BATCHES));
    let est = qu::quantile_sorted(&crate::stats::sorted(&v2), 0.95) / qu::quantile_sorted(&crate::stats::sorted(&v1), 0.95);
    let logs: Vec<f64> = split_batches(n, seed, V1_SALT)
        .iter()
        .map(|b| {
            let mut a: Vec<f64> = b.iter().map(|&i| v1[i as usize]).collect();
            let mut c: Vec<f64> = b.iter().map(|&i| v2[i as usize]).collect();
            (qu::quantile_select(&mut c, 0.95) / qu::quantile_select(&mut a, 0.95)).ln()
        })
        .collect();
    let half = 2.0095752371292392 * crate::stats::variance(&logs).sqrt() / (BATCHES as f64).sqrt();
    close(r.interval.estimate, est, 1e-15, "batch means estimate");
    close(r.interval.lower, est * (-half).exp(), 1e-9, "batch means lower");
    close(r.interval.upper, est * half.exp(), 1e-9, "batch means upper");
    // One observation more than the bootstrap's limit switches; at the limit it is the bootstrap.
    let b = quantile_ratio(&v1[..BOOTSTRAP_MAX_N], &v2[..BOOTSTRAP_MAX_N], 0.95, true, 0.95, seed);
    assert_eq!(b.method, "bootstrap-percentile");
}

/// The batch assignment's hash against SplitMix64 as Vigna's reference C code computes it (the
/// values were computed in Python from that code; 0xE220A8397B1DCDAF is also the first output of
/// the published generator seeded with 0).
#[test]
fn splitmix_matches_the_reference_generator() {
    use crate::stats::resample::splitmix;
    assert_eq!(splitmix(0), 0xE220_A839_7B1D_CDAF);
    assert_eq!(splitmix(1), 0x910A_2DEC_8902_5CC1);
    assert_eq!(splitmix(0x5151), 0x5BA6_102B_1C34_9BF1);
    assert_eq!(splitmix(12_345_678_901_234_567_890), 0xF959_D463_56AF_D6E8);
}

/// NaNs are dropped before the delta method: pairwise when paired (so a NaN on one side drops
/// the pair), per version when not; paired samples of unequal length are paired up to the
/// shorter one.
#[test]
fn mean_ratio_drops_nans_pairwise_or_per_version() {
    use crate::stats::resample::mean_ratio;
    let (x, y) = ([1.0, 2.0, 3.0, 5.0], [f64::NAN, 2.0, 4.0, 5.5]);
    let paired = mean_ratio(&x, &y, true, 0.95).interval;
    let want = mean_ratio(&x[1..], &y[1..], true, 0.95).interval;
    assert_eq!(paired, want);
    close(paired.estimate, 11.5 / 10.0, 1e-15, "paired, first pair dropped");
    let unpaired = mean_ratio(&x, &y, false, 0.95).interval;
    assert_eq!(unpaired, mean_ratio(&x, &y[1..], false, 0.95).interval);
    close(unpaired.estimate, (11.5 / 3.0) / (11.0 / 4.0), 1e-15, "unpaired, V2's NaN dropped");
    // V1's NaN, too.
    assert_eq!(mean_ratio(&y, &x, true, 0.95).interval, mean_ratio(&y[1..], &x[1..], true, 0.95).interval);
    let longer = [1.0, 2.0, 3.0, 5.0, 100.0];
    assert_eq!(mean_ratio(&longer, &[1.5, 2.0, 4.0, 5.5], true, 0.95).interval, mean_ratio(&x, &[1.5, 2.0, 4.0, 5.5], true, 0.95).interval);
}

/// The paired percentile bootstrap, recomputed here from its definition: replicate r draws n pair
/// indices from ChaCha8 seeded with the seed on stream r + 1, the statistic is
/// ln(Q_q(V2*) / Q_q(V1*)), and the bounds are exp of the type-7 quantiles a/2 and 1 - a/2 of
/// the finite replicates.
#[test]
fn paired_percentile_bootstrap_is_the_quantiles_of_the_replicate_log_ratios() {
    use crate::stats::resample::{quantile_ratio, BOOTSTRAP_REPLICATES};
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let n = 40;
    let v1: Vec<f64> = (0..n).map(|_| 20.0 + rng.gen::<f64>() * 80.0).collect();
    let v2: Vec<f64> = v1.iter().map(|x| x * (0.9 + 0.3 * rng.gen::<f64>())).collect();
    let (q, confidence, seed) = (0.9, 0.9, 17);
    let r = quantile_ratio(&v1, &v2, q, true, confidence, seed);
    assert_eq!((r.method, r.resamples), ("bootstrap-percentile", BOOTSTRAP_REPLICATES));
    let mut logs: Vec<f64> = (0..BOOTSTRAP_REPLICATES)
        .map(|k| {
            let mut g = ChaCha8Rng::seed_from_u64(seed);
            g.set_stream(k as u64 + 1);
            let idx: Vec<usize> = (0..n).map(|_| g.gen_range(0..n)).collect();
            let a = crate::stats::sorted(&idx.iter().map(|&i| v1[i]).collect::<Vec<_>>());
            let b = crate::stats::sorted(&idx.iter().map(|&i| v2[i]).collect::<Vec<_>>());
            (qu::quantile_sorted(&b, q) / qu::quantile_sorted(&a, q)).ln()
        })
        .collect();
    logs.sort_by(f64::total_cmp);
    let est = qu::quantile_sorted(&crate::stats::sorted(&v2), q) / qu::quantile_sorted(&crate::stats::sorted(&v1), q);
    close(r.interval.estimate, est, 1e-15, "estimate");
    close(r.interval.lower, qu::quantile_sorted(&logs, 0.05).exp(), 1e-12, "lower");
    close(r.interval.upper, qu::quantile_sorted(&logs, 0.95).exp(), 1e-12, "upper");
}

/// When to give no interval: fewer than two values a side, paired samples of unequal length, an
/// estimate that is not finite, and a bootstrap where fewer than half of the replicates are
/// finite (here each version's resampled 60th percentile is 0 in 38% of draws, so 62% of paired
/// replicates and 38% of unpaired ones are finite).
#[test]
fn resampled_ratios_are_undefined_where_the_data_cannot_give_one() {
    use crate::stats::resample::{quantile_ratio, resampled_quantile_ratios};
    let ok = |r: crate::stats::resample::RatioInterval| r.interval.lower.is_finite() && r.interval.upper.is_finite();
    assert_eq!(quantile_ratio(&[1.0], &[1.0], 0.5, true, 0.95, 1).method, "none");
    let three = [1.0, 2.0, 3.0];
    assert_eq!(resampled_quantile_ratios(&[2.0], &three, &[2.0], &three, &[0.5], false, 0.95, 1)[0].method, "none", "one V1 value");
    assert_eq!(resampled_quantile_ratios(&three, &[2.0], &three, &[2.0], &[0.5], false, 0.95, 1)[0].method, "none", "one V2 value");
    assert!(ok(quantile_ratio(&[1.0, 2.0], &[1.5, 2.5], 0.5, true, 0.95, 1)), "two pairs are enough");
    assert_eq!(quantile_ratio(&[1.0, 2.0, 3.0], &[1.0, 2.0], 0.5, true, 0.95, 1).method, "none");
    assert_eq!(quantile_ratio(&[0.0, 0.0, 0.0], &[1.0, 2.0, 3.0], 0.5, true, 0.95, 1).method, "none", "infinite estimate");
    let v: Vec<f64> = [0.0; 6].into_iter().chain([1.0; 4]).collect();
    let paired = quantile_ratio(&v, &v, 0.6, true, 0.95, 1);
    assert_eq!(paired.method, "bootstrap-percentile");
    assert!(ok(paired) && paired.resamples > crate::stats::resample::BOOTSTRAP_REPLICATES / 2, "{paired:?}");
    let s = crate::stats::sorted(&v);
    let unpaired = resampled_quantile_ratios(&v, &v, &s, &s, &[0.6], false, 0.95, 1)[0];
    assert_eq!((unpaired.method, unpaired.resamples), ("bootstrap-percentile", 0), "{unpaired:?}");
    assert!(unpaired.interval.lower.is_nan() && unpaired.interval.estimate == 1.0);
}

/// `sort_in_place` sorts by integer keys; the bits must be those of `sort_unstable_by(total_cmp)`,
/// on both sides of the parallel threshold and for every kind of value (signed zeros, NaNs of
/// both signs, infinities, subnormals, ties).
#[test]
fn sorting_by_integer_keys_gives_total_cmp_order_bit_for_bit() {
    let special = [0.0, -0.0, f64::NAN, -f64::NAN, f64::INFINITY, f64::NEG_INFINITY, f64::MIN_POSITIVE / 4.0, -5e-324, 1.0, -1.0];
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for n in [0, 1, 2, 17, 1000, 100_001, 250_000] {
        let v: Vec<f64> = (0..n)
            .map(|i| match rng.gen_range(0..4) {
                0 => special[i % special.len()],
                1 => f64::from_bits(rng.gen()),
                2 => (rng.gen_range(-1000..100_000) as f64) / 1000.0,
                _ => rng.gen_range(0.0..10.0f64).exp(),
            })
            .collect();
        let mut want = v.clone();
        want.sort_unstable_by(f64::total_cmp);
        let mut got = v.clone();
        crate::stats::sort_in_place(&mut got);
        assert!(got.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()), "n = {n}");
        assert_eq!(got.len(), want.len());
    }
}

#[test]
fn min_max_finds_both_ends_in_one_pass_and_none_of_nothing() {
    use rayon::prelude::*;
    let none: Vec<i64> = Vec::new();
    assert_eq!(crate::stats::min_max(none.par_iter().copied()), None);
    assert_eq!(crate::stats::min_max([7i64].par_iter().copied()), Some((7, 7)));
    assert_eq!(crate::stats::min_max([i64::MAX, i64::MIN].par_iter().copied()), Some((i64::MIN, i64::MAX)));
    let v: Vec<i64> = (0..300_000).map(|i| (i * 7919) % 100_003 - 50_000).collect();
    let want = (*v.iter().min().unwrap(), *v.iter().max().unwrap());
    assert_eq!(crate::stats::min_max(v.par_iter().copied()), Some(want));
}
