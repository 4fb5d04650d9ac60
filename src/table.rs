//! The shape of the embedded site: the types build.rs fills in and the runtime reads.
//!
//! This file is compiled twice: into the library, and into build.rs (through `#[path]`), so the
//! generator and the reader cannot disagree about the table's shape.

/// A content coding the server can send; ordered by preference when q-values and sizes tie.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Encoding {
    /// No content coding.
    Identity,
    /// `gzip`, made at build time at the best level.
    Gzip,
    /// `br`, made at build time at quality 11.
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

/// One encoding of a file.
#[derive(Debug, PartialEq, Eq)]
pub struct Variant {
    /// The content coding of these bytes.
    pub encoding: Encoding,
    /// Strong entity tag, quoted; distinct per encoding because it hashes the encoded bytes.
    pub etag: &'static str,
    /// The body as a complete JSON string literal, quotes and escapes included, made at build
    /// time: UTF-8 text as itself, anything else as standard base64. A response copies it as is.
    pub json: &'static str,
    /// Whether `json` holds base64 (`isBase64Encoded: true`).
    pub base64: bool,
    /// Index of this variant among all variants, for its run-time slot.
    pub id: u32,
    /// Length of the encoded bytes as the client receives them (after ALB decodes base64).
    pub len: u64,
    /// Whether a full response with this variant stays under ALB's 1 MB response limit.
    pub fits: bool,
}

/// A file of the site with everything a response needs, computed at build time.
#[derive(Debug)]
pub struct File {
    /// The file's path in the site, with a leading slash (for logs and tests).
    pub path: &'static str,
    /// `Content-Type`, with `; charset=utf-8` on text types.
    pub content_type: &'static str,
    /// `Cache-Control` after the default policy and `_headers`.
    pub cache_control: &'static str,
    /// `Last-Modified` as an HTTP-date.
    pub last_modified: &'static str,
    /// The same instant in seconds since the epoch, for If-Modified-Since.
    pub modified: u64,
    /// Extra headers (security defaults merged with `_headers` rules), in order.
    pub headers: &'static [(&'static str, &'static str)],
    /// Whether the HSTS header goes out on https requests (configured, and not detached by `_headers`).
    pub hsts: bool,
    /// Identity first, then the compressed variants worth keeping.
    pub variants: &'static [Variant],
}

/// What a URL path leads to.
#[derive(Clone, Copy, Debug)]
pub enum Route {
    /// Serve `FILES[n]`.
    File(u32),
    /// Redirect to this percent-encoded path, or to an absolute URL for a file sent elsewhere
    /// (`limits.too_large = "redirect"`); the query is appended at run time.
    Redirect(&'static str),
}

/// Whether the single-page-app fallback is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spa {
    /// Never fall back to `index.html`.
    Off,
    /// Extension-less GET/HEAD paths that accept HTML get `/index.html` with 200.
    On,
}

/// Server options from the settings file, validated at build time.
#[derive(Debug)]
pub struct Settings {
    /// Path answered with 200 for ALB health checks when no file is there.
    pub health_path: &'static str,
    /// Single-page-app fallback.
    pub spa: Spa,
    /// Status of the redirects the server makes itself (trailing slash, clean URLs).
    pub redirect_status: u16,
    /// `Strict-Transport-Security` value, sent only on requests that came in over https.
    pub hsts: Option<&'static str>,
    /// Headers sent on responses that are not files (redirects, built-in pages).
    pub default_headers: &'static [(&'static str, &'static str)],
    /// `Cache-Control` of 404s and the other answers the server makes itself.
    pub error_cache_control: &'static str,
}

/// A `_redirects` rule, validated at build time.
#[derive(Debug)]
pub struct Redirect {
    /// URL pattern (`/blog/:slug`, `/old/*`).
    pub from: &'static str,
    /// Target path or URL, with placeholders.
    pub to: &'static str,
    /// 301/302/303/307/308 redirect, 200 or 404 rewrite.
    pub status: u16,
    /// Applies even when a file answers the path.
    pub force: bool,
}
