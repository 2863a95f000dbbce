//! Discrepancies: comparable pairs (both versions answered `ok`) whose canonical results differ,
//! broken down by field and by segment, with example correlation ids.

use super::canonical::{diff, FieldDiff};
use crate::stats::multiple::benjamini_hochberg;
use crate::stats::proportion::{rate_interval, two_proportion_z};
use crate::stats::Interval;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// Everything the discrepancy analysis needs about one pair.
pub struct PairView<'a> {
    pub id: &'a str,
    pub v1_ok: bool,
    pub v2_ok: bool,
    pub v1_result: Option<&'a str>,
    pub v2_result: Option<&'a str>,
    /// Segment values (from V1's row, else V2's), in the order of the segment columns.
    pub segments: Vec<Option<&'a str>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldCount {
    pub path: String,
    /// Kinds of difference seen at this path with their counts.
    pub kinds: BTreeMap<&'static str, u64>,
    pub count: u64,
    /// Share of mismatched pairs that differ at this path.
    pub share_of_mismatches: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SegmentRow {
    pub column: String,
    pub value: String,
    pub pairs: u64,
    pub comparable: u64,
    pub mismatches: u64,
    /// Discrepancy rate among the segment's comparable pairs.
    pub rate: Interval,
    /// Two-proportion test of this segment's rate against the rest, BH-adjusted across segments.
    pub p_value: f64,
    pub q_value: f64,
    /// Pairs where V2 failed or disagreed with V1 (the functionality.segment statistic).
    pub v2_failures: u64,
    pub failure_rate: Interval,
}

#[derive(Debug, Clone, Serialize)]
pub struct Example {
    pub correlation_id: String,
    pub paths: Vec<String>,
    pub v1_result: Option<String>,
    pub v2_result: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusChanges {
    pub v1_ok_v2_error: u64,
    pub v1_error_v2_ok: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Discrepancy {
    /// false when there is nothing to compare (no result column, or canary mode).
    pub applicable: bool,
    pub comparable_pairs: u64,
    pub mismatches: u64,
    pub rate: Interval,
    pub method: &'static str,
    pub status_changes: StatusChanges,
    pub by_field: Vec<FieldCount>,
    pub by_segment: Vec<SegmentRow>,
    pub examples: Vec<Example>,
    /// Mismatched pairs, for discrepancies.parquet (not in verdict.json).
    #[serde(skip)]
    pub mismatched: Vec<(usize, Vec<FieldDiff>)>,
}

/// Bytes of a result kept in examples.
pub const EXAMPLE_RESULT_BYTES: usize = 2000;
const MAX_EXAMPLES: usize = 10;
const MAX_FIELDS: usize = 50;

fn example_rank(id: &str, seed: u64) -> u64 {
    // FNV-1a over the id, mixed with the seed: a deterministic, order-independent sample.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in id.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

pub fn analyze(pairs: &[PairView<'_>], segment_names: &[String], applicable: bool, confidence: f64, seed: u64) -> Discrepancy {
    let mut status = StatusChanges { v1_ok_v2_error: 0, v1_error_v2_ok: 0 };
    for p in pairs {
        match (p.v1_ok, p.v2_ok) {
            (true, false) => status.v1_ok_v2_error += 1,
            (false, true) => status.v1_error_v2_ok += 1,
            _ => {}
        }
    }
    let comparable: Vec<usize> =
        if applicable { (0..pairs.len()).filter(|&i| pairs[i].v1_ok && pairs[i].v2_ok).collect() } else { Vec::new() };
    let mismatched_idx: Vec<usize> = comparable.iter().copied().filter(|&i| pairs[i].v1_result != pairs[i].v2_result).collect();
    let mismatched: Vec<(usize, Vec<FieldDiff>)> = mismatched_idx
        .par_iter()
        .map(|&i| {
            let d = match (pairs[i].v1_result, pairs[i].v2_result) {
                (Some(a), Some(b)) => diff(a, b),
                (Some(_), None) => vec![FieldDiff { path: "$".into(), kind: "missing_in_v2" }],
                (None, _) => vec![FieldDiff { path: "$".into(), kind: "extra_in_v2" }],
            };
            (i, d)
        })
        .collect();
    let n_comp = comparable.len() as u64;
    let n_mis = mismatched.len() as u64;
    let (rate, method) = rate_interval(n_mis, n_comp, confidence);

    let mut fields: BTreeMap<String, FieldCount> = BTreeMap::new();
    for (_, diffs) in &mismatched {
        let mut seen_paths: Vec<&str> = Vec::new();
        for d in diffs {
            let e = fields.entry(d.path.clone()).or_insert_with(|| FieldCount {
                path: d.path.clone(),
                kinds: BTreeMap::new(),
                count: 0,
                share_of_mismatches: 0.0,
            });
            *e.kinds.entry(d.kind).or_insert(0) += 1;
            if !seen_paths.contains(&d.path.as_str()) {
                e.count += 1;
                seen_paths.push(&d.path);
            }
        }
    }
    let mut by_field: Vec<FieldCount> = fields.into_values().collect();
    for f in &mut by_field {
        f.share_of_mismatches = if n_mis == 0 { 0.0 } else { f.count as f64 / n_mis as f64 };
    }
    by_field.sort_by(|a, b| b.count.cmp(&a.count).then(a.path.cmp(&b.path)));
    by_field.truncate(MAX_FIELDS);

    let mut examples: Vec<(u64, usize, &Vec<FieldDiff>)> =
        mismatched.iter().map(|(i, d)| (example_rank(pairs[*i].id, seed), *i, d)).collect();
    examples.sort();
    let examples = examples
        .into_iter()
        .take(MAX_EXAMPLES)
        .map(|(_, i, d)| {
            let cut = |s: Option<&str>| {
                s.map(|s| {
                    let mut t = s.to_string();
                    crate::ingest::truncate_utf8(&mut t, EXAMPLE_RESULT_BYTES);
                    t
                })
            };
            Example {
                correlation_id: pairs[i].id.to_string(),
                paths: d.iter().map(|f| f.path.clone()).collect(),
                v1_result: cut(pairs[i].v1_result),
                v2_result: cut(pairs[i].v2_result),
            }
        })
        .collect();

    let by_segment = segments(pairs, segment_names, &mismatched_idx, applicable, n_comp, n_mis, confidence);
    Discrepancy {
        applicable,
        comparable_pairs: n_comp,
        mismatches: n_mis,
        rate,
        method,
        status_changes: status,
        by_field,
        by_segment,
        examples,
        mismatched,
    }
}

fn segments(
    pairs: &[PairView<'_>],
    names: &[String],
    mismatched: &[usize],
    applicable: bool,
    n_comp: u64,
    n_mis: u64,
    confidence: f64,
) -> Vec<SegmentRow> {
    let mut is_mismatch = vec![false; pairs.len()];
    for &i in mismatched {
        is_mismatch[i] = true;
    }
    let mut rows = Vec::new();
    for (s, name) in names.iter().enumerate() {
        // value -> (pairs, comparable, mismatches, v2 failures)
        let mut groups: BTreeMap<&str, (u64, u64, u64, u64)> = BTreeMap::new();
        for (i, p) in pairs.iter().enumerate() {
            let g = groups.entry(p.segments[s].unwrap_or("(missing)")).or_insert((0, 0, 0, 0));
            g.0 += 1;
            let comparable = applicable && p.v1_ok && p.v2_ok;
            if comparable {
                g.1 += 1;
            }
            if is_mismatch[i] {
                g.2 += 1;
            }
            if !p.v2_ok || is_mismatch[i] {
                g.3 += 1;
            }
        }
        for (value, (n, comp, mis, fail)) in groups {
            let (rate, _) = rate_interval(mis, comp, confidence);
            let (_, p) = two_proportion_z(mis, comp, n_mis - mis, n_comp - comp);
            let (failure_rate, _) = rate_interval(fail, n, confidence);
            rows.push(SegmentRow {
                column: name.clone(),
                value: value.to_string(),
                pairs: n,
                comparable: comp,
                mismatches: mis,
                rate,
                p_value: p,
                q_value: f64::NAN,
                v2_failures: fail,
                failure_rate,
            });
        }
    }
    let q = benjamini_hochberg(&rows.iter().map(|r| r.p_value).collect::<Vec<_>>());
    for (r, q) in rows.iter_mut().zip(q) {
        r.q_value = q;
    }
    rows.sort_by(|a, b| {
        b.mismatches.cmp(&a.mismatches).then(b.v2_failures.cmp(&a.v2_failures)).then(a.column.cmp(&b.column)).then(a.value.cmp(&b.value))
    });
    rows
}
