//! SQL for the engines that already hold the logs (Spark, Trino, BigQuery, DuckDB): the
//! de-duplication and full join of V1 and V2 into the paired table that `analyze --pairs` reads
//! (docs/pairs.md). One query, built here from the policy's column names; each dialect (one file
//! each, behind [`Dialect`]) only quotes names and strings and wraps the query in the statement
//! that stores its result. `engines/*.sql` are this module's output for the default policy
//! (a test keeps them in step).
//!
//! The query puts each input row in the table exactly once: for every correlation id the
//! earliest row (by timestamp) of V1 and of V2 side by side, and every other row (later
//! duplicates, rows without an id) on a row of its own with the other side empty. shadowgate
//! validates, de-duplicates and joins those rows again as it does raw logs, so which row the
//! engine put side by side (ties, timestamps the engine orders differently) cannot change the
//! verdict, and rejected rows and duplicates are counted as from the raw logs.

mod bigquery;
mod duckdb;
mod spark;
mod trino;

use crate::error::{Error, Result};
use crate::ingest::pairs;
use crate::policy::Policy;

/// What differs between engines.
pub trait Dialect {
    /// The `--dialect` value and the file name under engines/.
    fn name(&self) -> &'static str;
    /// The engine's name for people.
    fn title(&self) -> &'static str;
    /// A quoted identifier (standard SQL's double quotes unless the dialect says otherwise).
    fn ident(&self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
    /// A string literal (standard SQL: a quote is doubled).
    fn string(&self, s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }
    /// The string type for CAST.
    fn text_type(&self) -> &'static str {
        "VARCHAR"
    }
    /// The statement that stores the query's result as `output`.
    fn create(&self, output: &str, query: &str) -> String;
    /// Comment lines: how to run the file and hand the result to shadowgate.
    fn usage(&self, output: &str) -> Vec<String>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DialectName {
    Duckdb,
    Spark,
    Trino,
    Bigquery,
}

impl DialectName {
    pub const ALL: [DialectName; 4] = [DialectName::Duckdb, DialectName::Spark, DialectName::Trino, DialectName::Bigquery];

    pub fn dialect(self) -> &'static dyn Dialect {
        match self {
            DialectName::Duckdb => &duckdb::DuckDb,
            DialectName::Spark => &spark::Spark,
            DialectName::Trino => &trino::Trino,
            DialectName::Bigquery => &bigquery::BigQuery,
        }
    }
}

/// Where the query reads and writes.
#[derive(Debug, Clone)]
pub struct Tables {
    pub v1: String,
    pub v2: String,
    /// With `[columns] version`: the one table holding both versions.
    pub both: String,
    pub output: String,
}

impl Default for Tables {
    fn default() -> Self {
        Tables { v1: "v1_requests".into(), v2: "v2_requests".into(), both: "requests".into(), output: "shadowgate_pairs".into() }
    }
}

/// A source column the query carries: its name in the logs and its name in the paired table
/// without the version prefix.
struct Carried {
    source: String,
    name: String,
}

/// A column name as the SQL can use it: a flat column (quoted whole). Nested paths of the JSON
/// readers (`attributes."http.route"`) have no portable SQL form.
fn flat<'a>(key: &str, name: &'a str) -> Result<&'a str> {
    if name.contains('"') {
        return Err(Error::Usage(format!(
            "{key} = `{name}` is a nested path, which the SQL cannot read portably. Flatten it in the view that feeds the query (SELECT ... AS flat_name) and map the flat name in the policy."
        )));
    }
    Ok(name)
}

/// The paired-table SQL for `policy` in `dialect`. `policy_note` says where the column names
/// came from (shown in the header).
pub fn pairs_sql(d: &dyn Dialect, policy: &Policy, tables: &Tables, policy_note: &str) -> Result<String> {
    let c = &policy.columns;
    let id = flat("columns.correlation_id", &c.correlation_id)?;
    if id.is_empty() || c.timestamp.is_empty() {
        return Err(Error::Usage("the policy must map columns.correlation_id and columns.timestamp for the SQL".into()));
    }
    let ts = flat("columns.timestamp", &c.timestamp)?;
    let mut carried: Vec<Carried> = Vec::new();
    let mut carry = |key: &str, source: &str| -> Result<()> {
        if source.is_empty() {
            return Ok(());
        }
        let source = flat(key, source)?;
        let name = pairs::clean(source);
        if !carried.iter().any(|x| x.name == name) {
            carried.push(Carried { source: source.to_string(), name });
        }
        Ok(())
    };
    // Every field the policy maps except the id (carried as correlation_id) and the version
    // column (the split is applied here); spans carry start and end instead of a duration.
    let spans = !c.latency_start.is_empty() && !c.latency_end.is_empty();
    for (key, source) in c.field_names() {
        let unused = match key {
            "correlation_id" | "version" => true,
            "latency_ms" => spans,
            "latency_start" | "latency_end" => !spans,
            _ => false,
        };
        if !unused {
            carry(&format!("columns.{key}"), source)?;
        }
    }
    for s in &policy.analysis.segment_by {
        carry("--segment-by", s)?;
    }
    if let Some(m) = &policy.rollback.marker_column {
        carry("rollback.marker_column", m)?;
    }

    // The rows of one version: the split by version column and [input] select, as conditions.
    let text = |col: &str| format!("TRIM(CAST({} AS {}))", d.ident(col), d.text_type());
    let mut filters: Vec<Vec<String>> = vec![Vec::new(), Vec::new()];
    if !c.version.is_empty() {
        let v = flat("columns.version", &c.version)?;
        filters[0].push(format!("{} = {}", text(v), d.string(c.v1_value.trim())));
        filters[1].push(format!("{} = {}", text(v), d.string(c.v2_value.trim())));
    }
    for (field, values) in &policy.input.select {
        let field = flat("input.select", field)?;
        let list: Vec<String> = values.iter().map(|v| d.string(v.trim())).collect();
        for f in &mut filters {
            f.push(format!("{} IN ({})", text(field), list.join(", ")));
        }
    }
    let sources =
        if c.version.is_empty() { [tables.v1.as_str(), tables.v2.as_str()] } else { [tables.both.as_str(), tables.both.as_str()] };

    let mut q = String::from("WITH\n");
    for (k, v) in ["v1", "v2"].into_iter().enumerate() {
        q.push_str(&format!("{v} AS (\n  SELECT\n    TRUE AS present,\n"));
        q.push_str(&format!(
            "    CASE WHEN ROW_NUMBER() OVER (PARTITION BY {id} ORDER BY {ts} NULLS LAST) = 1 THEN {id} END AS join_id,\n",
            id = d.ident(id),
            ts = d.ident(ts)
        ));
        q.push_str(&format!("    {} AS {}", d.ident(id), d.ident(pairs::ID)));
        for col in &carried {
            q.push_str(&format!(",\n    {} AS {}", d.ident(&col.source), d.ident(&col.name)));
        }
        q.push_str(&format!("\n  FROM {}\n", sources[k]));
        if !filters[k].is_empty() {
            q.push_str(&format!("  WHERE {}\n", filters[k].join("\n    AND ")));
        }
        q.push_str(if k == 0 { "),\n" } else { ")\n" });
    }
    q.push_str(&format!("SELECT\n  COALESCE(v1.{id}, v2.{id}) AS {id}", id = d.ident(pairs::ID)));
    for v in ["v1", "v2"] {
        q.push_str(&format!(",\n  {v}.present IS NOT NULL AS {}", d.ident(&pairs::present(v))));
        for col in &carried {
            q.push_str(&format!(",\n  {v}.{} AS {}", d.ident(&col.name), d.ident(&pairs::column(v, &col.name))));
        }
    }
    q.push_str("\nFROM v1\nFULL OUTER JOIN v2 ON v1.join_id = v2.join_id");

    let mut out = String::new();
    let header = [
        format!("shadowgate: the paired table for `shadowgate analyze --pairs`, {} dialect.", d.title()),
        format!("Generated by `shadowgate sql --dialect {}`{policy_note}; docs/pairs.md has the schema.", d.name()),
        String::new(),
        format!("Reads {} (one row per request per version, columns as the policy's", sources_text(&sources)),
        format!("[columns] names them) and writes {}: for each correlation id the earliest row", tables.output),
        "(by timestamp) of V1 and of V2 side by side, and every other row of either version (later".into(),
        "duplicates, rows without an id) on a row of its own, so each input row is in it exactly once.".into(),
        "shadowgate validates, de-duplicates and joins these rows again as it does raw logs, so the".into(),
        "verdict equals the one from the raw logs. Keep `result` as JSON text: a parsed STRUCT adds".into(),
        "null fields for keys a row lacks, and those show as differences.".into(),
        String::new(),
    ];
    for line in header.iter().cloned().chain(d.usage(&tables.output)) {
        out.push_str(if line.is_empty() { "--\n" } else { "-- " });
        if !line.is_empty() {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out.push('\n');
    out.push_str(&d.create(&tables.output, &q));
    Ok(out)
}

fn sources_text(sources: &[&str; 2]) -> String {
    if sources[0] == sources[1] {
        format!("{} (split by the version column)", sources[0])
    } else {
        format!("{} and {}", sources[0], sources[1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_and_version_become_conditions_with_escaped_values() {
        let mut p = Policy::default();
        p.columns.version = "service_version".into();
        p.columns.v1_value = "it's-v1".into();
        p.input.select.insert("kind".into(), vec!["2".into()]);
        let duck = pairs_sql(DialectName::Duckdb.dialect(), &p, &Tables::default(), "").expect("sql");
        assert!(duck.contains("TRIM(CAST(\"service_version\" AS VARCHAR)) = 'it''s-v1'"), "{duck}");
        assert!(duck.contains("TRIM(CAST(\"kind\" AS VARCHAR)) IN ('2')"), "{duck}");
        assert!(duck.contains("FROM requests\n"), "{duck}");
        let bq = pairs_sql(DialectName::Bigquery.dialect(), &p, &Tables::default(), "").expect("sql");
        assert!(bq.contains("TRIM(CAST(`service_version` AS STRING)) = 'it\\'s-v1'"), "{bq}");
    }

    #[test]
    fn a_column_used_twice_is_carried_once_and_nested_paths_are_refused() {
        let mut p = Policy::default();
        p.columns.latency_start = "start_ns".into();
        p.columns.latency_end = "end_ns".into();
        p.columns.timestamp = "start_ns".into();
        let sql = pairs_sql(DialectName::Trino.dialect(), &p, &Tables::default(), "").expect("sql");
        assert_eq!(sql.matches("AS \"v1_start_ns\"").count(), 1, "{sql}");
        assert!(sql.contains("AS \"v2_end_ns\""));
        assert!(!sql.contains("v1_latency_ms"), "spans carry start and end, not latency_ms");
        p.analysis.segment_by = vec!["attributes.\"http.route\"".into()];
        let e = pairs_sql(DialectName::Spark.dialect(), &p, &Tables::default(), "").expect_err("nested");
        assert!(e.to_string().contains("--segment-by = `attributes.\"http.route\"` is a nested path"), "{e}");
    }
}
