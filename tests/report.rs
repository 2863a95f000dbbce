//! The report: snapshots of summary.md and junit.xml, a self-contained and escaped report.html,
//! decodable charts, and the page rendered by a real headless browser where one is installed.

use crate::common::{analyze, repo};

fn fixture_run(tmp: &std::path::Path) -> crate::common::Run {
    let f = repo().join("fixtures/shadow");
    analyze(&f.join("v1.parquet"), &f.join("v2.parquet"), &tmp.join("out"), &["--segment-by", "validation_type"])
}

#[test]
fn summary_and_junit_snapshots() {
    let tmp = tempfile::tempdir().unwrap();
    let run = fixture_run(tmp.path());
    let md = std::fs::read_to_string(run.out.join("summary.md")).unwrap();
    let junit = std::fs::read_to_string(run.out.join("junit.xml")).unwrap();
    insta::assert_snapshot!("summary_md", md);
    insta::assert_snapshot!("junit_xml", junit);
}

#[test]
fn html_is_self_contained() {
    let tmp = tempfile::tempdir().unwrap();
    let run = fixture_run(tmp.path());
    let html = std::fs::read_to_string(run.out.join("report.html")).unwrap();
    for needle in ["http://", "https://", "src=\"//", "href=\"//", "url(//", "<script", "<link", "@import"] {
        assert!(!html.contains(needle), "report.html contains {needle:?}");
    }
    assert!(html.contains("Content-Security-Policy") && html.contains("default-src 'none'"));
    assert!(html.contains(">NO_GO<"), "decision banner");
    // Seven charts before issue 14, plus the shift function and availability per minute (the
    // fixture has no rollback flip, so no drill chart).
    assert_eq!(html.matches("data:image/png;base64,").count(), 9, "all nine charts embedded");
}

#[test]
fn every_chart_decodes_and_is_large_enough() {
    let tmp = tempfile::tempdir().unwrap();
    let run = fixture_run(tmp.path());
    let mut seen = 0;
    for entry in std::fs::read_dir(run.out.join("charts")).unwrap() {
        let path = entry.unwrap().path();
        let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
        let mut reader = decoder.read_info().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert!(info.width >= 800 && info.height >= 500, "{}: {}x{}", path.display(), info.width, info.height);
        // Not a blank canvas: some pixels are neither white nor black.
        assert!(buf.chunks(3).any(|p| p[0] != p[1] || p[1] != p[2]), "{} has no colour", path.display());
        seen += 1;
    }
    assert_eq!(seen, 9);
}

#[test]
fn log_strings_are_escaped_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let evil1 = "<script>alert(1)</script>";
    let evil2 = "\"><img src=x onerror=alert(1)>";
    let mut v1 = String::new();
    let mut v2 = String::new();
    for i in 0..1500 {
        let seg = if i % 2 == 0 { evil1 } else { evil2 };
        let id = if i < 5 { format!("{evil2}{i}") } else { format!("c{i}") };
        let row = |result: &str| {
            serde_json::json!({"correlation_id": id, "timestamp": "2026-11-27T10:00:00Z", "latency_ms": 10 + i % 7, "status": "ok", "kind": seg, "result": {"note": result}})
                .to_string()
        };
        v1.push_str(&row("same"));
        v1.push('\n');
        v2.push_str(&row(if i < 10 { evil1 } else { "same" }));
        v2.push('\n');
    }
    std::fs::write(tmp.path().join("v1.jsonl"), v1).unwrap();
    std::fs::write(tmp.path().join("v2.jsonl"), v2).unwrap();
    let run = analyze(&tmp.path().join("v1.jsonl"), &tmp.path().join("v2.jsonl"), &tmp.path().join("out"), &["--segment-by", "kind"]);
    let html = std::fs::read_to_string(run.out.join("report.html")).unwrap();
    assert!(!html.contains(evil1) && !html.contains("<img src=x"), "raw log string in report.html");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"), "escaped form present");
    let md = std::fs::read_to_string(run.out.join("summary.md")).unwrap();
    assert!(!md.contains(evil1) && !md.contains("<img"), "raw log string in summary.md");
    let junit = std::fs::read_to_string(run.out.join("junit.xml")).unwrap();
    assert!(!junit.contains("<script") && !junit.contains("<img"), "raw log string in junit.xml");
}

/// Renders report.html in headless Chromium (installed by .ci/run) and checks the decision banner
/// is in the rendered DOM. Skipped, with a message, where no Chromium is installed.
#[test]
fn chromium_renders_the_report() {
    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| std::process::Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()));
    let Some(browser) = browser else {
        eprintln!("SKIPPED chromium_renders_the_report: no Chromium on this machine (.ci/run installs Debian's chromium package)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let run = fixture_run(tmp.path());
    let page = run.out.join("report.html");
    let profile = tmp.path().join("profile");
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("class=\"banner NO_GO\""), "rendered DOM lacks the banner: {}", String::from_utf8_lossy(&out.stderr));
    assert!(dom.contains("Do not promote"), "recommendation text rendered");
}
