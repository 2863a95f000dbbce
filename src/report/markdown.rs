//! summary.md: a compact verdict for CI step summaries ($GITHUB_STEP_SUMMARY) and PR comments.

use super::{num, Exporter};
use crate::analyze::Outcome;
use crate::error::Result;
use crate::verdict::{Decision, Status};
use std::fmt::Write as _;

pub struct Markdown;

/// Escapes text from logs for a Markdown table cell: pipes, backticks, HTML, line breaks.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '`' => out.push_str("\\`"),
            '*' | '_' | '[' | ']' | '#' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn icon(s: Status) -> &'static str {
    match s {
        Status::Pass => "✅ pass",
        Status::Fail => "❌ fail",
        Status::Inconclusive => "⚠️ inconclusive",
        Status::Skipped => "➖ skipped",
    }
}

fn interval(e: f64, l: f64, u: f64, unit: &str) -> String {
    let f = |v: f64| match unit {
        "rate" => {
            if v.is_finite() {
                format!("{:.3}%", v * 100.0)
            } else {
                "—".into()
            }
        }
        "ratio" => num(v, 4),
        "ms" => num(v, 1),
        _ => num(v, 4),
    };
    if l == u || (!l.is_finite() && !u.is_finite() && l.is_nan()) {
        f(e)
    } else {
        format!("{} [{}, {}]", f(e), f(l), f(u))
    }
}

impl Exporter for Markdown {
    fn file_name(&self) -> &'static str {
        "summary.md"
    }
    fn render(&self, o: &Outcome, _charts: &[super::charts::Chart]) -> Result<Vec<u8>> {
        Ok(render(o).into_bytes())
    }
}

pub fn render(o: &Outcome) -> String {
    let v = &o.verdict;
    let mut s = String::new();
    let badge = match v.decision {
        Decision::Go => "🟢 GO",
        Decision::NoGo => "🔴 NO_GO",
        Decision::Inconclusive => "🟡 INCONCLUSIVE",
    };
    let _ = writeln!(s, "# shadowgate: {badge}\n");
    let _ = writeln!(s, "**{}** ({} mode, stage `{}`)\n", md_escape(&v.recommendation.summary), v.mode.as_str(), md_escape(&v.stage));
    for r in v.recommendation.reasons.iter().take(8) {
        let _ = writeln!(s, "- {}", md_escape(r));
    }
    if let Some(rb) = &v.recommendation.runbook {
        let _ = writeln!(s, "\n**Runbook:** {}", md_escape(rb));
    }
    let _ = writeln!(s, "\n## Gates\n");
    let _ = writeln!(s, "| gate | severity | status | estimate [{:.0}% CI] | threshold | message |", v.confidence * 100.0);
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for g in &v.gates {
        let thr = match g.unit {
            "rate" => format!("{:.3}%", g.threshold * 100.0),
            _ => num(g.threshold, 4).trim_end_matches('0').trim_end_matches('.').to_string(),
        };
        let cmp = if g.comparison == "at_least" { "≥" } else { "≤" };
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {cmp} {thr} | {} |",
            g.id,
            g.severity,
            icon(g.status),
            interval(g.estimate, g.lower, g.upper, g.unit),
            md_escape(&g.message)
        );
    }
    let lat = &v.metrics.latency_ms;
    let _ = writeln!(s, "\n## Latency (ms)\n");
    let _ = writeln!(s, "| | n | mean | p50 | p90 | p95 | p99 | max |");
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
    for (name, l) in [("V1", &lat.v1), ("V2", &lat.v2)] {
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} | {} | {} | {} | {} |",
            l.n,
            num(l.mean.estimate, 1),
            num(l.p50.estimate, 1),
            num(l.p90.estimate, 1),
            num(l.p95.estimate, 1),
            num(l.p99.estimate, 1),
            num(l.max, 1)
        );
    }
    let mut ratio_row = String::from("| V2/V1 | | ");
    for q in ["mean", "p50", "p90", "p95", "p99"] {
        if let Some(r) = lat.comparison.ratios.get(q) {
            let i = r.interval;
            let _ = write!(ratio_row, "{} [{}, {}] | ", num(i.estimate, 3), num(i.lower, 3), num(i.upper, 3));
        }
    }
    let _ = writeln!(s, "{ratio_row} |");
    let t = &lat.comparison.test;
    let _ = writeln!(
        s,
        "\n{} ({}): statistic {}, p = {:.3e}, effect size {:.3}.",
        t.test,
        t.method,
        num(t.statistic, 1),
        t.p_value,
        t.effect_size
    );
    let e = &v.metrics.errors;
    let _ = writeln!(s, "\n## Errors\n");
    let _ = writeln!(s, "- V1: {} of {} ({:.3}%)", e.v1.errors, e.v1.n, e.v1.rate.estimate * 100.0);
    let _ = writeln!(s, "- V2: {} of {} ({:.3}%)", e.v2.errors, e.v2.n, e.v2.rate.estimate * 100.0);
    let _ = writeln!(
        s,
        "- V2 − V1: {:+.3} pp [{:+.3}, {:+.3}], {} p = {:.3e}",
        e.diff.diff.estimate * 100.0,
        e.diff.diff.lower * 100.0,
        e.diff.diff.upper * 100.0,
        e.diff.test,
        e.diff.p_value
    );
    let d = &v.metrics.discrepancy;
    let _ = writeln!(s, "\n## Discrepancies\n");
    if d.applicable {
        let _ = writeln!(
            s,
            "{} of {} comparable pairs differ ({:.3}% [{:.3}%, {:.3}%]). Status changes: {} V1 ok → V2 error, {} V1 error → V2 ok.\n",
            d.mismatches,
            d.comparable_pairs,
            d.rate.estimate * 100.0,
            d.rate.lower * 100.0,
            d.rate.upper * 100.0,
            d.status_changes.v1_ok_v2_error,
            d.status_changes.v1_error_v2_ok
        );
        if !d.by_path.is_empty() {
            let _ = writeln!(s, "| field | pairs | share | kinds |\n|---|---|---|---|");
            for f in d.by_path.iter().take(10) {
                let kinds: Vec<String> = f.kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
                let _ = writeln!(
                    s,
                    "| `{}` | {} | {:.1}% | {} |",
                    md_escape(&f.path),
                    f.count,
                    f.share_of_mismatches * 100.0,
                    kinds.join(", ")
                );
            }
        }
        if !d.examples.is_empty() {
            let ids: Vec<String> = d.examples.iter().take(5).map(|x| format!("`{}`", md_escape(&x.correlation_id))).collect();
            let _ = writeln!(s, "\nExample correlation ids: {}", ids.join(", "));
        }
    } else {
        let _ = writeln!(s, "Not applicable (no result column, or canary mode).");
    }
    if !d.by_segment.is_empty() {
        let _ = writeln!(s, "\n| segment | pairs | mismatches | rate [CI] | q-value | V2 failures |\n|---|---|---|---|---|---|");
        for r in d.by_segment.iter().take(10) {
            let _ = writeln!(
                s,
                "| {}={} | {} | {} | {} | {} | {} |",
                md_escape(&r.column),
                md_escape(&r.value),
                r.pairs,
                r.mismatches,
                interval(r.rate.estimate, r.rate.lower, r.rate.upper, "rate"),
                num(r.q_value, 4),
                r.v2_failures
            );
        }
    }
    let _ = writeln!(s, "\n## Data quality\n");
    for (name, st) in [("V1", &v.inputs.v1), ("V2", &v.inputs.v2)] {
        let rej: Vec<String> = st.rejected_by_reason.iter().filter(|(_, n)| **n > 0).map(|(r, n)| format!("{r} {n}")).collect();
        let _ = writeln!(
            s,
            "- {name}: {} rows read, {} rejected{}, {} duplicate rows{}",
            st.rows_read,
            st.rows_rejected,
            if rej.is_empty() { String::new() } else { format!(" ({})", rej.join(", ")) },
            st.duplicate_rows,
            not_selected(st)
        );
    }
    let p = &v.pairing;
    let _ = writeln!(s, "- pairs {}, V1 only {}, V2 only {}, coverage {:.2}%", p.pairs, p.v1_only, p.v2_only, p.coverage * 100.0);
    if !v.windows.breaches.is_empty() {
        let _ = writeln!(s, "\n## Sustained breaches\n");
        for b in &v.windows.breaches {
            let _ = writeln!(
                s,
                "- `{}`: {} windows from {} to {}, peak {:.4}{}{}",
                b.rule,
                b.windows,
                b.start,
                b.end,
                b.peak,
                if b.fired { " (fired)" } else { "" },
                if b.shared_with_v1 { ", V1 breached too" } else { "" }
            );
        }
    }
    if let Some(h) = &v.history {
        let _ = writeln!(s, "\n## Against the previous run\n");
        match &h.previous {
            None => {
                let _ = writeln!(s, "First recorded run in `{}`.", md_escape(&h.file));
            }
            Some(p) => {
                let _ = writeln!(s, "Previous run: {} ({}, stage `{}`).\n", md_escape(&p.generated_at), p.decision, md_escape(&p.stage));
                let _ = writeln!(s, "| gate | previous | now | significantly worse |\n|---|---|---|---|");
                for c in &h.changes {
                    let _ = writeln!(
                        s,
                        "| `{}` | {} [{}, {}] | {} [{}, {}] | {} |",
                        md_escape(&c.gate),
                        num(c.previous.estimate, 4),
                        num(c.previous.lower, 4),
                        num(c.previous.upper, 4),
                        num(c.current.estimate, 4),
                        num(c.current.lower, 4),
                        num(c.current.upper, 4),
                        if c.significantly_worse { "⚠️ yes" } else { "no" }
                    );
                }
            }
        }
    }
    let _ = writeln!(s, "\n<sub>shadowgate {} · seed {} · {}</sub>", v.tool.version, v.seed, v.generated_at);
    s
}

/// ", N rows not selected (select a, other version b)" when a mapping left rows out, else "".
pub fn not_selected(st: &crate::ingest::IngestStats) -> String {
    if st.rows_not_selected == 0 {
        return String::new();
    }
    let by: Vec<String> =
        st.not_selected_by_reason.iter().filter(|(_, n)| **n > 0).map(|(r, n)| format!("{} {n}", r.replace('_', " "))).collect();
    format!(", {} rows not selected ({})", st.rows_not_selected, by.join(", "))
}
