//! Error rates per version and V2 - V1 with paired (McNemar/Newcombe) or unpaired
//! (Newcombe/two-proportion) inference.

use crate::stats::proportion::{mcnemar, newcombe_paired, newcombe_unpaired, rate_interval, two_proportion_z, PairedTable};
use crate::stats::Interval;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct Rate {
    pub n: u64,
    pub errors: u64,
    #[serde(flatten)]
    pub rate: Interval,
    /// "wilson" or "clopper-pearson".
    pub method: &'static str,
    /// Most frequent error codes (at most 10), by count.
    pub top_error_codes: Vec<(String, u64)>,
}

pub fn rate<'a>(ok: impl Iterator<Item = bool>, codes: impl Iterator<Item = Option<&'a str>>, confidence: f64) -> Rate {
    let mut n = 0u64;
    let mut errors = 0u64;
    let mut by_code: BTreeMap<String, u64> = BTreeMap::new();
    for (ok, code) in ok.zip(codes) {
        n += 1;
        if !ok {
            errors += 1;
            *by_code.entry(code.unwrap_or("(none)").to_string()).or_insert(0) += 1;
        }
    }
    let (rate, method) = rate_interval(errors, n, confidence);
    let mut top: Vec<(String, u64)> = by_code.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(10);
    Rate { n, errors, rate, method, top_error_codes: top }
}

/// V2 minus V1 error rate.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorDiff {
    #[serde(flatten)]
    pub diff: Interval,
    /// "newcombe-paired" (shadow) or "newcombe" (canary).
    pub interval_method: &'static str,
    /// "mcnemar-midp", "mcnemar-chi2" or "two-proportion-z" (H0: equal error rates).
    pub test: &'static str,
    pub statistic: f64,
    pub p_value: f64,
    /// Shadow mode: the paired table (first = V2 failed, second = V1 failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<PairedTable>,
}

/// Paired: `pairs` yields (v1_ok, v2_ok) for each pair.
pub fn diff_paired(pairs: impl Iterator<Item = (bool, bool)>, confidence: f64) -> ErrorDiff {
    let mut t = PairedTable { both: 0, only_first: 0, only_second: 0, neither: 0 };
    for (v1_ok, v2_ok) in pairs {
        match (!v2_ok, !v1_ok) {
            (true, true) => t.both += 1,
            (true, false) => t.only_first += 1,
            (false, true) => t.only_second += 1,
            (false, false) => t.neither += 1,
        }
    }
    let m = mcnemar(t.only_first, t.only_second);
    ErrorDiff {
        diff: newcombe_paired(t, confidence),
        interval_method: "newcombe-paired",
        test: m.method,
        statistic: m.statistic,
        p_value: m.p_value,
        table: Some(t),
    }
}

pub fn diff_unpaired(v1: &Rate, v2: &Rate, confidence: f64) -> ErrorDiff {
    let (z, p) = two_proportion_z(v2.errors, v2.n, v1.errors, v1.n);
    ErrorDiff {
        diff: newcombe_unpaired(v2.errors, v2.n, v1.errors, v1.n, confidence),
        interval_method: "newcombe",
        test: "two-proportion-z",
        statistic: z,
        p_value: p,
        table: None,
    }
}
