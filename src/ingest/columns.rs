//! Column storage for normalized rows. Correlation ids are stored back to back in one buffer
//! ([`StrCol`]); results, error codes and segment values repeat a lot and are dictionary-encoded
//! ([`DictCol`]). At 10M rows per version this is a handful of allocations per column instead of
//! one `String` per row per field, which was a third of the run time (page faults and allocator
//! work) and most of the memory.
//!
//! Hand-written because the pieces we need are small and mutable in ways Arrow's arrays are not:
//! a dictionary that interns while parts merge, and ids appended part by part without a builder
//! per column.

use rustc_hash::{FxBuildHasher, FxHashMap};
use std::hash::BuildHasher;

/// Strings back to back: `data[ends[i-1]..ends[i]]` is value i.
#[derive(Debug, Default, Clone)]
pub struct StrCol {
    data: String,
    ends: Vec<u64>,
}

impl StrCol {
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    /// Room for `rows` more values; the text buffer grows by the average length seen so far (or
    /// 24 bytes per value before any).
    pub fn reserve(&mut self, rows: usize) {
        let avg = if self.ends.is_empty() { 24 } else { self.data.len() / self.ends.len() + 1 };
        self.ends.reserve(rows);
        self.data.reserve(rows * avg);
    }
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    /// Removes every value, keeping the allocations.
    pub fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
    }
    pub fn push(&mut self, s: &str) {
        self.data.push_str(s);
        self.ends.push(self.data.len() as u64);
    }
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.data[start..self.ends[i] as usize]
    }
    /// Moves every value of `other` to the end of this column.
    pub fn append(&mut self, other: &StrCol) {
        let base = self.data.len() as u64;
        self.data.push_str(&other.data);
        self.ends.extend(other.ends.iter().map(|e| e + base));
    }
}

impl<S: AsRef<str>> FromIterator<S> for StrCol {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut c = StrCol::default();
        for s in iter {
            c.push(s.as_ref());
        }
        c
    }
}

/// Code of a missing value in a [`DictCol`].
pub const NONE: u32 = u32::MAX;

/// Dictionary-encoded optional strings: `codes[i]` indexes `values`, or is [`NONE`].
#[derive(Debug, Default, Clone)]
pub struct DictCol {
    pub codes: Vec<u32>,
    values: Vec<String>,
    /// Hash of a value -> its first code; `next` chains values whose hashes collide.
    index: FxHashMap<u64, u32>,
    next: Vec<u32>,
}

fn hash_str(s: &str) -> u64 {
    FxBuildHasher.hash_one(s)
}

impl DictCol {
    pub fn len(&self) -> usize {
        self.codes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
    pub fn get(&self, i: usize) -> Option<&str> {
        match self.codes[i] {
            NONE => None,
            c => Some(&self.values[c as usize]),
        }
    }
    /// Removes every row and value, keeping the allocations.
    pub fn clear(&mut self) {
        self.codes.clear();
        self.values.clear();
        self.index.clear();
        self.next.clear();
    }
    /// The code of `s`, adding it to the dictionary if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        let h = hash_str(s);
        let mut tail = None;
        if let Some(&first) = self.index.get(&h) {
            let mut c = first;
            loop {
                if self.values[c as usize] == s {
                    return c;
                }
                match self.next[c as usize] {
                    NONE => break,
                    n => c = n,
                }
            }
            tail = Some(c);
        }
        let code = self.values.len() as u32;
        self.values.push(s.to_string());
        self.next.push(NONE);
        match tail {
            Some(t) => self.next[t as usize] = code,
            None => {
                self.index.insert(h, code);
            }
        }
        code
    }
    pub fn push(&mut self, s: Option<&str>) {
        let code = match s {
            Some(s) => self.intern(s),
            None => NONE,
        };
        self.codes.push(code);
    }
    /// Pushes an already-interned code (from [`DictCol::intern`] on this column).
    pub fn push_code(&mut self, code: u32) {
        self.codes.push(code);
    }
    /// Moves every row of `other` (with its own dictionary) to the end of this column.
    pub fn append(&mut self, other: &DictCol) {
        let remap: Vec<u32> = other.values.iter().map(|v| self.intern(v)).collect();
        self.codes.extend(other.codes.iter().map(|&c| if c == NONE { NONE } else { remap[c as usize] }));
    }
}

impl<S: AsRef<str>> FromIterator<Option<S>> for DictCol {
    fn from_iter<I: IntoIterator<Item = Option<S>>>(iter: I) -> Self {
        let mut c = DictCol::default();
        for s in iter {
            c.push(s.as_ref().map(|s| s.as_ref()));
        }
        c
    }
}
