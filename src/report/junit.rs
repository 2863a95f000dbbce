//! junit.xml: one test case per gate, so any CI system shows each gate. Failed blocking,
//! rollback and data-quality gates are failures; inconclusive blocking gates are failures of type
//! "inconclusive"; warnings are recorded in system-out without failing; skipped gates are skipped.

use super::Exporter;
use crate::analyze::Outcome;
use crate::error::Result;
use crate::verdict::Status;
use std::fmt::Write as _;

pub struct JUnit;

/// Escapes text for XML attributes and content.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

impl Exporter for JUnit {
    fn file_name(&self) -> &'static str {
        "junit.xml"
    }
    fn render(&self, o: &Outcome, _charts: &[super::charts::Chart]) -> Result<Vec<u8>> {
        let v = &o.verdict;
        let blocks = |sev: &str| sev != "warning" || v.strict;
        let failures = v.gates.iter().filter(|g| matches!(g.status, Status::Fail | Status::Inconclusive) && blocks(g.severity)).count();
        let skipped = v.gates.iter().filter(|g| g.status == Status::Skipped).count();
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            s,
            "<testsuites name=\"shadowgate\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
            v.gates.len()
        );
        let _ = writeln!(
            s,
            "  <testsuite name=\"shadowgate.{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" timestamp=\"{}\">",
            v.mode.as_str(),
            v.gates.len(),
            xml_escape(&v.generated_at)
        );
        let _ = writeln!(
            s,
            "    <properties><property name=\"decision\" value=\"{}\"/><property name=\"stage\" value=\"{}\"/></properties>",
            v.decision.as_str(),
            xml_escape(&v.stage)
        );
        for g in &v.gates {
            let _ = write!(s, "    <testcase classname=\"shadowgate.{}\" name=\"{}\">", xml_escape(g.severity), xml_escape(&g.id));
            let msg = xml_escape(&g.message);
            match g.status {
                Status::Fail if blocks(g.severity) => {
                    let _ = write!(s, "<failure type=\"{}\" message=\"{msg}\">{msg}</failure>", xml_escape(g.severity));
                }
                Status::Inconclusive if blocks(g.severity) => {
                    let _ = write!(s, "<failure type=\"inconclusive\" message=\"{msg}\">{msg}</failure>");
                }
                Status::Skipped => {
                    let _ = write!(s, "<skipped message=\"{msg}\"/>");
                }
                _ => {
                    let _ = write!(s, "<system-out>{}: {msg}</system-out>", if g.status == Status::Pass { "pass" } else { "warning" });
                }
            }
            let _ = writeln!(s, "</testcase>");
        }
        let _ = writeln!(s, "  </testsuite>\n</testsuites>");
        Ok(s.into_bytes())
    }
}
