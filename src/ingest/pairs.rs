//! The paired table (`analyze --pairs`, schema in docs/pairs.md): what the SQL in `engines/`
//! (`shadowgate sql`) writes on Spark, Trino, BigQuery or DuckDB. One row per correlation id
//! with V1's and V2's fields side by side (`v1_<column>`, `v2_<column>`, with `<column>` the
//! policy's `[columns]` name), and a row of its own for every other row of either version
//! (later duplicates, rows without an id), so that each input row is in the table exactly once.
//!
//! It is read like raw logs: one pass per version maps the policy's columns to that version's
//! prefixed columns and keeps the rows whose `v1_present` / `v2_present` is true. The normal
//! validation, de-duplication and join then run on them. So a paired table from any engine is
//! checked as raw logs are (rejected rows counted by reason, duplicates found again, the join
//! confirmed), and on the same data the verdict equals the one from the raw logs.

use super::{Ingested, ReadOptions};
use crate::error::{Error, Result};
use crate::policy::Columns;
use std::path::Path;

/// The id column, shared by both versions.
pub const ID: &str = "correlation_id";

/// The paired table's column for field `name` of `version` (`v1` or `v2`): `v1_latency_ms`.
/// Characters other than ASCII letters, digits and `_` become `_`, so the name is a plain SQL
/// identifier in every dialect.
pub fn column(version: &str, name: &str) -> String {
    format!("{version}_{}", clean(name))
}

/// `name` with every character other than an ASCII letter, digit or `_` replaced by `_`.
pub fn clean(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect()
}

/// The column saying whether a row holds `version`'s side.
pub fn present(version: &str) -> String {
    column(version, "present")
}

/// The policy's `[columns]` as one version's pass reads the paired table: every mapped field
/// prefixed, the id shared, and the version split done by `<version>_present = true`.
pub fn version_columns(columns: &Columns, version: &str) -> Columns {
    let p = |name: &String| if name.is_empty() { String::new() } else { column(version, name) };
    Columns {
        correlation_id: ID.to_string(),
        timestamp: p(&columns.timestamp),
        latency_ms: p(&columns.latency_ms),
        status: p(&columns.status),
        error_code: p(&columns.error_code),
        result: p(&columns.result),
        cpu_ms: p(&columns.cpu_ms),
        memory_mb: p(&columns.memory_mb),
        net_bytes: p(&columns.net_bytes),
        latency_start: p(&columns.latency_start),
        latency_end: p(&columns.latency_end),
        version: present(version),
        v1_value: "true".into(),
        v2_value: "true".into(),
        ..columns.clone()
    }
}

/// Reads the paired table at `path` into V1's and V2's requests. `o1` and `o2` are the options
/// for raw logs (the policy's columns and segment names); `[input] select` and the version
/// column are not applied again (the SQL applied them).
pub fn read(
    path: &Path,
    o1: &ReadOptions<'_>,
    o2: &ReadOptions<'_>,
    spill: Option<&super::spill::SpillPlan>,
) -> Result<(Ingested, Ingested)> {
    let input = crate::policy::Input { format: o1.input.format, select: Default::default() };
    let c1 = version_columns(o1.columns, "v1");
    let c2 = version_columns(o2.columns, "v2");
    let s1: Vec<String> = o1.segment_by.iter().map(|s| column("v1", s)).collect();
    let s2: Vec<String> = o2.segment_by.iter().map(|s| column("v2", s)).collect();
    let p1 = ReadOptions { columns: &c1, input: &input, segment_by: &s1, pairs: true, ..*o1 };
    let p2 = ReadOptions { columns: &c2, input: &input, segment_by: &s2, pairs: true, ..*o2 };
    let mut both = super::read_versions_spilling(path, &[&p1, &p2], spill).map_err(explain)?.into_iter();
    let (Some(mut i1), Some(mut i2)) = (both.next(), both.next()) else {
        return Err(Error::Usage("internal: the paired table did not give two versions".into()));
    };
    for (i, o) in [(&mut i1, o1), (&mut i2, o2)] {
        // The segments keep the names the policy gives them, and the other side's rows of the
        // table are layout, not rows left out of this version.
        i.requests.segment_names = o.segment_by.to_vec();
        i.stats.rows_not_selected = 0;
        i.stats.not_selected_by_reason.values_mut().for_each(|n| *n = 0);
        i.stats.version_values.clear();
    }
    Ok((i1, i2))
}

/// Adds to a missing-column error how the paired table names its columns.
fn explain(e: Error) -> Error {
    match e {
        Error::Input { path, message } if message.starts_with("required column") => Error::Input {
            path,
            message: format!(
                "{message} (A paired table for --pairs names V1's fields v1_<column> and V2's v2_<column>, with <column> the name under [columns] of the policy, and shares `{ID}`; `shadowgate sql --dialect ...` with the same policy writes the SQL that builds it. docs/pairs.md has the schema.)"
            ),
        },
        e => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_prefixed_and_sanitized() {
        assert_eq!(column("v1", "latency_ms"), "v1_latency_ms");
        assert_eq!(column("v2", "attributes.\"http.route\""), "v2_attributes__http_route_");
        let c = version_columns(&Columns::default(), "v2");
        assert_eq!(c.correlation_id, ID);
        assert_eq!(c.timestamp, "v2_timestamp");
        assert_eq!(c.version, "v2_present");
        assert_eq!(c.v2_value, "true");
        // Unmapped fields stay unmapped.
        assert!(c.latency_start.is_empty());
    }
}
