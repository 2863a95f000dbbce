//! DuckDB: the local engine (and the one the end-to-end test runs). Writes Parquet directly.

use super::Dialect;

pub struct DuckDb;

impl Dialect for DuckDb {
    fn name(&self) -> &'static str {
        "duckdb"
    }
    fn title(&self) -> &'static str {
        "DuckDB"
    }
    fn create(&self, output: &str, query: &str) -> String {
        format!("COPY (\n{query}\n) TO {} (FORMAT parquet);\n", self.string(&format!("{output}.parquet")))
    }
    fn usage(&self, output: &str) -> Vec<String> {
        vec![
            "Run: define the two inputs as views, then this file, e.g. in the duckdb shell:".into(),
            "  CREATE VIEW v1_requests AS SELECT * FROM read_parquet('v1/*.parquet');".into(),
            "  CREATE VIEW v2_requests AS SELECT * FROM read_parquet('v2/*.parquet');".into(),
            "  .read engines/duckdb.sql".into(),
            format!("then: shadowgate analyze --pairs {output}.parquet --out report"),
        ]
    }
}
