//! Intervals and tests for proportions (error rates, discrepancy rates).

use super::{normal_sf, z_two_sided, Interval};
use statrs::distribution::{Binomial, Discrete, DiscreteCDF};

/// Wilson score interval for x successes in n trials (Wilson 1927; Agresti & Coull 1998).
/// n = 0 gives the uninformative [0, 1] around NaN. O(1).
pub fn wilson(x: u64, n: u64, confidence: f64) -> Interval {
    if n == 0 {
        return Interval::new(f64::NAN, 0.0, 1.0);
    }
    let z = z_two_sided(confidence);
    let nf = n as f64;
    let p = x as f64 / nf;
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = z * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
    // At the edges the closed form gives 0 and 1 up to rounding; make them exact.
    let lower = if x == 0 { 0.0 } else { (centre - half).max(0.0) };
    let upper = if x == n { 1.0 } else { (centre + half).min(1.0) };
    Interval::new(p, lower, upper)
}

/// Quantile of the Beta(a, b) distribution by bisection on statrs' regularized incomplete beta
/// function I_p(a, b), which is monotone in p. statrs' own `inv_beta_reg` did not finish in
/// 10 minutes for Beta(1, 1e7) (the discrepancy interval of 10M clean pairs), so it is not used;
/// bisection to relative precision 1e-15 costs at most 200 evaluations.
pub fn beta_quantile(a: f64, b: f64, prob: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if statrs::function::beta::beta_reg(a, b, mid) < prob {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-15 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Exact Clopper-Pearson interval (Clopper & Pearson 1934) from Beta quantiles:
/// [B(a/2; x, n-x+1), B(1-a/2; x+1, n-x)], with 0 and 1 at the edges; the closed forms
/// 1 - (a/2)^(1/n) and (a/2)^(1/n) when x = 0 or x = n. O(1) (bounded bisection).
pub fn clopper_pearson(x: u64, n: u64, confidence: f64) -> Interval {
    if n == 0 {
        return Interval::new(f64::NAN, 0.0, 1.0);
    }
    let a = 1.0 - confidence;
    let p = x as f64 / n as f64;
    let nf = n as f64;
    let lower = if x == 0 {
        0.0
    } else if x == n {
        (a / 2.0).powf(1.0 / nf)
    } else {
        beta_quantile(x as f64, (n - x + 1) as f64, a / 2.0)
    };
    let upper = if x == n {
        1.0
    } else if x == 0 {
        1.0 - (a / 2.0).powf(1.0 / nf)
    } else {
        beta_quantile((x + 1) as f64, (n - x) as f64, 1.0 - a / 2.0)
    };
    Interval::new(p, lower, upper)
}

/// The interval shadowgate reports for a rate: exact Clopper-Pearson when either count is tiny
/// (fewer than 5 successes or failures, where Wilson's coverage dips), Wilson otherwise.
/// Returns the interval and the method's name.
pub fn rate_interval(x: u64, n: u64, confidence: f64) -> (Interval, &'static str) {
    if x < 5 || n.saturating_sub(x) < 5 {
        (clopper_pearson(x, n, confidence), "clopper-pearson")
    } else {
        (wilson(x, n, confidence), "wilson")
    }
}

/// Newcombe's hybrid score interval for the difference of two independent proportions
/// x1/n1 - x2/n2 (Newcombe 1998, Statistics in Medicine 17:873, method 10), from the two Wilson
/// intervals. O(1).
pub fn newcombe_unpaired(x1: u64, n1: u64, x2: u64, n2: u64, confidence: f64) -> Interval {
    let a = wilson(x1, n1, confidence);
    let b = wilson(x2, n2, confidence);
    let (p1, p2) = (a.estimate, b.estimate);
    let d = p1 - p2;
    let lower = d - ((p1 - a.lower).powi(2) + (b.upper - p2).powi(2)).sqrt();
    let upper = d + ((a.upper - p1).powi(2) + (p2 - b.lower).powi(2)).sqrt();
    Interval::new(d, lower.max(-1.0), upper.min(1.0))
}

/// A paired 2x2 table of binary outcomes (e.g. "request failed") for two versions on the same
/// requests: `both` = outcome in both, `only_first`, `only_second`, `neither`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PairedTable {
    pub both: u64,
    pub only_first: u64,
    pub only_second: u64,
    pub neither: u64,
}

impl PairedTable {
    /// Adds another table's cells (the same outcomes counted on other pairs).
    pub fn merge(&mut self, o: &PairedTable) {
        self.both += o.both;
        self.only_first += o.only_first;
        self.only_second += o.only_second;
        self.neither += o.neither;
    }
    pub fn n(&self) -> u64 {
        self.both + self.only_first + self.only_second + self.neither
    }
}

/// Newcombe's interval for the difference of paired proportions p_first - p_second
/// (Newcombe 1998, Statistics in Medicine 17:2635, method 10): Wilson intervals for both marginals
/// combined with the correlation of the 2x2 table. phi uses Newcombe's continuity adjustment of
/// A = ad - bc: (A - n/2)/sqrt(.) when A > n/2, 0 when 0 <= A <= n/2, A/sqrt(.) when A < 0, and 0
/// when a margin is empty; this reproduces the published example of Fagerland, Lydersen & Laake
/// (2014), table [[59,6],[16,80]] -> -0.0621 (-0.1186, -0.0046). O(1).
pub fn newcombe_paired(t: PairedTable, confidence: f64) -> Interval {
    let n = t.n();
    if n == 0 {
        return Interval::new(f64::NAN, -1.0, 1.0);
    }
    let (a, b, c, d) = (t.both as f64, t.only_first as f64, t.only_second as f64, t.neither as f64);
    let w1 = wilson(t.both + t.only_first, n, confidence);
    let w2 = wilson(t.both + t.only_second, n, confidence);
    let (p1, p2) = (w1.estimate, w2.estimate);
    let denom = ((a + b) * (c + d) * (a + c) * (b + d)).sqrt();
    let big_a = a * d - b * c;
    let half_n = n as f64 / 2.0;
    let phi = if denom == 0.0 {
        0.0
    } else if big_a > half_n {
        (big_a - half_n) / denom
    } else if big_a >= 0.0 {
        0.0
    } else {
        big_a / denom
    };
    let (dl1, du1) = (p1 - w1.lower, w1.upper - p1);
    let (dl2, du2) = (p2 - w2.lower, w2.upper - p2);
    let delta = p1 - p2;
    let lower = delta - (dl1 * dl1 - 2.0 * phi * dl1 * du2 + du2 * du2).max(0.0).sqrt();
    let upper = delta + (du1 * du1 - 2.0 * phi * du1 * dl2 + dl2 * dl2).max(0.0).sqrt();
    Interval::new(delta, lower.max(-1.0), upper.min(1.0))
}

/// Result of McNemar's test on the discordant pairs b = only_first, c = only_second.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct McNemar {
    /// "mcnemar-midp" (exact binomial mid-p) or "mcnemar-chi2" (asymptotic, no continuity correction).
    pub method: &'static str,
    /// Chi-square statistic (b-c)^2/(b+c); NaN when there are no discordant pairs.
    pub statistic: f64,
    pub p_value: f64,
}

/// Below this many discordant pairs McNemar's test uses the exact mid-p value.
pub const MCNEMAR_EXACT_BELOW: u64 = 100;

/// McNemar's test (McNemar 1947). With fewer than [`MCNEMAR_EXACT_BELOW`] discordant pairs the
/// mid-p version of the exact binomial test (Fagerland, Lydersen & Laake 2013, BMC Med Res Meth
/// 13:91, who recommend it), otherwise the uncorrected chi-square statistic on 1 df. No discordant
/// pairs: p = 1. O(b + c) for the exact branch.
pub fn mcnemar(b: u64, c: u64) -> McNemar {
    let m = b + c;
    let statistic = if m == 0 { f64::NAN } else { (b as f64 - c as f64).powi(2) / m as f64 };
    if m == 0 {
        return McNemar { method: "mcnemar-midp", statistic, p_value: 1.0 };
    }
    if m < MCNEMAR_EXACT_BELOW {
        let Ok(binom) = Binomial::new(0.5, m) else {
            return McNemar { method: "mcnemar-midp", statistic, p_value: f64::NAN };
        };
        let k = b.min(c);
        // mid-p = 2 P(X <= k) - P(X = k), capped at 1 (equals the exact p minus the point
        // probability whenever b != c).
        let p = (2.0 * binom.cdf(k) - binom.pmf(k)).clamp(0.0, 1.0);
        McNemar { method: "mcnemar-midp", statistic, p_value: p }
    } else {
        McNemar { method: "mcnemar-chi2", statistic, p_value: (2.0 * normal_sf(statistic.sqrt())).min(1.0) }
    }
}

/// Two-sided test of two independent proportions with the pooled-variance z statistic
/// (equivalent to Pearson's chi-square on the 2x2 table without continuity correction).
/// Returns (z, p). O(1).
pub fn two_proportion_z(x1: u64, n1: u64, x2: u64, n2: u64) -> (f64, f64) {
    if n1 == 0 || n2 == 0 {
        return (f64::NAN, f64::NAN);
    }
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let pooled = (x1 + x2) as f64 / (n1 + n2) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    if se == 0.0 {
        return (0.0, 1.0);
    }
    let z = (p1 - p2) / se;
    (z, (2.0 * normal_sf(z.abs())).min(1.0))
}
