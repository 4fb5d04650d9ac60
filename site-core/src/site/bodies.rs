//! Stored bodies: a variant's JSON literal, checked once and kept as raw JSON, or decoded to
//! its bytes; and the package's tallies of variants and bodies.

use serde_json::value::RawValue;

use super::{Body, Site, Store, Variant};
use crate::data::{self, Section};

impl Site {
    /// Stored body number `k`: its JSON literal's bytes.
    pub(super) fn body(&self, k: u32) -> Option<&[u8]> {
        let rec = self.record(Section::Bodies, k)?;
        let segment = self.segment(data::u32_at(rec, 0)? as usize)?;
        let start = data::u32_at(rec, 4)? as usize;
        segment.get(start..start.checked_add(data::u32_at(rec, 8)? as usize)?)
    }

    /// A stored variant's JSON literal (checked as UTF-8 each time: for byte ranges and other
    /// paths that decode the body anyway; whole responses use [`Site::raw_body`]).
    pub fn body_json(&self, v: &Variant<'_>) -> Option<&str> {
        match v.body {
            Body::Stored(k) => std::str::from_utf8(self.body(k)?).ok(),
            Body::Inflate(_) | Body::Offloaded => None,
        }
    }

    /// The variant's body as raw JSON (a string literal), or None when it is not stored (made
    /// per request, or in S3) or were ever not valid JSON (the planner writes it with
    /// serde_json, so it is; the caller then decodes it another way). Checked once per body,
    /// on first use; later responses copy it without escaping.
    pub fn raw_body(&self, v: &Variant<'_>) -> Option<&RawValue> {
        let Body::Stored(k) = v.body else {
            return None;
        };
        match &self.store {
            Store::Static {
                segments, slots, ..
            } => *slots.get(k as usize)?.get_or_init(|| {
                let rec = self.record(Section::Bodies, k)?;
                let segment: &'static [u8] = segments.get(data::u32_at(rec, 0)? as usize)?;
                let start = data::u32_at(rec, 4)? as usize;
                let bytes =
                    segment.get(start..start.checked_add(data::u32_at(rec, 8)? as usize)?)?;
                serde_json::from_str::<&'static RawValue>(std::str::from_utf8(bytes).ok()?).ok()
            }),
            Store::Owned { slots, .. } => slots
                .get(k as usize)?
                .get_or_init(|| {
                    let json = std::str::from_utf8(self.body(k)?).ok()?;
                    serde_json::from_str::<&RawValue>(json)
                        .ok()
                        .map(|r| r.to_owned())
                })
                .as_deref(),
        }
    }

    /// The number of variants of every file.
    pub fn variant_count(&self) -> usize {
        self.count(Section::Variants)
    }

    /// How many distinct bodies the package stores, and their bytes (JSON literals).
    pub fn stored_bodies(&self) -> (usize, u64) {
        let n = self.count(Section::Bodies);
        let bytes = (0..n as u32)
            .filter_map(|k| self.record(Section::Bodies, k))
            .filter_map(|rec| data::u32_at(rec, 8))
            .map(u64::from)
            .sum();
        (n, bytes)
    }
}

/// The bytes of a stored body (decoded from its JSON literal); None for one not stored.
pub fn body_bytes(site: &Site, v: &Variant<'_>) -> Option<Vec<u8>> {
    use base64::Engine;
    let s = serde_json::from_str::<String>(site.body_json(v)?).ok()?;
    if v.base64 {
        base64::engine::general_purpose::STANDARD.decode(s).ok()
    } else {
        Some(s.into_bytes())
    }
}

/// Length of `len` bytes as a quoted base64 JSON string.
pub const fn base64_json_len(len: u64) -> u64 {
    len.div_ceil(3) * 4 + 2
}
