//! The plan as bytes in the site format ([`crate::data`]): the one conversion from a plan to a
//! site. build.rs writes these bytes into OUT_DIR for the binary to embed; tests and the dev
//! tools open them in memory. Either way the server reads them through the same
//! [`Site`](crate::site::Site).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::encode::Encoded;
use super::error::{io, PlanError};
use super::{Plan, Stored};
use crate::data::{self, Section};
use crate::rules::HeaderOp;
use crate::site::{Action, Route, SiteData};

/// The bytes of the planned site: the index and its body segments, with every stored body
/// read from the encode cache.
pub fn pack(plan: &Plan) -> Result<SiteData, PlanError> {
    pack_with(plan, &|_, _| None)
}

/// [`pack`], taking each stored body that `known` holds (asked by the file's index and the
/// variant, whose strong ETag and form name the bytes) instead of reading it from the cache.
pub fn pack_with(
    plan: &Plan,
    known: &dyn Fn(usize, &Encoded) -> Option<Vec<u8>>,
) -> Result<SiteData, PlanError> {
    let mut w = Writer::default();
    let keep_base = plan.serves_at_other_urls();

    // Bodies first: one per distinct literal (identical files share one), in segments of at
    // most SEGMENT_BYTES, none split across two.
    let mut bodies: BTreeMap<&Path, u32> = BTreeMap::new();
    let mut segments: Vec<Vec<u8>> = Vec::new();
    for (i, f) in plan.files.iter().enumerate() {
        for k in 0..f.variants.len() {
            if let Stored::Embedded(path) = f.stored(k) {
                if bodies.contains_key(path) {
                    continue;
                }
                let json = match known(i, &f.variants[k]) {
                    Some(json) => json,
                    None => std::fs::read(path).map_err(io(path))?,
                };
                let len = u32::try_from(json.len())
                    .map_err(|_| PlanError::at(path, "a body over 4 GiB cannot be embedded"))?;
                let fresh = segments
                    .last()
                    .is_none_or(|s| !s.is_empty() && s.len() + json.len() > data::SEGMENT_BYTES);
                if fresh {
                    segments.push(Vec::with_capacity(
                        data::SEGMENT_BYTES.min(json.len().max(1 << 16)),
                    ));
                }
                let number = segments_len(&segments) - 1;
                let segment = segments.last_mut().expect("pushed above");
                put32(&mut w.sections[Section::Bodies as usize], number);
                put32(
                    &mut w.sections[Section::Bodies as usize],
                    segment.len() as u32,
                );
                put32(&mut w.sections[Section::Bodies as usize], len);
                segment.extend_from_slice(&json);
                bodies.insert(path, bodies.len() as u32);
            }
        }
    }

    let mut variants = 0u32;
    for f in &plan.files {
        let h = &f.headers;
        let mut rec = Vec::with_capacity(data::FILE_LEN);
        w.str_ref(&mut rec, &f.site_path);
        w.str_ref(&mut rec, &h.content_type);
        w.str_ref(&mut rec, &h.cache_control);
        w.str_ref(&mut rec, &http_date(f.modified));
        put64(&mut rec, f.modified);
        put64(&mut rec, f.header_block);
        w.pairs_ref(&mut rec, &h.headers);
        put32(&mut rec, variants);
        let n = u8::try_from(f.variants.len()).expect("at most three encodings");
        rec.extend_from_slice(&[n, h.hsts as u8, keep_base as u8, f.base.hsts as u8]);
        if keep_base {
            w.str_ref(&mut rec, &f.base.content_type);
            w.str_ref(&mut rec, &f.base.cache_control);
            w.pairs_ref(&mut rec, &f.base.headers);
        } else {
            rec.resize(data::FILE_LEN, 0);
        }
        debug_assert_eq!(rec.len(), data::FILE_LEN);
        w.sections[Section::Files as usize].extend_from_slice(&rec);

        for (k, (v, fits)) in f.variants.iter().zip(&f.fits).enumerate() {
            let mut rec = Vec::with_capacity(data::VARIANT_LEN);
            let (kind, from, body) = match f.stored(k) {
                Stored::Embedded(path) => (data::BODY_STORED, 0, bodies[path]),
                Stored::Inflate(from) => (data::BODY_INFLATE, from, 0),
                Stored::Offloaded => (data::BODY_OFFLOADED, 0, 0),
            };
            let object = f.object_key(k);
            rec.extend_from_slice(&[
                data::code_of(&data::ENCODINGS, &v.encoding),
                v.source.base64 as u8,
                data::code_of(&data::FITS, fits),
                kind,
                from,
                object.is_some() as u8,
                0,
                0,
            ]);
            w.str_ref(&mut rec, &v.etag);
            put64(&mut rec, v.len);
            put64(&mut rec, v.json_len);
            put32(&mut rec, body);
            w.str_ref(&mut rec, object.as_deref().unwrap_or(""));
            debug_assert_eq!(rec.len(), data::VARIANT_LEN);
            w.sections[Section::Variants as usize].extend_from_slice(&rec);
            variants += 1;
        }
    }

    // Routes in byte order (for listings and `bootstrap info`), found through a perfect hash
    // computed here: a lookup costs one hash and one comparison however many routes there are.
    for (url, route) in &plan.routes {
        let mut rec = Vec::with_capacity(data::ROUTE_LEN);
        w.str_ref(&mut rec, url);
        match route {
            Route::File(k) => {
                rec.extend_from_slice(&[data::ROUTE_FILE, 0, 0, 0]);
                put32(&mut rec, *k);
                w.str_ref(&mut rec, "");
            }
            Route::Redirect(to) => {
                rec.extend_from_slice(&[data::ROUTE_REDIRECT, 0, 0, 0]);
                put32(&mut rec, 0);
                w.str_ref(&mut rec, to);
            }
        }
        w.sections[Section::Routes as usize].extend_from_slice(&rec);
    }
    let mut phf_key = 0;
    if !plan.routes.is_empty() {
        let urls: Vec<&str> = plan.routes.keys().map(String::as_str).collect();
        let state = phf_generator::generate_hash(&urls);
        phf_key = state.key;
        for (d1, d2) in state.disps {
            put32(&mut w.sections[Section::Displacements as usize], d1);
            put32(&mut w.sections[Section::Displacements as usize], d2);
        }
        for slot in state.map {
            put32(&mut w.sections[Section::HashTable as usize], slot as u32);
        }
    }

    for (dir, k) in plan.not_found_pages() {
        let mut rec = Vec::with_capacity(data::NOT_FOUND_LEN);
        w.str_ref(&mut rec, &dir);
        put32(&mut rec, k);
        w.sections[Section::NotFound as usize].extend_from_slice(&rec);
    }

    let mut s = Vec::new();
    w.settings(&mut s, plan, keep_base, segments_len(&segments));
    w.sections[Section::Settings as usize] = s;

    let index = w.finish(phf_key)?;
    Ok(SiteData { index, segments })
}

fn segments_len(segments: &[Vec<u8>]) -> u32 {
    segments.len() as u32
}

/// The sections being written and the string pool (each distinct string stored once).
#[derive(Default)]
struct Writer {
    sections: [Vec<u8>; data::SECTIONS],
    strings: HashMap<String, (u32, u32)>,
    lists: HashMap<Vec<(String, String)>, (u32, u32)>,
}

impl Writer {
    fn str_ref(&mut self, out: &mut Vec<u8>, s: &str) {
        let (off, len) = match self.strings.get(s) {
            Some(&r) => r,
            None => {
                let pool = &mut self.sections[Section::Strings as usize];
                let r = (pool.len() as u32, s.len() as u32);
                pool.extend_from_slice(s.as_bytes());
                self.strings.insert(s.to_string(), r);
                r
            }
        };
        put32(out, off);
        put32(out, len);
    }

    /// A header list as (first pair, count); a list already written is shared.
    fn pairs_ref(&mut self, out: &mut Vec<u8>, pairs: &[(String, String)]) {
        let (first, count) = match self.lists.get(pairs) {
            Some(&r) => r,
            None => {
                let first = (self.sections[Section::Pairs as usize].len() / data::PAIR_LEN) as u32;
                for (n, v) in pairs {
                    let mut rec = Vec::with_capacity(data::PAIR_LEN);
                    self.str_ref(&mut rec, n);
                    self.str_ref(&mut rec, v);
                    self.sections[Section::Pairs as usize].extend_from_slice(&rec);
                }
                let r = (first, pairs.len() as u32);
                self.lists.insert(pairs.to_vec(), r);
                r
            }
        };
        put32(out, first);
        put32(out, count);
    }

    fn strs(&mut self, out: &mut Vec<u8>, list: &[crate::site::Text]) {
        put32(out, list.len() as u32);
        for s in list {
            self.str_ref(out, s);
        }
    }

    fn opt_str(&mut self, out: &mut Vec<u8>, s: Option<&str>) {
        out.push(s.is_some() as u8);
        if let Some(s) = s {
            self.str_ref(out, s);
        }
    }

    /// The settings section; `Site`'s reader decodes the same fields in the same order.
    fn settings(&mut self, s: &mut Vec<u8>, plan: &Plan, keep_base: bool, segments: u32) {
        let config = &plan.config;
        self.str_ref(s, &config.health_path);
        self.str_ref(s, &config.mount);
        s.push(plan.spa_fallback as u8);
        put32(s, config.redirect().code().into());
        let hsts = &config.security.hsts;
        self.opt_str(s, (!hsts.is_empty()).then_some(hsts.as_str()));
        let defaults = config.security_headers();
        put32(s, defaults.len() as u32);
        for (n, v) in &defaults {
            self.str_ref(s, n);
            self.str_ref(s, v);
        }
        self.str_ref(s, &config.cache.errors);
        put32(s, config.limits.presign_seconds);
        match config.auth.as_ref().map(|a| a.to_auth()) {
            None => s.push(0),
            Some(a) => {
                s.push(1);
                self.strs(s, &a.signers);
                self.str_ref(s, &a.key_url);
                self.strs(s, &a.public);
                put32(s, a.rules.len() as u32);
                for r in a.rules.iter() {
                    self.str_ref(s, &r.path);
                    self.strs(s, &r.emails);
                    self.strs(s, &r.email_domains);
                    self.strs(s, &r.groups);
                    self.str_ref(s, &r.groups_claim);
                }
                self.opt_str(s, a.logout_path.as_deref());
                self.str_ref(s, &a.logout_redirect);
            }
        }
        put32(s, plan.redirects.len() as u32);
        for r in &plan.redirects {
            self.str_ref(s, &r.from);
            self.str_ref(s, &r.to);
            let (kind, code) = match r.action {
                Action::Redirect(status) => (0, status.code()),
                Action::Rewrite => (1, 200),
                Action::RewriteNotFound => (2, 404),
            };
            s.push(kind);
            put32(s, code.into());
            s.push(r.force as u8);
        }
        let rules: &[crate::rules::HeaderRule] = if keep_base { &plan.header_rules } else { &[] };
        put32(s, rules.len() as u32);
        for r in rules {
            self.str_ref(s, &r.pattern);
            put64(s, r.line as u64);
            put32(s, r.ops.len() as u32);
            for op in r.ops.iter() {
                match op {
                    HeaderOp::Set(n, v) => {
                        s.push(0);
                        self.str_ref(s, n);
                        self.str_ref(s, v);
                    }
                    HeaderOp::Detach(n) => {
                        s.push(1);
                        self.str_ref(s, n);
                    }
                }
            }
        }
        match plan.index() {
            Some(k) => {
                s.push(1);
                put32(s, k);
            }
            None => s.push(0),
        }
        put64(s, plan.site_bytes());
        put32(s, plan.files.iter().filter(|f| f.in_s3()).count() as u32);
        put32(s, segments);
    }

    /// The header, the section table and the sections, in order.
    fn finish(self, phf_key: u64) -> Result<Vec<u8>, PlanError> {
        let total: usize = data::HEADER_LEN + self.sections.iter().map(Vec::len).sum::<usize>();
        if u32::try_from(total).is_err() {
            return Err(PlanError::new(format!(
                "the site's index would be {total} bytes, over the format's 4 GiB: split the site"
            )));
        }
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&data::MAGIC);
        put32(&mut out, data::VERSION);
        put32(&mut out, data::SECTIONS as u32);
        put64(&mut out, phf_key);
        let mut at = data::HEADER_LEN;
        for s in &self.sections {
            put32(&mut out, at as u32);
            put32(&mut out, s.len() as u32);
            at += s.len();
        }
        for s in &self.sections {
            out.extend_from_slice(s);
        }
        Ok(out)
    }
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn http_date(secs: u64) -> String {
    httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}
