//! Property-based fuzzing (proptest; cargo-fuzz needs a nightly toolchain, which this project's
//! machines cannot fetch): the JSON Lines reader, the result canonicalizer and diff, timestamp
//! parsing and the policy parser must never panic, and must keep their invariants. Failing seeds
//! are persisted by proptest under tests/fuzz.proptest-regressions and replayed on every run.

use proptest::prelude::*;
use serde_json::Value;
use shadowgate::ingest::{read_version, value::parse_datetime, ReadOptions, Val};
use shadowgate::metrics::canonical::{canonical_str, canonical_string, diff, diff_with, CompareOptions};
use shadowgate::policy::{Columns, Policy, TimestampUnit};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        // At most 15 significant digits: serde_json's default float parser is exact only there
        // (its `float_roundtrip` feature would fix 16-17 digits; see the closing note).
        (-1_000_000_000_000i64..1_000_000_000_000).prop_map(|k| Value::from(k as f64 / 1000.0)),
        "[a-z0-9 _\\-\"\\\\<>é]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_.]{1,6}", inner, 0..5).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Lines that look like request logs, mixed with broken ones.
fn log_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (any::<u16>(), 0u32..100_000, "[a-zA-Z0-9 .:TZ+\\-]{0,30}", prop::option::of(json_value())).prop_map(|(id, lat, ts, result)| {
            serde_json::json!({"correlation_id": format!("c{id}"), "timestamp": ts, "latency_ms": lat, "status": "ok", "result": result})
                .to_string()
                .into_bytes()
        }),
        (any::<u16>(), any::<i64>())
            .prop_map(|(id, t)| format!(r#"{{"correlation_id":"c{id}","timestamp":{t},"latency_ms":1,"status":"ok"}}"#).into_bytes()),
        prop::collection::vec(any::<u8>(), 0..80),
        "[{}\\[\\]\":,0-9a-z ]{0,60}".prop_map(String::into_bytes),
    ]
}

/// Cases per property: 200 in the normal test run; CI's fuzz smoke step raises it with
/// SHADOWGATE_FUZZ_CASES (see .ci/run).
fn cases() -> u32 {
    std::env::var("SHADOWGATE_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn the_jsonl_reader_never_panics_and_counts_every_line(lines in prop::collection::vec(log_line(), 1..40)) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("v.jsonl");
        let mut bytes = Vec::new();
        for l in &lines {
            let clean: Vec<u8> = l.iter().copied().filter(|b| *b != b'\n').collect();
            bytes.extend_from_slice(&clean);
            bytes.push(b'\n');
        }
        std::fs::write(&path, &bytes).unwrap();
        let columns = Columns::default();
        let input = shadowgate::policy::Input::default();
        let opts = ReadOptions { version: "v1", columns: &columns, input: &input, segment_by: &[], format: None, max_rejected: 1000, sample_rate: 1.0, pairs: false };
        if let Ok(got) = read_version(&path, &opts) {
            // Accepted + rejected = read, and a blank line is the only thing not counted.
            prop_assert_eq!(got.stats.rows_accepted + got.stats.rows_rejected, got.stats.rows_read);
            let non_blank = bytes.split(|b| *b == b'\n').filter(|l| {
                let l = l.strip_suffix(b"\r").unwrap_or(l);
                let l = l.strip_prefix("\u{feff}".as_bytes()).unwrap_or(l);
                !l.iter().all(|b| b.is_ascii_whitespace())
            }).count() as u64;
            prop_assert_eq!(got.stats.rows_read, non_blank);
            prop_assert_eq!(got.requests.len() as u64, got.stats.rows_accepted);
        }
    }

    #[test]
    fn canonicalization_is_idempotent_and_self_diff_is_empty(v in json_value()) {
        let c = canonical_string(&v);
        prop_assert_eq!(canonical_str(&c), c.clone());
        let parsed: Value = serde_json::from_str(&c).unwrap();
        prop_assert_eq!(canonical_string(&parsed), c.clone());
        prop_assert!(diff(&c, &c).is_empty());
    }

    #[test]
    fn diff_finds_a_difference_exactly_when_canonical_texts_differ(a in json_value(), b in json_value()) {
        let (ca, cb) = (canonical_string(&a), canonical_string(&b));
        let d = diff(&ca, &cb);
        prop_assert_eq!(d.is_empty(), ca == cb, "{} vs {}: {:?}", ca, cb, d);
        // Options never make a panic, and ignoring everything hides every difference.
        let all = CompareOptions { ignore: vec!["*".into()], multiset: vec!["*".into()], abs_tolerance: 1.0, rel_tolerance: 0.1 };
        prop_assert!(diff_with(&ca, &cb, &all).is_empty());
    }

    #[test]
    fn arbitrary_text_never_panics_the_canonicalizer_or_diff(a in ".{0,80}", b in ".{0,80}") {
        let (ca, cb) = (canonical_str(&a), canonical_str(&b));
        let _ = diff(&ca, &cb);
    }

    #[test]
    fn timestamps_round_trip_and_garbage_never_panics(ms in 0i64..4_102_444_800_000, junk in ".{0,40}") {
        let text = chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        prop_assert_eq!(parse_datetime(&text), Some(ms));
        prop_assert_eq!(Val::I64(ms).as_epoch_ms(TimestampUnit::Ms).map(|t| t.0), Some(ms));
        let _ = parse_datetime(&junk);
        let _ = Val::Str(junk.clone().into()).as_epoch_ms(TimestampUnit::Auto);
    }

    #[test]
    fn the_policy_parser_never_panics(text in "[\\[\\]a-z_.=\"0-9 \\n-]{0,200}") {
        let _ = Policy::from_toml(&text);
    }
}

/// Keys the differential JSON test draws from: the mapped ones, near misses, and others.
const JSON_KEYS: [&str; 8] = ["correlation_id", "latency_ms", "result", "status", "region", "latency_ms ", "Result", "other"];

fn json_any() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value as J;
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(J::from),
        any::<u64>().prop_map(J::from),
        (-1e12f64..1e12).prop_map(J::from),
        "[ -~\u{e9}\u{1F600}\"\\\\]{0,12}".prop_map(J::String),
        Just(J::String("{\"b\": [1, 2.0], \"a\": null}".into())),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(J::Array),
            prop::collection::vec((prop::sample::select(&JSON_KEYS[..]), inner), 0..4)
                .prop_map(|kv| J::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// The one-pass JSON Lines parser reads every mapped field exactly as the general parser
    /// (a full serde_json::Value) does: same value, and for the result the same canonical text;
    /// whitespace, escaped keys and repeated keys included.
    #[test]
    fn one_pass_json_fields_match_the_general_parser(
        entries in prop::collection::vec((prop::sample::select(&JSON_KEYS[..]), json_any()), 0..8),
        spaced in any::<bool>(),
        escape_key in any::<bool>(),
    ) {
        use shadowgate::ingest::json_row::Selection;
        use shadowgate::ingest::Val;
        // Serialize by hand so keys can repeat (last wins) and be written with escapes.
        let sep = if spaced { " , " } else { "," };
        let body: Vec<String> = entries
            .iter()
            .map(|(k, v)| {
                let key = serde_json::to_string(k).unwrap_or_default();
                let key = if escape_key { key.replace('_', "\\u005f").replace('s', "\\u0073") } else { key };
                let val = if spaced { serde_json::to_string_pretty(v) } else { serde_json::to_string(v) }.unwrap_or_default();
                format!("{key}{}:{}{val}", if spaced { " " } else { "" }, if spaced { "\t" } else { "" })
            })
            .collect();
        let line = format!("{{{}}}", body.join(sep));
        // Two fields read the same key ("status" feeds fields 3 and 5, "region" 4 and 6).
        let names: Vec<String> =
            ["correlation_id", "latency_ms", "result", "status", "region", "status", "region"].iter().map(|s| s.to_string()).collect();
        let refs: Vec<&String> = names.iter().collect();
        let sel = Selection::new(&refs, 2).expect("plain names");
        let fields = sel.parse(&line).expect("a JSON object");
        let parsed: serde_json::Value = serde_json::from_str(&line).expect("valid JSON");
        let obj = parsed.as_object().expect("object");
        for (i, name) in names.iter().enumerate() {
            let fast = &fields[i];
            let slow = Val::from_json(obj.get(name));
            if i == 2 {
                prop_assert_eq!(fast.as_canonical_json(), slow.as_canonical_json(), "result of {}", line);
            } else {
                prop_assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{} of {}", name, line);
            }
        }
    }
}

#[test]
fn one_pass_json_declines_what_is_not_an_object() {
    use shadowgate::ingest::json_row::Selection;
    let names = ["a".to_string()];
    let sel = Selection::new(&[&names[0]], 0).expect("plain names");
    for line in ["[1]", "null", "{\"a\":1} x", "{\"a\":1,}", "{\"a\":tru}", "{\"a\":\"\\ud800\"}", "", "{\"a\":1}{}"] {
        assert!(sel.parse(line).is_none(), "{line}");
    }
    // Nesting past serde_json's recursion limit, mapped or not: the general parser rejects it.
    for key in ["a", "b"] {
        let deep = format!("{{\"{key}\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(sel.parse(&deep).is_none(), "{key} nested 200 deep");
    }
    // The result (read as raw text) is taken up to 99 levels deep; from 100 the general parser
    // decides, as for any other field.
    for (depth, taken) in [(99, true), (100, false)] {
        let line = format!("{{\"a\":{}{}}}", "[\"]\",".repeat(depth - 1) + "[", "]".repeat(depth));
        assert_eq!(sel.parse(&line).is_some(), taken, "result nested {depth} deep");
    }
    assert!(Selection::new(&[&"request.id".to_string()], 0).is_none(), "dotted names take the general parser");
}
