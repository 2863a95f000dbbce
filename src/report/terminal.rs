//! The short summary printed on the terminal after a run.

use crate::analyze::Outcome;
use crate::verdict::{Decision, Status};
use std::fmt::Write as _;
use std::io::IsTerminal;

/// Colour only on a terminal and only without NO_COLOR (https://no-color.org).
pub fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

fn paint(s: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

/// Strips control characters from log-derived text before it reaches a terminal.
fn clean(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

pub fn render(o: &Outcome, out_dir: &std::path::Path, color: bool) -> String {
    let v = &o.verdict;
    let mut s = String::new();
    let (word, code) = match v.decision {
        Decision::Go => ("GO", "1;32"),
        Decision::NoGo => ("NO_GO", "1;31"),
        Decision::Inconclusive => ("INCONCLUSIVE", "1;33"),
    };
    let _ = writeln!(s, "{}  {}", paint(word, code, color), clean(&v.recommendation.summary));
    for g in &v.gates {
        let (mark, c) = match g.status {
            Status::Fail if g.severity == "warning" && !v.strict => ("warn", "33"),
            Status::Fail => ("FAIL", "31"),
            Status::Inconclusive if g.severity != "warning" => ("????", "33"),
            _ => continue,
        };
        let _ = writeln!(s, "  {} {:<24} {}", paint(mark, c, color), g.id, clean(&g.message));
    }
    let (a, b) = (&v.inputs.v1, &v.inputs.v2);
    let _ = writeln!(
        s,
        "  data: V1 {} rows ({} rejected, {} duplicate{}), V2 {} rows ({} rejected, {} duplicate{}); {} pairs, coverage {:.2}%",
        a.rows_read,
        a.rows_rejected,
        a.duplicate_rows,
        super::markdown::not_selected(a),
        b.rows_read,
        b.rows_rejected,
        b.duplicate_rows,
        super::markdown::not_selected(b),
        v.pairing.pairs,
        v.pairing.coverage * 100.0
    );
    let m = &v.memory;
    if m.out_of_core {
        let _ = writeln!(
            s,
            "  memory: out of core (limit {}, {}): ids spilled to {} partitions, {} on disk, removed",
            m.limit_bytes.map_or_else(|| "none".to_string(), crate::memory::human),
            clean(&m.limit_source),
            m.partitions,
            crate::memory::human(m.spill_bytes)
        );
    }
    for n in &o.notes {
        let _ = writeln!(s, "  {} {}", paint("note:", "1;33", color), clean(n));
    }
    if let Some(h) = &v.history {
        match &h.previous {
            Some(p) if h.worse.is_empty() => {
                let _ = writeln!(
                    s,
                    "  history: nothing significantly worse than the previous run ({}, {})",
                    clean(&p.generated_at),
                    p.decision
                );
            }
            Some(p) => {
                let _ = writeln!(
                    s,
                    "  {} than the previous run ({}): {}",
                    paint("significantly worse", "1;33", color),
                    clean(&p.generated_at),
                    h.worse.join(", ")
                );
            }
            None => {
                let _ = writeln!(s, "  history: first recorded run");
            }
        }
    }
    let passed = v.gates.iter().filter(|g| g.status == Status::Pass).count();
    let _ = writeln!(s, "  {passed} of {} gates passed; report: {}", v.gates.len(), out_dir.display());
    s
}
