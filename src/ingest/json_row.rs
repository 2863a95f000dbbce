//! One pass over a JSON Lines record that keeps only the mapped fields.
//!
//! Parsing every line into a `serde_json::Value` built a map with an allocated key and value for
//! every field, and the result object a second time, only to read nine of them. This visitor
//! walks the top-level object once with serde_json's own parser (so what is valid JSON stays
//! exactly serde_json's decision), borrows strings from the line where they have no escapes,
//! skips unmapped fields without building them, and leaves a nested result unbuilt: its raw text
//! is located afterwards ([`value_span`]) and handed on as a string, and the ingest cache
//! canonicalizes each distinct raw result once per version, as it does for Parquet.
//! Hand-written because no crate offers a field-selecting borrowed parse; serde_json's
//! `raw_value` feature would give the raw text of the result but still build every other field.

use super::Val;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Which record keys feed which fields: `names[k]` feeds every field whose bit is set in
/// `targets[k]` (two fields may map to one column).
pub struct Selection {
    names: Vec<String>,
    targets: Vec<u64>,
    /// Fields whose nested values stay unbuilt (the result).
    unbuilt: u64,
    fields: usize,
}

impl Selection {
    /// `columns[i]` is the key of field i; `unbuilt_field` is the index of the result. None when
    /// a name is dotted or quoted (a path into nested objects, which only the general parser follows) or
    /// there are more than 64 fields.
    pub fn new(columns: &[&String], unbuilt_field: usize) -> Option<Selection> {
        if columns.len() > 64 || columns.iter().any(|c| c.contains(['.', '"'])) {
            return None;
        }
        let mut names: Vec<String> = Vec::new();
        let mut targets: Vec<u64> = Vec::new();
        for (i, c) in columns.iter().enumerate() {
            if c.is_empty() {
                // An unmapped field: no key feeds it.
                continue;
            }
            match names.iter().position(|n| n == *c) {
                Some(k) => targets[k] |= 1 << i,
                None => {
                    names.push((*c).clone());
                    targets.push(1 << i);
                }
            }
        }
        Some(Selection { names, targets, unbuilt: 1 << unbuilt_field, fields: columns.len() })
    }

    /// The mapped fields of one line (in the order given to [`Selection::new`]), or None when
    /// the line is not a JSON object (or not valid JSON): the caller's general parser then says
    /// exactly what is wrong with it.
    ///
    /// A nested value of the unbuilt field (the result) comes back as `Val::Str` of its raw JSON
    /// text: canonicalizing that text parses it as the JSON it is, so it lands where the built
    /// value would. Only the result is read that way.
    pub fn parse<'a>(&self, line: &'a str) -> Option<Vec<Val<'a>>> {
        let mut fields = Vec::new();
        self.parse_into(line, &mut fields).then_some(fields)
    }

    /// [`Selection::parse`] into a reused vector; false when the line needs the general parser.
    pub fn parse_into<'a>(&self, line: &'a str, fields: &mut Vec<Val<'a>>) -> bool {
        fields.clear();
        fields.resize(self.fields, Val::Absent);
        let mut de = serde_json::Deserializer::from_str(line);
        let Ok(mut unbuilt) = de.deserialize_map(RowVisitor { sel: self, fields }) else {
            return false;
        };
        if de.end().is_err() {
            return false;
        }
        while unbuilt != 0 {
            let i = unbuilt.trailing_zeros() as usize;
            unbuilt &= unbuilt - 1;
            let Some(k) = self.targets.iter().position(|t| t & (1 << i) != 0) else {
                return false;
            };
            match value_span(line, &self.names[k]) {
                Some(raw) => fields[i] = Val::Str(Cow::Borrowed(raw)),
                None => return false,
            }
        }
        true
    }

    /// The index of a record key among the mapped names (the first byte is compared before the
    /// rest: most keys differ there).
    fn find(&self, key: &str) -> Option<usize> {
        let first = key.as_bytes().first();
        self.names.iter().position(|n| n.len() == key.len() && n.as_bytes().first() == first && n == key)
    }
}

struct RowVisitor<'s, 'a> {
    sel: &'s Selection,
    fields: &'s mut Vec<Val<'a>>,
}

impl<'de> Visitor<'de> for RowVisitor<'_, 'de> {
    /// The fields whose value was left unbuilt (their raw text is located afterwards).
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u64, A::Error> {
        let mut unbuilt = 0u64;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let Some(k) = self.sel.find(&key.0) else {
                map.next_value_seed(Skip { depth: 1 })?;
                continue;
            };
            let targets = self.sel.targets[k];
            // A repeated key: the last occurrence wins, as in a parsed JSON map.
            let value = match map.next_value_seed(FieldSeed { build_nested: targets & !self.sel.unbuilt != 0 })? {
                Some(v) => {
                    unbuilt &= !targets;
                    v
                }
                None => {
                    unbuilt |= targets;
                    Val::Absent
                }
            };
            let mut bits = targets;
            while bits != 0 {
                let i = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                self.fields[i] = value.clone();
            }
        }
        Ok(unbuilt)
    }
}

/// A key, borrowed from the line unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

struct FieldSeed {
    /// Build objects and arrays (else consume them and mark the field [`Field::Unbuilt`]).
    build_nested: bool,
}

impl<'de> DeserializeSeed<'de> for FieldSeed {
    /// The value, or None for an object or array left unbuilt.
    type Value = Option<Val<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed {
    type Value = Option<Val<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Some(Val::Null))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(Val::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Val::I64(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        // As serde_json::Number::as_i64, then as_f64 (what Val::from_json does).
        Ok(Some(i64::try_from(v).map_or(Val::F64(v as f64), Val::I64)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(Val::F64(v)))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Val::Str(Cow::Borrowed(v))))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Val::Str(Cow::Owned(v.to_string()))))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        if self.build_nested {
            let v = de::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
            return Ok(Some(Val::Json(Cow::Owned(v))));
        }
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(Skip { depth: 2 })?;
        }
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if self.build_nested {
            let v = de::Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
            return Ok(Some(Val::Json(Cow::Owned(v))));
        }
        while seq.next_element_seed(Skip { depth: 2 })?.is_some() {}
        Ok(None)
    }
}

/// Nesting deeper than this is left to the general parser, which rejects what serde_json's
/// recursion limit (128) rejects; skipping through it here would accept those lines.
const MAX_SKIP_DEPTH: usize = 100;

/// Consumes a value without building it, refusing nesting past [`MAX_SKIP_DEPTH`].
struct Skip {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if self.depth >= MAX_SKIP_DEPTH {
            return Err(de::Error::custom("nested too deeply for the one-pass parser"));
        }
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(Skip { depth: self.depth + 1 })?;
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.depth >= MAX_SKIP_DEPTH {
            return Err(de::Error::custom("nested too deeply for the one-pass parser"));
        }
        while seq.next_element_seed(Skip { depth: self.depth + 1 })?.is_some() {}
        Ok(())
    }
}

/// The raw text of the value of top-level key `name` (its last occurrence) in `line`, a JSON
/// object that serde_json has already accepted: only string, nesting and separator structure
/// is walked, which valid JSON makes unambiguous.
fn value_span<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let b = line.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let mut found = None;
    loop {
        i = skip_ws(b, i);
        if b.get(i) != Some(&b'"') {
            return found;
        }
        let key_end = string_end(b, i)?;
        let raw_key = &line[i..key_end];
        let matches = if raw_key.contains('\\') {
            serde_json::from_str::<String>(raw_key).is_ok_and(|k| k == name)
        } else {
            &raw_key[1..raw_key.len() - 1] == name
        };
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return found;
        }
        let start = skip_ws(b, i + 1);
        let end = value_end(b, start)?;
        if matches {
            found = Some(&line[start..end]);
        }
        i = skip_ws(b, end);
        match b.get(i) {
            Some(b',') => i += 1,
            _ => return found,
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Index just past the string that starts (with its quote) at `i`.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        let k = j + memchr::memchr2(b'"', b'\\', b.get(j..)?)?;
        if b[k] == b'"' {
            return Some(k + 1);
        }
        j = k + 2;
    }
}

/// Index just past the value that starts at `i`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                j += 1;
            }
            Some(j)
        }
    }
}
