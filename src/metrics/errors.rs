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
    let mut counts = ErrorCounts::default();
    for (ok, code) in ok.zip(codes) {
        counts.add(ok, code);
    }
    counts.rate(confidence)
}

/// Requests, errors and errors by code of one version: what [`rate`] counts, mergeable, so that
/// the analysis from summaries (issue 13) counts a partition at a time.
#[derive(Debug, Clone, Default)]
pub struct ErrorCounts {
    pub n: u64,
    pub errors: u64,
    pub by_code: BTreeMap<String, u64>,
}

impl ErrorCounts {
    pub fn add(&mut self, ok: bool, code: Option<&str>) {
        self.n += 1;
        if !ok {
            self.errors += 1;
            let code = code.unwrap_or("(none)");
            match self.by_code.get_mut(code) {
                Some(c) => *c += 1,
                None => {
                    self.by_code.insert(code.to_string(), 1);
                }
            }
        }
    }

    pub fn merge(&mut self, other: &ErrorCounts) {
        self.n += other.n;
        self.errors += other.errors;
        for (code, c) in &other.by_code {
            *self.by_code.entry(code.clone()).or_insert(0) += c;
        }
    }

    /// The error rate with its interval and the ten most frequent codes.
    pub fn rate(&self, confidence: f64) -> Rate {
        let (rate, method) = rate_interval(self.errors, self.n, confidence);
        let mut top: Vec<(String, u64)> = self.by_code.iter().map(|(k, v)| (k.clone(), *v)).collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        top.truncate(10);
        Rate { n: self.n, errors: self.errors, rate, method, top_error_codes: top }
    }
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
        count_pair(&mut t, v1_ok, v2_ok);
    }
    diff_of_table(t, confidence)
}

/// Counts one pair (V1 ok, V2 ok) in the paired table (first = V2 failed, second = V1 failed);
/// tables of parts merge by adding their cells.
pub fn count_pair(t: &mut PairedTable, v1_ok: bool, v2_ok: bool) {
    match (!v2_ok, !v1_ok) {
        (true, true) => t.both += 1,
        (true, false) => t.only_first += 1,
        (false, true) => t.only_second += 1,
        (false, false) => t.neither += 1,
    }
}

/// [`diff_paired`] from the counted table.
pub fn diff_of_table(t: PairedTable, confidence: f64) -> ErrorDiff {
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

#[cfg(test)]
mod tests {
    use super::{count_pair, diff_of_table, diff_paired, rate, ErrorCounts};
    use crate::stats::proportion::PairedTable;
    use proptest::prelude::*;

    proptest! {
        /// Counted a part at a time and merged, the error rates and the paired difference are
        /// the ones counted in one pass, to the byte.
        #[test]
        fn counts_merged_from_parts_give_the_one_pass_results(
            rows in proptest::collection::vec((any::<bool>(), any::<bool>(), proptest::option::of(0u8..14)), 0..300),
            parts in 1usize..4,
        ) {
            let code = |c: Option<u8>| c.map(|c| format!("E{c}"));
            let one = rate(rows.iter().map(|r| r.0), rows.iter().map(|r| code(r.2)).collect::<Vec<_>>().iter().map(|c| c.as_deref()), 0.95);
            let mut merged = ErrorCounts::default();
            let mut table = PairedTable { both: 0, only_first: 0, only_second: 0, neither: 0 };
            for p in 0..parts {
                let mut part = ErrorCounts::default();
                let mut t = PairedTable { both: 0, only_first: 0, only_second: 0, neither: 0 };
                for r in rows.iter().enumerate().filter(|(i, _)| i % parts == p).map(|(_, r)| r) {
                    part.add(r.0, code(r.2).as_deref());
                    count_pair(&mut t, r.0, r.1);
                }
                merged.merge(&part);
                table.merge(&t);
            }
            prop_assert_eq!(json(&merged.rate(0.95)), json(&one));
            prop_assert_eq!(json(&diff_of_table(table, 0.95)), json(&diff_paired(rows.iter().map(|r| (r.0, r.1)), 0.95)));
        }
    }

    fn json<T: serde::Serialize>(v: &T) -> String {
        serde_json::to_string(v).unwrap_or_default()
    }
}
