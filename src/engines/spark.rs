//! Spark SQL (spark-sql, Databricks, EMR): creates a Parquet table; its folder is the input.

use super::Dialect;

pub struct Spark;

impl Dialect for Spark {
    fn name(&self) -> &'static str {
        "spark"
    }
    fn title(&self) -> &'static str {
        "Spark SQL"
    }
    fn ident(&self, name: &str) -> String {
        format!("`{}`", name.replace('`', "``"))
    }
    fn string(&self, s: &str) -> String {
        // Spark's string literals take backslash escapes.
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
    fn text_type(&self) -> &'static str {
        "STRING"
    }
    fn create(&self, output: &str, query: &str) -> String {
        format!("CREATE TABLE {output} USING parquet AS\n{query};\n")
    }
    fn usage(&self, output: &str) -> Vec<String> {
        vec![
            "Run: with v1_requests and v2_requests as tables or views (or --v1-table / --v2-table):".into(),
            "  spark-sql -f engines/spark.sql".into(),
            format!("then copy the table's folder (DESCRIBE EXTENDED {output}: Location) and run"),
            format!("  shadowgate analyze --pairs {output}/ --out report"),
        ]
    }
}
