//! Trino (and Presto, Athena): creates a Parquet table through the Hive or Iceberg connector.

use super::Dialect;

pub struct Trino;

impl Dialect for Trino {
    fn name(&self) -> &'static str {
        "trino"
    }
    fn title(&self) -> &'static str {
        "Trino"
    }
    fn create(&self, output: &str, query: &str) -> String {
        format!("CREATE TABLE {output} WITH (format = 'PARQUET') AS\n{query};\n")
    }
    fn usage(&self, output: &str) -> Vec<String> {
        vec![
            "Run: in the catalog and schema that hold v1_requests and v2_requests:".into(),
            "  trino --catalog hive --schema logs -f engines/trino.sql".into(),
            format!("then copy the table's files (SELECT \"$path\" FROM {output} LIMIT 1 shows where) and run"),
            format!("  shadowgate analyze --pairs {output}/ --out report"),
        ]
    }
}
