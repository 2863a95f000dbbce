//! One pass over a JSON Lines record that keeps only the mapped fields.
//!
//! Parsing every line into a `serde_json::Value` built a map with an allocated key and value for
//! every field, and the result object a second time, only to read nine of them. This visitor
//! walks the top-level object once with serde_json's own parser (so what is valid JSON stays
//! exactly serde_json's decision), borrows strings from the line where they have no escapes,
//! skips unmapped fields without building them, and takes a nested result as its raw text
//! (serde_json's `RawValue`, borrowed from the line), which the ingest cache canonicalizes once
//! per distinct text per version, as it does for Parquet.
//! Hand-written because no crate offers a field-selecting borrowed parse.

use super::Val;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// Which record keys feed which fields: `names[k]` feeds every field whose bit is set in
/// `targets[k]` (two fields may map to one column).
pub struct Selection {
    names: Vec<String>,
    targets: Vec<u64>,
    /// The field taken as its raw JSON text (the result), as a bit.
    raw_text: u64,
    fields: usize,
}

impl Selection {
    /// `columns[i]` is the key of field i; `raw_text_field` is the index of the result. None when
    /// a name is dotted or quoted (a path into nested objects, which only the general parser follows) or
    /// there are more than 64 fields.
    pub fn new(columns: &[&String], raw_text_field: usize) -> Option<Selection> {
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
        Some(Selection { names, targets, raw_text: 1 << raw_text_field, fields: columns.len() })
    }

    /// The mapped fields of one line (in the order given to [`Selection::new`]), or None when
    /// the line is not a JSON object (or not valid JSON): the caller's general parser then says
    /// exactly what is wrong with it.
    ///
    /// A nested value of the raw-text field (the result) comes back as `Val::Str` of its raw JSON
    /// text: canonicalizing that text parses it as the JSON it is, so it lands where the built
    /// value would. Only the result is read that way.
    pub fn parse<'a>(&self, line: &'a str) -> Option<Vec<Val<'a>>> {
        let mut fields = Vec::new();
        self.parse_into(line, &mut fields).then_some(fields)
    }

    /// [`Selection::parse`] into a reused vector; false when the line needs the general parser.
    pub fn parse_into<'a>(&self, line: &'a str, fields: &mut Vec<Val<'a>>) -> bool {
        fields.clear();
        fields.resize_with(self.fields, || Val::Absent);
        let mut de = serde_json::Deserializer::from_str(line);
        de.deserialize_map(RowVisitor { sel: self, fields }).is_ok() && de.end().is_ok()
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
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let Some(k) = self.sel.find(&key.0) else {
                map.next_value_seed(Skip { depth: 1 })?;
                continue;
            };
            let targets = self.sel.targets[k];
            // A repeated key: the last occurrence wins, as in a parsed JSON map.
            let value = if targets == self.sel.raw_text {
                let raw: &'de RawValue = map.next_value()?;
                raw_field(raw.get())?
            } else {
                map.next_value_seed(FieldSeed)?
            };
            // Most keys feed one field: the value moves there; a key that feeds several is copied.
            let mut bits = targets;
            while bits & (bits - 1) != 0 {
                let i = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                self.fields[i] = value.clone();
            }
            self.fields[bits.trailing_zeros() as usize] = value;
        }
        Ok(())
    }
}

/// The result field from its raw JSON text: an object or array stays text (`Val::Str`, which
/// canonicalization parses as the JSON it is, so it lands where the built value would); a
/// scalar is read as [`FieldSeed`] reads it. Nesting of [`MAX_SKIP_DEPTH`] levels or more is
/// refused, as [`Skip`] refuses it, so the general parser decides about it (serde_json's raw
/// capture has no depth limit of its own).
fn raw_field<'de, E: de::Error>(raw: &'de str) -> Result<Val<'de>, E> {
    match raw.as_bytes().first() {
        Some(b'{' | b'[') => {
            // Each level takes an opening and a closing byte: a shorter text cannot be that deep.
            if raw.len() >= 2 * MAX_SKIP_DEPTH && max_depth(raw.as_bytes()) >= MAX_SKIP_DEPTH {
                return Err(E::custom("nested too deeply for the one-pass parser"));
            }
            Ok(Val::Str(Cow::Borrowed(raw)))
        }
        _ => serde_json::Deserializer::from_str(raw).deserialize_any(FieldSeed).map_err(E::custom),
    }
}

/// The deepest nesting of objects and arrays in valid JSON text (strings skipped).
fn max_depth(b: &[u8]) -> usize {
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = string_end(b, i).unwrap_or(b.len());
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    max
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

/// A mapped field's value; objects and arrays are built.
struct FieldSeed;

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = Val<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed {
    type Value = Val<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Val::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Val::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Val::I64(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        // As serde_json::Number::as_i64, then as_f64 (what Val::from_json does).
        Ok(i64::try_from(v).map_or(Val::F64(v as f64), Val::I64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Val::F64(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Val::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Val::Str(Cow::Owned(v.to_string())))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let v = de::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Val::Json(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let v = de::Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Val::Json(Cow::Owned(v)))
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
