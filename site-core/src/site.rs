//! The site as a value: every file with its variants and headers, the URL routes, the
//! `_redirects` rules and the run-time options. The server answers from a `&Site`.
//!
//! A site is bytes in one format ([`crate::data`]), made by the planner (`plan::pack`) and read
//! here through views: the binary embeds them with `include_bytes!` and borrows them, tests and
//! the dev tools own them; both go through the same [`Site`]. Files, variants and routes are
//! read from their records when asked for, so nothing built at start-up grows with the site;
//! the settings and rules (sized by the settings file, not the files) are decoded once.

use std::borrow::Cow;
use std::sync::OnceLock;

use serde_json::value::RawValue;

pub use crate::data::FormatError;
use crate::data::{self, Section};

pub use crate::auth::{AccessRule, Auth};
pub use crate::limits::Fits;
pub use crate::rules::{HeaderOp, HeaderRule, HeaderSet};
pub use crate::status::Status;

/// What marks, in the built binary, the one line of JSON a deploy reads without running it
/// (`health_path`, `files`, `site_bytes`, `most_set_cookies`).
pub const DEPLOY_INFO_MARKER: &str = "alb-static-site-deploy-info ";

/// Text of the settings and rules.
pub type Text = Cow<'static, str>;

/// A content coding the server can send; ordered by preference when q-values and sizes tie.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Encoding {
    /// No content coding.
    Identity,
    /// `gzip`, made at build time at the best level.
    Gzip,
    /// `br`, made at build time at quality 11 (10 for the small files of a big site; see
    /// `plan::compress`).
    Brotli,
}

impl Encoding {
    /// The token used in `Content-Encoding` and `Accept-Encoding`.
    pub const fn token(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Gzip => "gzip",
            Encoding::Brotli => "br",
        }
    }
}

/// Where a variant's body is. A stored body is a complete JSON string literal, quotes and
/// escapes included (UTF-8 text as itself, anything else as standard base64), so a response
/// copies it as is: encoding per response would cost up to 50 times the copy (BENCHMARKS.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// Stored in a body segment (identical bodies share one): the body's number, which is also
    /// the slot where its checked `&RawValue` is kept after first use.
    Stored(u32),
    /// Not stored: the identity of a file with a gzip variant, made when a client asks for it
    /// (no compression accepted, or a byte range) by inflating the variant at this index.
    Inflate(u8),
    /// Left out of the package (`limits.too_large = "s3"`): only in S3, under the variant's
    /// `object` key.
    Offloaded,
}

/// One encoding of a file, read from its record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variant<'s> {
    /// The content coding of these bytes.
    pub encoding: Encoding,
    /// Strong entity tag, quoted; distinct per encoding because it hashes the encoded bytes.
    pub etag: &'s str,
    pub body: Body,
    /// Whether a response sends the body as base64 (`isBase64Encoded: true`); otherwise the
    /// bytes are UTF-8 text, sent as a JSON string.
    pub base64: bool,
    /// Length of the encoded bytes as the client receives them (after ALB decodes base64).
    pub len: u64,
    /// Length of the body in a response's JSON: the quoted base64 or escaped text.
    pub json_len: u64,
    /// Which front doors take a full response with this variant (with the file's own headers).
    pub fits: Fits,
    /// The variant's key in S3, when it is there: always for an `Offloaded` body, and also
    /// for an embedded one too large for an ALB, which an ALB's requests are sent to.
    pub object: Option<&'s str>,
}

impl Variant<'_> {
    /// What a record that cannot be read reads as: nothing in the package, fitting nowhere, so
    /// a response says the file cannot be read rather than sending wrong bytes. (A site is
    /// checked whole when it is made, so this is never reached for one the planner wrote.)
    const UNREADABLE: Variant<'static> = Variant {
        encoding: Encoding::Identity,
        etag: "\"\"",
        body: Body::Offloaded,
        base64: false,
        len: 0,
        json_len: 0,
        fits: Fits::Nowhere,
        object: None,
    };
}

/// A list of header (name, value) pairs in the index (shared by every file with the same list).
#[derive(Clone, Copy)]
pub struct Pairs<'s> {
    site: &'s Site,
    first: u32,
    count: u32,
}

impl<'s> Pairs<'s> {
    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'s str, &'s str)> + 's {
        let (site, first) = (self.site, self.first);
        (0..self.count).filter_map(move |k| site.pair(first.checked_add(k)?))
    }
}

impl std::fmt::Debug for Pairs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A file's variants in the index: identity first, then the compressed ones worth keeping.
#[derive(Clone, Copy)]
pub struct Variants<'s> {
    site: &'s Site,
    first: u32,
    count: u32,
}

impl<'s> Variants<'s> {
    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Variant `k`, if the file has it.
    pub fn get(&self, k: usize) -> Option<Variant<'s>> {
        let k = u32::try_from(k).ok().filter(|&k| k < self.count)?;
        self.site.variant(self.first.checked_add(k)?)
    }

    pub fn iter(&self) -> impl Iterator<Item = Variant<'s>> + 's {
        let this = *self;
        (0..self.len()).filter_map(move |k| this.get(k))
    }
}

impl std::fmt::Debug for Variants<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A file of the site with everything a response needs, computed at build time and read from
/// its record.
#[derive(Clone, Copy, Debug)]
pub struct File<'s> {
    /// The file's number (`Route::File(n)`).
    pub number: u32,
    /// The file's path in the site, with a leading slash (for logs and tests).
    pub path: &'s str,
    /// `Content-Type`, with `; charset=utf-8` on text types.
    pub content_type: &'s str,
    /// `Cache-Control` after the default policy and `_headers` (empty: none is sent).
    pub cache_control: &'s str,
    /// `Last-Modified` as an HTTP-date.
    pub last_modified: &'s str,
    /// The same instant in seconds since the epoch, for If-Modified-Since.
    pub modified: u64,
    /// Extra headers (security defaults merged with `_headers` rules), in order.
    pub headers: Pairs<'s>,
    /// Whether the HSTS header goes out on https requests (configured, and not detached by `_headers`).
    pub hsts: bool,
    /// The JSON size of the largest header block a response of this file carries, which
    /// with the door's limit sets the most bytes one 206 of it may carry.
    pub header_block: u64,
    /// Identity first, then the compressed variants worth keeping.
    pub variants: Variants<'s>,
    /// The headers before `_headers`, kept when a rewrite or the SPA fallback may serve this
    /// file at a URL of its own, whose rules then apply instead.
    pub base: Option<BaseHeaders<'s>>,
}

/// A file's headers before `_headers` (type, cache policy, security defaults, HSTS).
#[derive(Clone, Copy, Debug)]
pub struct BaseHeaders<'s> {
    pub content_type: &'s str,
    pub cache_control: &'s str,
    pub headers: Pairs<'s>,
    pub hsts: bool,
}

impl BaseHeaders<'_> {
    /// As a set the rules can be applied to.
    pub fn to_set(&self) -> HeaderSet {
        HeaderSet {
            content_type: self.content_type.to_string(),
            cache_control: self.cache_control.to_string(),
            headers: self
                .headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            hsts: self.hsts,
        }
    }
}

impl<'s> File<'s> {
    /// The file's own bytes, uncompressed: the variant ranges and validators refer to.
    pub fn identity(&self) -> Variant<'s> {
        self.variants.get(0).unwrap_or(Variant::UNREADABLE)
    }

    /// Whether the file is only in S3, not in the package (every variant is, or none).
    pub fn offloaded(&self) -> bool {
        matches!(self.identity().body, Body::Offloaded)
    }

    /// Whether the file's variants are in S3 (only there, or also in the package for the doors
    /// that take them whole).
    pub fn in_s3(&self) -> bool {
        self.identity().object.is_some()
    }
}

/// What a URL path leads to: owned text in a plan, borrowed from the index in a site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route<T = Text> {
    /// Serve file number `n`.
    File(u32),
    /// Redirect to this percent-encoded path, or to an absolute URL for a file sent elsewhere
    /// (`limits.too_large = "redirect"`); the query is appended at run time.
    Redirect(T),
}

impl<T: Copy> Copy for Route<T> {}

/// What a `_redirects` rule does with a request it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Redirect with this status (301, 302, 303, 307 or 308).
    Redirect(Status),
    /// Serve the target's file at this URL with 200.
    Rewrite,
    /// Serve the target's file at this URL with 404.
    RewriteNotFound,
}

impl Action {
    /// The status the rule is written with in `_redirects`.
    pub fn status(self) -> Status {
        match self {
            Action::Redirect(status) => status,
            Action::Rewrite => Status::Ok,
            Action::RewriteNotFound => Status::NotFound,
        }
    }
}

/// A `_redirects` rule, validated at build time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// URL pattern (`/blog/:slug`, `/old/*`).
    pub from: Text,
    /// Target path or URL, with placeholders.
    pub to: Text,
    pub action: Action,
    /// Applies even when a file answers the path.
    pub force: bool,
}

/// Run-time options from the settings file, validated and decided at build time.
#[derive(Debug)]
pub struct Options {
    /// Path answered with 200 for ALB health checks when no file is there.
    pub health_path: Text,
    /// The path prefix the site is served under (`/docs`), or empty: stripped from requests,
    /// put back on redirects.
    pub mount: Text,
    /// Extension-less GET/HEAD paths that accept HTML get `/index.html` with 200.
    pub spa_fallback: bool,
    /// Status of the redirects the server makes itself (trailing slash, clean URLs).
    pub redirect_status: Status,
    /// `Strict-Transport-Security` value, sent only on requests that came in over https.
    pub hsts: Option<Text>,
    /// Headers sent on responses that are not files (redirects, built-in pages).
    pub default_headers: Cow<'static, [(Text, Text)]>,
    /// `Cache-Control` of 404s and the other answers the server makes itself.
    pub error_cache_control: Text,
    /// `[auth]`: the site is private; requests need ALB's verified login.
    pub auth: Option<Auth>,
    /// How long a presigned URL to a file kept in S3 is valid (a private site's), in seconds.
    pub presign_seconds: u32,
}

/// The bytes of a site: the index and its body segments (see [`crate::data`]).
#[derive(Clone, Debug, Default)]
pub struct SiteData {
    pub index: Vec<u8>,
    pub segments: Vec<Vec<u8>>,
}

/// The checked `&RawValue` of each stored body, made on first use.
pub type StaticSlots = [OnceLock<Option<&'static RawValue>>];

/// Where a site's bytes are: borrowed for the life of the program (embedded with
/// `include_bytes!`), or owned (planned in memory).
enum Store {
    Static {
        index: &'static [u8],
        segments: &'static [&'static [u8]],
        slots: &'static StaticSlots,
    },
    Owned {
        data: SiteData,
        slots: Box<[OnceLock<Option<Box<RawValue>>>]>,
    },
}

/// The whole site: a view of its bytes.
pub struct Site {
    store: Store,
    /// (offset, length) of each section in the index, checked to lie within it.
    sections: [(usize, usize); data::SECTIONS],
    phf_key: u64,
    pub options: Options,
    /// `_redirects`, in file order.
    pub redirects: Vec<Redirect>,
    /// `_headers`, in file order, kept when a rewrite or the SPA fallback may serve a file at
    /// another URL (empty otherwise: every file's own headers are then final).
    pub header_rules: Vec<HeaderRule>,
    /// The top-level `index.html`, for the single-page-app fallback.
    pub index: Option<u32>,
    /// The files' own bytes in all (identity variants).
    pub site_bytes: u64,
    /// How many files are in S3 (only there, or also in the package for the doors that take
    /// them whole): the function needs to know where S3 is.
    pub offloaded_files: u32,
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site")
            .field("files", &self.files_len())
            .field("routes", &self.routes_len())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Site {
    /// The site embedded in a binary: opening it reads the header and the settings, nothing
    /// that grows with the number of files. `slots` has one entry per stored body.
    pub fn open_static(
        index: &'static [u8],
        segments: &'static [&'static [u8]],
        slots: &'static StaticSlots,
    ) -> Result<Site, FormatError> {
        Site::open(Store::Static {
            index,
            segments,
            slots,
        })
    }

    /// A site from bytes in memory, checked whole (every record, string and body).
    pub fn from_data(data: SiteData) -> Result<Site, FormatError> {
        // At most as many slots as the index could hold records for: a malformed length is
        // then refused by `open`, never allocated.
        let bodies = if data::header_ok(&data.index) {
            bodies_in(&data.index)?.min(data.index.len() / data::BODY_LEN)
        } else {
            0
        };
        let slots = (0..bodies).map(|_| OnceLock::new()).collect();
        let site = Site::open(Store::Owned { data, slots })?;
        site.verify()?;
        Ok(site)
    }

    fn open(store: Store) -> Result<Site, FormatError> {
        let bad = |m: &str| FormatError(m.to_string());
        let (index, segments, slots) = match &store {
            Store::Static {
                index,
                segments,
                slots,
            } => (*index, segments.len(), slots.len()),
            Store::Owned { data, slots } => (&data.index[..], data.segments.len(), slots.len()),
        };
        if index.len() < data::PREAMBLE_LEN || index[..8] != data::MAGIC {
            return Err(bad("it does not start with the site format's magic bytes"));
        }
        if !data::header_ok(index) {
            return Err(FormatError(format!(
                "it is format version {}, this server reads version {} (rebuild the binary)",
                data::u32_at(index, 8).unwrap_or(0),
                data::VERSION
            )));
        }
        let phf_key = data::u64_at(index, 16).ok_or_else(|| bad("short header"))?;
        let mut sections = [(0usize, 0usize); data::SECTIONS];
        for (k, s) in sections.iter_mut().enumerate() {
            let at = data::PREAMBLE_LEN + k * 8;
            let off = data::u32_at(index, at).ok_or_else(|| bad("short header"))? as usize;
            let len = data::u32_at(index, at + 4).ok_or_else(|| bad("short header"))? as usize;
            if off.checked_add(len).is_none_or(|end| end > index.len()) {
                return Err(FormatError(format!("section {k} lies outside the index")));
            }
            let rec = data::RECORD_LEN[k];
            if rec != 0 && !len.is_multiple_of(rec) {
                return Err(FormatError(format!(
                    "section {k} is not a whole number of records"
                )));
            }
            *s = (off, len);
        }
        let slice = |k: Section| {
            let (off, len) = sections[k as usize];
            &index[off..off + len]
        };
        let settings = read_settings(slice(Section::Settings), slice(Section::Strings))?;
        let bodies = sections[Section::Bodies as usize].1 / data::BODY_LEN;
        let files = sections[Section::Files as usize].1 / data::FILE_LEN;
        if settings.segments as usize != segments {
            return Err(FormatError(format!(
                "the index names {} body segments, {segments} are there",
                settings.segments
            )));
        }
        if slots != bodies {
            return Err(FormatError(format!(
                "the index has {bodies} bodies, {slots} slots are there"
            )));
        }
        if settings.index.is_some_and(|k| k as usize >= files) {
            return Err(bad("the index.html file is not in the file table"));
        }
        Ok(Site {
            store,
            sections,
            phf_key,
            options: settings.options,
            redirects: settings.redirects,
            header_rules: settings.header_rules,
            index: settings.index,
            site_bytes: settings.site_bytes,
            offloaded_files: settings.offloaded_files,
        })
    }
    /// The bytes of a site made in memory (None for an embedded one).
    pub fn into_data(self) -> Option<SiteData> {
        match self.store {
            Store::Owned { data, .. } => Some(data),
            Store::Static { .. } => None,
        }
    }

    /// The index's bytes.
    pub fn index_bytes(&self) -> &[u8] {
        match &self.store {
            Store::Static { index, .. } => index,
            Store::Owned { data, .. } => &data.index,
        }
    }

    /// The body segments' bytes.
    pub fn segments(&self) -> Vec<&[u8]> {
        match &self.store {
            Store::Static { segments, .. } => segments.to_vec(),
            Store::Owned { data, .. } => data.segments.iter().map(Vec::as_slice).collect(),
        }
    }

    fn segment(&self, k: usize) -> Option<&[u8]> {
        match &self.store {
            Store::Static { segments, .. } => segments.get(k).copied(),
            Store::Owned { data, .. } => data.segments.get(k).map(Vec::as_slice),
        }
    }

    fn section(&self, s: Section) -> &[u8] {
        let (off, len) = self.sections[s as usize];
        self.index_bytes().get(off..off + len).unwrap_or(&[])
    }

    fn count(&self, s: Section) -> usize {
        self.sections[s as usize].1 / data::RECORD_LEN[s as usize].max(1)
    }

    fn record(&self, s: Section, k: u32) -> Option<&[u8]> {
        let len = data::RECORD_LEN[s as usize];
        let at = (k as usize).checked_mul(len)?;
        self.section(s).get(at..at + len)
    }

    fn str_at(&self, rec: &[u8], at: usize) -> Option<&str> {
        data::pool_str(
            self.section(Section::Strings),
            data::u32_at(rec, at)?,
            data::u32_at(rec, at + 4)?,
        )
    }

    fn pair(&self, k: u32) -> Option<(&str, &str)> {
        let rec = self.record(Section::Pairs, k)?;
        Some((self.str_at(rec, 0)?, self.str_at(rec, 8)?))
    }

    fn pairs(&self, rec: &[u8], at: usize) -> Option<Pairs<'_>> {
        let (first, count) = (data::u32_at(rec, at)?, data::u32_at(rec, at + 4)?);
        let end = first.checked_add(count)?;
        (end as usize <= self.count(Section::Pairs)).then_some(Pairs {
            site: self,
            first,
            count,
        })
    }

    fn variant(&self, k: u32) -> Option<Variant<'_>> {
        let rec = self.record(Section::Variants, k)?;
        let encoding = *data::ENCODINGS.get(rec[0] as usize)?;
        let fits = *data::FITS.get(rec[2] as usize)?;
        let body = match rec[3] {
            data::BODY_STORED => Body::Stored(data::u32_at(rec, 32)?),
            data::BODY_INFLATE => Body::Inflate(rec[4]),
            data::BODY_OFFLOADED => Body::Offloaded,
            _ => return None,
        };
        Some(Variant {
            encoding,
            etag: self.str_at(rec, 8)?,
            body,
            base64: rec[1] == 1,
            len: data::u64_at(rec, 16)?,
            json_len: data::u64_at(rec, 24)?,
            fits,
            object: if rec[5] == 1 {
                Some(self.str_at(rec, 36)?)
            } else {
                None
            },
        })
    }

    /// File number `index`, or None when there is no such file.
    pub fn get_file(&self, index: u32) -> Option<File<'_>> {
        let rec = self.record(Section::Files, index)?;
        let (first_variant, n_variants) = (data::u32_at(rec, 56)?, rec[60] as u32);
        if first_variant.checked_add(n_variants)? as usize > self.count(Section::Variants) {
            return None;
        }
        let base = match rec[62] {
            1 => Some(BaseHeaders {
                content_type: self.str_at(rec, 64)?,
                cache_control: self.str_at(rec, 72)?,
                headers: self.pairs(rec, 80)?,
                hsts: rec[63] == 1,
            }),
            _ => None,
        };
        Some(File {
            number: index,
            path: self.str_at(rec, 0)?,
            content_type: self.str_at(rec, 8)?,
            cache_control: self.str_at(rec, 16)?,
            last_modified: self.str_at(rec, 24)?,
            modified: data::u64_at(rec, 32)?,
            header_block: data::u64_at(rec, 40)?,
            headers: self.pairs(rec, 48)?,
            hsts: rec[61] == 1,
            variants: Variants {
                site: self,
                first: first_variant,
                count: n_variants,
            },
            base,
        })
    }

    /// File number `index`. A number from this site's routes always names a file (the site is
    /// checked whole when it is made); any other reads as a file with nothing stored.
    pub fn file(&self, index: u32) -> File<'_> {
        self.get_file(index).unwrap_or(File {
            number: index,
            path: "",
            content_type: "application/octet-stream",
            cache_control: "",
            last_modified: "Thu, 01 Jan 1970 00:00:00 GMT",
            modified: 0,
            headers: Pairs {
                site: self,
                first: 0,
                count: 0,
            },
            hsts: false,
            header_block: 0,
            variants: Variants {
                site: self,
                first: 0,
                count: 0,
            },
            base: None,
        })
    }

    /// How many files the site has.
    pub fn files_len(&self) -> usize {
        self.count(Section::Files)
    }

    /// Every file, in table order.
    pub fn files(&self) -> impl Iterator<Item = File<'_>> {
        (0..self.files_len() as u32).map(|k| self.file(k))
    }

    /// Route number `k`: its URL path and what it leads to.
    fn route_at(&self, k: u32) -> Option<(&str, Route<&str>)> {
        let rec = self.record(Section::Routes, k)?;
        let url = self.str_at(rec, 0)?;
        let route = match rec[8] {
            data::ROUTE_FILE => Route::File(data::u32_at(rec, 12)?),
            data::ROUTE_REDIRECT => Route::Redirect(self.str_at(rec, 16)?),
            _ => return None,
        };
        Some((url, route))
    }

    /// What the decoded URL path leads to, if anything: one hash and one comparison, however
    /// many routes the site has (a perfect hash computed at build time).
    pub fn route(&self, path: &str) -> Option<Route<&str>> {
        let disps = self.section(Section::Displacements);
        let table = self.section(Section::HashTable);
        let (n_disps, n) = (disps.len() / 8, table.len() / 4);
        if n_disps == 0 || n == 0 {
            return None;
        }
        let hashes = phf_shared::hash(path, &self.phf_key);
        let d = (hashes.g % n_disps as u32) as usize * 8;
        let (d1, d2) = (data::u32_at(disps, d)?, data::u32_at(disps, d + 4)?);
        let slot = phf_shared::displace(hashes.f1, hashes.f2, d1, d2) % n as u32;
        let (url, route) = self.route_at(data::u32_at(table, slot as usize * 4)?)?;
        (url == path).then_some(route)
    }

    /// The file a rewrite rule (200 or 404) to the still-encoded URL path `encoded` serves: its
    /// route, followed through one redirect (a clean URL's), or None. The server and `explain`
    /// both ask this, so they cannot disagree on it.
    pub fn rewrite_target(&self, encoded: &str) -> Option<u32> {
        let decoded = crate::path::decode(encoded).ok()?;
        match self.route(&decoded)? {
            Route::File(k) => Some(k),
            Route::Redirect(to) => match self.route(&crate::path::decode(to).ok()?)? {
                Route::File(k) => Some(k),
                Route::Redirect(_) => None,
            },
        }
    }

    /// Every URL path and its route, in byte order (for listings and tools; not per request).
    pub fn routes(&self) -> impl Iterator<Item = (&str, Route<&str>)> {
        (0..self.routes_len() as u32).filter_map(|k| self.route_at(k))
    }

    /// How many URL paths the site answers.
    pub fn routes_len(&self) -> usize {
        self.count(Section::Routes)
    }

    /// Folders with a `404.html` (`/`, `/docs/`), sorted, and the number of that file.
    pub fn not_found_pages(&self) -> impl Iterator<Item = (&str, u32)> {
        (0..self.count(Section::NotFound) as u32).filter_map(|k| self.not_found_at(k))
    }

    fn not_found_at(&self, k: u32) -> Option<(&str, u32)> {
        let rec = self.record(Section::NotFound, k)?;
        Some((self.str_at(rec, 0)?, data::u32_at(rec, 8)?))
    }

    /// The nearest `404.html` at or above the folder of `path` (Cloudflare Pages' rule).
    pub fn not_found_page(&self, path: &str) -> Option<File<'_>> {
        let n = self.count(Section::NotFound);
        let find = |dir: &str| {
            let (mut lo, mut hi) = (0usize, n);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                let (d, k) = self.not_found_at(mid as u32)?;
                match d.cmp(dir) {
                    std::cmp::Ordering::Less => lo = mid + 1,
                    std::cmp::Ordering::Greater => hi = mid,
                    std::cmp::Ordering::Equal => return Some(k),
                }
            }
            None
        };
        let mut dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        loop {
            if let Some(k) = find(dir) {
                return Some(self.file(k));
            }
            if dir.len() <= 1 {
                return None;
            }
            // "/a/b/" -> "/a/"
            let trimmed = &dir[..dir.len() - 1];
            dir = &trimmed[..trimmed.rfind('/').map_or(0, |i| i + 1)];
            if dir.is_empty() {
                return None;
            }
        }
    }

    /// The top-level `index.html`.
    pub fn index(&self) -> Option<File<'_>> {
        self.index.map(|i| self.file(i))
    }

    /// Stored body number `k`: its JSON literal's bytes.
    fn body(&self, k: u32) -> Option<&[u8]> {
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

/// The number of bodies an index names (for the slots of a site in memory).
fn bodies_in(index: &[u8]) -> Result<usize, FormatError> {
    let at = data::PREAMBLE_LEN + Section::Bodies as usize * 8 + 4;
    data::u32_at(index, at)
        .map(|len| len as usize / data::BODY_LEN)
        .ok_or_else(|| FormatError("it is shorter than the site format's header".into()))
}

/// The settings section, decoded.
struct Settings {
    options: Options,
    redirects: Vec<Redirect>,
    header_rules: Vec<HeaderRule>,
    index: Option<u32>,
    site_bytes: u64,
    offloaded_files: u32,
    segments: u32,
}

/// Decodes the settings section (strings from `pool`).
fn read_settings(bytes: &[u8], pool: &[u8]) -> Result<Settings, FormatError> {
    let mut c = data::Cursor {
        bytes,
        pos: 0,
        pool,
    };
    let text = |s: &str| -> Text { Cow::Owned(s.to_string()) };
    let texts =
        |v: Vec<&str>| -> Cow<'static, [Text]> { Cow::Owned(v.into_iter().map(text).collect()) };
    let status = |code: u32| {
        u16::try_from(code)
            .ok()
            .and_then(Status::redirect)
            .ok_or_else(|| FormatError(format!("{code} is not a redirect status")))
    };
    let health_path = text(c.str()?);
    let mount = text(c.str()?);
    let spa_fallback = c.bool()?;
    let redirect_status = status(c.u32()?)?;
    let hsts = c.opt_str()?.map(text);
    let n = c.u32()?;
    let mut default_headers = Vec::new();
    for _ in 0..n {
        default_headers.push((text(c.str()?), text(c.str()?)));
    }
    let error_cache_control = text(c.str()?);
    let presign_seconds = c.u32()?;
    let auth = if c.bool()? {
        let signers = texts(c.strs()?);
        let key_url = text(c.str()?);
        let public = texts(c.strs()?);
        let n = c.u32()?;
        let mut rules = Vec::new();
        for _ in 0..n {
            rules.push(AccessRule {
                path: text(c.str()?),
                emails: texts(c.strs()?),
                email_domains: texts(c.strs()?),
                groups: texts(c.strs()?),
                groups_claim: text(c.str()?),
            });
        }
        Some(Auth {
            signers,
            key_url,
            public,
            rules: Cow::Owned(rules),
            logout_path: c.opt_str()?.map(text),
            logout_redirect: text(c.str()?),
        })
    } else {
        None
    };
    let n = c.u32()?;
    let mut redirects = Vec::new();
    for _ in 0..n {
        let from = text(c.str()?);
        let to = text(c.str()?);
        let action = match (c.u8()?, c.u32()?) {
            (0, code) => Action::Redirect(status(code)?),
            (1, _) => Action::Rewrite,
            (2, _) => Action::RewriteNotFound,
            (k, _) => return Err(FormatError(format!("unknown rule action {k}"))),
        };
        redirects.push(Redirect {
            from,
            to,
            action,
            force: c.bool()?,
        });
    }
    let n = c.u32()?;
    let mut header_rules = Vec::new();
    for _ in 0..n {
        let pattern = text(c.str()?);
        let line = c.u64()? as usize;
        let ops = (0..c.u32()?)
            .map(|_| match c.u8()? {
                0 => Ok(HeaderOp::Set(text(c.str()?), text(c.str()?))),
                1 => Ok(HeaderOp::Detach(text(c.str()?))),
                k => Err(FormatError(format!("unknown header operation {k}"))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        header_rules.push(HeaderRule {
            pattern,
            line,
            ops: Cow::Owned(ops),
        });
    }
    let index = if c.bool()? { Some(c.u32()?) } else { None };
    let settings = Settings {
        options: Options {
            health_path,
            mount,
            spa_fallback,
            redirect_status,
            hsts,
            default_headers: Cow::Owned(default_headers),
            error_cache_control,
            auth,
            presign_seconds,
        },
        redirects,
        header_rules,
        index,
        site_bytes: c.u64()?,
        offloaded_files: c.u32()?,
        segments: c.u32()?,
    };
    if c.pos != c.bytes.len() {
        return Err(FormatError(
            "the settings section has bytes left over".into(),
        ));
    }
    Ok(settings)
}

impl Site {
    /// Checks every record, string, list, route and body: what a site made in memory, and the
    /// bytes a build embeds, go through before they are served, so a malformed index is an
    /// error and never a wrong answer.
    pub fn verify(&self) -> Result<(), FormatError> {
        let bad = |what: String| Err(FormatError(what));
        for k in 0..self.count(Section::Pairs) as u32 {
            if self.pair(k).is_none() {
                return bad(format!("header pair {k} is malformed"));
            }
        }
        let bodies = self.count(Section::Bodies);
        for k in 0..bodies as u32 {
            let Some(body) = self.body(k) else {
                return bad(format!("body {k} lies outside its segment"));
            };
            let json = std::str::from_utf8(body)
                .map_err(|_| FormatError(format!("body {k} is not UTF-8")))?;
            if !json.starts_with('"') || serde_json::from_str::<&RawValue>(json).is_err() {
                return bad(format!("body {k} is not a JSON string"));
            }
        }
        let files = self.files_len();
        for k in 0..files as u32 {
            let Some(file) = self.get_file(k) else {
                return bad(format!("file {k} is malformed"));
            };
            if file.variants.is_empty() {
                return bad(format!("file {} has no variants", file.path));
            }
            for j in 0..file.variants.len() {
                let Some(v) = file.variants.get(j) else {
                    return bad(format!("a variant of {} is malformed", file.path));
                };
                let ok = match v.body {
                    Body::Stored(b) => (b as usize) < bodies,
                    Body::Inflate(from) => file.variants.get(from as usize).is_some_and(|g| {
                        g.encoding == Encoding::Gzip && matches!(g.body, Body::Stored(_))
                    }),
                    Body::Offloaded => v.object.is_some(),
                };
                if !ok {
                    return bad(format!(
                        "a variant of {} names a body that is not there",
                        file.path
                    ));
                }
            }
        }
        let mut last: Option<&str> = None;
        for k in 0..self.routes_len() as u32 {
            let Some((url, route)) = self.route_at(k) else {
                return bad(format!("route {k} is malformed"));
            };
            if last.is_some_and(|l| l >= url) {
                return bad(format!("the routes are not sorted at {url}"));
            }
            last = Some(url);
            if matches!(route, Route::File(f) if f as usize >= files) {
                return bad(format!("{url} leads to a file that is not there"));
            }
            if self.route(url) != Some(route) {
                return bad(format!("{url} is not found through the perfect hash"));
            }
        }
        let mut last: Option<&str> = None;
        for k in 0..self.count(Section::NotFound) as u32 {
            match self.not_found_at(k) {
                Some((dir, f)) if (f as usize) < files && last.is_none_or(|l| l < dir) => {
                    last = Some(dir)
                }
                _ => return bad(format!("404 page entry {k} is malformed or out of order")),
            }
        }
        Ok(())
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
