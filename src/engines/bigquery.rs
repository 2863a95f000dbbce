//! BigQuery (GoogleSQL): creates a table, exported to Parquet on Cloud Storage.

use super::Dialect;

pub struct BigQuery;

impl Dialect for BigQuery {
    fn name(&self) -> &'static str {
        "bigquery"
    }
    fn title(&self) -> &'static str {
        "BigQuery"
    }
    fn ident(&self, name: &str) -> String {
        format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`"))
    }
    fn string(&self, s: &str) -> String {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
    fn text_type(&self) -> &'static str {
        "STRING"
    }
    fn create(&self, output: &str, query: &str) -> String {
        format!("CREATE OR REPLACE TABLE {output} AS\n{query};\n")
    }
    fn usage(&self, output: &str) -> Vec<String> {
        vec![
            "Run: with --v1-table / --v2-table naming project.dataset.table (and --output a".into(),
            "dataset.table), e.g. bq query --use_legacy_sql=false < engines/bigquery.sql, then".into(),
            format!("  EXPORT DATA OPTIONS (uri = 'gs://BUCKET/pairs/*.parquet', format = 'PARQUET') AS SELECT * FROM {output};"),
            "  gsutil -m cp -r gs://BUCKET/pairs . && shadowgate analyze --pairs pairs/ --out report".into(),
        ]
    }
}
