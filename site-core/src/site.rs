//! The site as a value: every file with its variants and headers, the URL routes, the
//! `_redirects` rules and the run-time options. The server answers from a `&Site`.
//!
//! A site is made two ways with the same types: at build time, generated as a `static` whose
//! fields all borrow `'static` data (nothing is done at start-up), and in memory, owned, from a
//! folder through the same planner (tests, the dev tools). Strings and lists are therefore
//! `Cow<'static, _>`: borrowed in the generated table, owned in memory.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::value::RawValue;

pub use crate::auth::{AccessRule, Auth};
pub use crate::limits::Fits;
pub use crate::rules::{HeaderOp, HeaderRule, HeaderSet};
pub use crate::status::Status;

/// What marks, in the built binary, the one line of JSON a deploy reads without running it
/// (`health_path`, `files`, `site_bytes`, `most_set_cookies`).
pub const DEPLOY_INFO_MARKER: &str = "alb-static-site-deploy-info ";

/// Text of a site: `'static` in the generated table, owned in memory.
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
#[derive(Clone, Debug)]
pub enum Body {
    /// Embedded at build time (identical bodies share one); checked as JSON on first use, in
    /// the site's slot `slot`.
    Embedded { json: &'static str, slot: u32 },
    /// Planned in memory, checked when it was made.
    Owned(Box<RawValue>),
    /// Not stored: the identity of a file with a gzip variant, made when a client asks for it
    /// (no compression accepted, or a byte range) by inflating the variant at this index.
    Inflate(u8),
    /// Left out of the package (`limits.too_large = "s3"`): only in S3, under the variant's
    /// `object` key.
    Offloaded,
}

/// Two bodies are equal when they are stored the same way with the same literal.
impl PartialEq for Body {
    fn eq(&self, other: &Body) -> bool {
        match (self, other) {
            (Body::Inflate(a), Body::Inflate(b)) => a == b,
            (Body::Offloaded, Body::Offloaded) => true,
            _ => self.json().is_some() && self.json() == other.json(),
        }
    }
}

impl Eq for Body {}

impl Body {
    /// The literal's text, for a stored body.
    pub fn json(&self) -> Option<&str> {
        match self {
            Body::Embedded { json, .. } => Some(json),
            Body::Owned(raw) => Some(raw.get()),
            Body::Inflate(_) | Body::Offloaded => None,
        }
    }
}

/// One encoding of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    /// The content coding of these bytes.
    pub encoding: Encoding,
    /// Strong entity tag, quoted; distinct per encoding because it hashes the encoded bytes.
    pub etag: Text,
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
    pub object: Option<Text>,
}

/// A file of the site with everything a response needs, computed at build time.
#[derive(Clone, Debug)]
pub struct File {
    /// The file's path in the site, with a leading slash (for logs and tests).
    pub path: Text,
    /// `Content-Type`, with `; charset=utf-8` on text types.
    pub content_type: Text,
    /// `Cache-Control` after the default policy and `_headers` (empty: none is sent).
    pub cache_control: Text,
    /// `Last-Modified` as an HTTP-date.
    pub last_modified: Text,
    /// The same instant in seconds since the epoch, for If-Modified-Since.
    pub modified: u64,
    /// Extra headers (security defaults merged with `_headers` rules), in order.
    pub headers: Cow<'static, [(Text, Text)]>,
    /// Whether the HSTS header goes out on https requests (configured, and not detached by `_headers`).
    pub hsts: bool,
    /// The JSON size of the largest header block a response of this file carries, which
    /// with the door's limit sets the most bytes one 206 of it may carry.
    pub header_block: u64,
    /// Identity first, then the compressed variants worth keeping.
    pub variants: Cow<'static, [Variant]>,
    /// The headers before `_headers`, kept when a rewrite or the SPA fallback may serve this
    /// file at a URL of its own, whose rules then apply instead.
    pub base: Option<BaseHeaders>,
}

/// A file's headers before `_headers` (type, cache policy, security defaults, HSTS).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseHeaders {
    pub content_type: Text,
    pub cache_control: Text,
    pub headers: Cow<'static, [(Text, Text)]>,
    pub hsts: bool,
}

impl BaseHeaders {
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

impl File {
    /// The file's own bytes, uncompressed: the variant ranges and validators refer to.
    pub fn identity(&self) -> &Variant {
        &self.variants[0]
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

/// What a URL path leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// Serve `files[n]`.
    File(u32),
    /// Redirect to this percent-encoded path, or to an absolute URL for a file sent elsewhere
    /// (`limits.too_large = "redirect"`); the query is appended at run time.
    Redirect(Text),
}

/// The URL paths of the site, found in O(1) either way.
#[derive(Debug)]
pub enum Routes {
    /// A perfect hash made at build time into a table of routes in byte order.
    Embedded {
        index: &'static phf::Map<&'static str, u32>,
        table: &'static [(&'static str, Route)],
    },
    /// A hash map, for a site planned in memory.
    Owned(HashMap<String, Route>),
}

impl Routes {
    /// What the decoded URL path leads to, if anything.
    pub fn get(&self, path: &str) -> Option<&Route> {
        match self {
            Routes::Embedded { index, table } => index
                .get(path)
                .and_then(|&slot| table.get(slot as usize))
                .map(|(_, route)| route),
            Routes::Owned(map) => map.get(path),
        }
    }

    /// Every URL path and its route, in byte order (for listings and tools; not per request).
    pub fn sorted(&self) -> Vec<(&str, &Route)> {
        let mut all: Vec<(&str, &Route)> = match self {
            Routes::Embedded { table, .. } => table.iter().map(|(u, r)| (*u, r)).collect(),
            Routes::Owned(map) => map.iter().map(|(u, r)| (u.as_str(), r)).collect(),
        };
        all.sort_by(|a, b| a.0.cmp(b.0));
        all
    }

    pub fn len(&self) -> usize {
        match self {
            Routes::Embedded { table, .. } => table.len(),
            Routes::Owned(map) => map.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

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

/// The whole site.
#[derive(Debug)]
pub struct Site {
    pub files: Cow<'static, [File]>,
    pub routes: Routes,
    /// `_redirects`, in file order.
    pub redirects: Cow<'static, [Redirect]>,
    /// `_headers`, in file order, kept when a rewrite or the SPA fallback may serve a file at
    /// another URL (empty otherwise: every file's own headers are then final).
    pub header_rules: Cow<'static, [HeaderRule]>,
    /// Folders with a `404.html` (`/`, `/docs/`), sorted, and the index of that file.
    pub not_found_pages: Cow<'static, [(Text, u32)]>,
    /// The top-level `index.html`, for the single-page-app fallback.
    pub index: Option<u32>,
    pub options: Options,
    /// The files' own bytes in all (identity variants).
    pub site_bytes: u64,
    /// How many files are in S3 (only there, or also in the package for the doors that take
    /// them whole): the function needs to know where S3 is.
    pub offloaded_files: u32,
    /// One slot per embedded body for it as a checked `&RawValue`, filled on first use
    /// (checking a literal once lets every later response copy it without escaping).
    pub raw_slots: &'static [OnceLock<Option<&'static RawValue>>],
}

impl Site {
    /// What the decoded URL path leads to, if anything.
    pub fn route(&self, path: &str) -> Option<&Route> {
        self.routes.get(path)
    }

    /// The file at `files[index]`.
    pub fn file(&self, index: u32) -> &File {
        &self.files[index as usize]
    }

    /// The nearest `404.html` at or above the folder of `path` (Cloudflare Pages' rule).
    pub fn not_found_page(&self, path: &str) -> Option<&File> {
        let mut dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        loop {
            if let Ok(i) = self
                .not_found_pages
                .binary_search_by(|(d, _)| d.as_ref().cmp(dir))
            {
                return Some(self.file(self.not_found_pages[i].1));
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
    pub fn index(&self) -> Option<&File> {
        self.index.map(|i| self.file(i))
    }

    /// The variant's body as raw JSON (a string literal), or None when it is not stored (made
    /// per request, or in S3) or were ever not valid JSON (the planner writes it with
    /// serde_json, so it is; the caller then decodes it another way).
    pub fn raw_body<'s>(&'s self, v: &'s Variant) -> Option<&'s RawValue> {
        match &v.body {
            Body::Owned(raw) => Some(raw),
            Body::Embedded { json, slot } => *self
                .raw_slots
                .get(*slot as usize)?
                .get_or_init(|| serde_json::from_str::<&'static RawValue>(json).ok()),
            Body::Inflate(_) | Body::Offloaded => None,
        }
    }

    /// The number of variants of every file.
    pub fn variant_count(&self) -> usize {
        self.files.iter().map(|f| f.variants.len()).sum()
    }
}

/// The bytes of a stored body (decoded from its JSON literal); None for one not stored.
pub fn body_bytes(v: &Variant) -> Option<Vec<u8>> {
    use base64::Engine;
    let s = serde_json::from_str::<String>(v.body.json()?).ok()?;
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
