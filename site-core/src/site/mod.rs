//! The site as a value: every file with its variants and headers, the URL routes, the
//! `_redirects` rules and the run-time options. The server answers from a `&Site`.
//!
//! A site is bytes in one format ([`crate::data`]), made by the planner (`plan::pack`) and read
//! here through views: the binary embeds them with `include_bytes!` and borrows them, tests and
//! the dev tools own them; both go through the same [`Site`]. Files, variants and routes are
//! read from their records when asked for, so nothing built at start-up grows with the site;
//! the settings and rules (sized by the settings file, not the files) are decoded once.
//!
//! The types are here; reading them from the bytes is in the child modules: `open` (a site
//! from its bytes), `records` (the index's records), `files`, `routes`, `bodies`, `settings`
//! (the settings section) and `verify` (the check of a site whole).

mod bodies;
mod files;
mod open;
mod records;
mod routes;
mod settings;
mod verify;

use std::borrow::Cow;
use std::sync::OnceLock;

use serde_json::value::RawValue;

use crate::data;
pub use crate::data::FormatError;

pub use crate::auth::{AccessRule, Auth};
pub use crate::limits::Fits;
pub use crate::rules::{HeaderOp, HeaderRule, HeaderSet};
pub use crate::status::Status;

pub use bodies::{base64_json_len, body_bytes};

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
