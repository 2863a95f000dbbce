//! report.html: one self-contained page (inline CSS, charts as data: URIs, a strict
//! Content-Security-Policy, no external URL) rendered by minijinja with HTML auto-escaping, so
//! every string that came from a log is escaped.

use super::charts::Chart;
use super::Exporter;
use crate::analyze::Outcome;
use crate::error::{Error, Result};
use base64::Engine;
use minijinja::{context, Environment, Value};

pub struct Html;

const TEMPLATE: &str = include_str!("templates/report.html");

fn f(v: &Value) -> Option<f64> {
    f64::try_from(v.clone()).ok().filter(|x| x.is_finite())
}

fn pct(v: Value) -> String {
    f(&v).map_or("—".into(), crate::verdict::pct)
}

fn ratio_pct(v: Value) -> String {
    f(&v).map_or("—".into(), |x| format!("{:+.2}%", (x - 1.0) * 100.0))
}

fn pp(v: Value) -> String {
    f(&v).map_or("—".into(), |x| format!("{:+.3}", x * 100.0))
}

fn ms(v: Value) -> String {
    f(&v).map_or("—".into(), |x| if x >= 100.0 { format!("{x:.0}") } else { format!("{x:.1}") })
}

fn pfmt(v: Value) -> String {
    f(&v).map_or("—".into(), crate::verdict::p_fmt)
}

fn fmt(v: Value, unit: String) -> String {
    match unit.as_str() {
        "rate" => pct(v),
        "ms" => f(&v).map_or("—".into(), |x| format!("{x:.1} ms")),
        "ratio" => f(&v).map_or("—".into(), |x| format!("{x:.4}")),
        "percent" => f(&v).map_or("—".into(), |x| format!("{x:.1}%")),
        _ => f(&v).map_or("—".into(), |x| if x.fract() == 0.0 && x.abs() < 1e15 { format!("{x:.0}") } else { format!("{x:.4}") }),
    }
}

/// Renders the page; `charts` are embedded as base64 PNGs.
pub fn render(o: &Outcome, charts: &[Chart]) -> Result<String> {
    let mut env = Environment::new();
    env.add_function("pct", pct);
    env.add_function("ratio_pct", ratio_pct);
    env.add_function("pp", pp);
    env.add_function("ms", ms);
    env.add_function("pfmt", pfmt);
    env.add_function("fmt", fmt);
    let bad = |e: minijinja::Error| Error::Output { path: "report.html".into(), source: std::io::Error::other(format!("{e:#}")) };
    env.add_template("report.html", TEMPLATE).map_err(bad)?;
    let v = &o.verdict;
    let chart_values: Vec<Value> = charts
        .iter()
        .map(|c| {
            let uri = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(&c.png));
            // base64 has only [A-Za-z0-9+/=]: safe to emit unescaped inside the src attribute.
            context! { name => c.name, title => c.title.clone(), caption => c.caption.clone(), data_uri => Value::from_safe_string(uri) }
        })
        .collect();
    let tmpl = env.get_template("report.html").map_err(bad)?;
    tmpl.render(context! {
        v => Value::from_serialize(v),
        lat => Value::from_serialize(&v.metrics.latency_ms),
        e => Value::from_serialize(&v.metrics.errors),
        d => Value::from_serialize(&v.metrics.discrepancy),
        charts => chart_values,
        policy_toml => v.policy.to_commented_toml(),
    })
    .map_err(bad)
}

impl Exporter for Html {
    fn file_name(&self) -> &'static str {
        "report.html"
    }
    fn render(&self, o: &Outcome, charts: &[Chart]) -> Result<Vec<u8>> {
        render(o, charts).map(String::into_bytes)
    }
}
