//! Turns an [`Outcome`] into the ALB response: status, headers in order, body as text or base64.

use std::borrow::Cow;

use crate::door::{Response, ResponseBody};
use crate::resolve::Outcome;
use crate::site::{BaseHeaders, Encoding, File, HeaderOp, HeaderSet, Site, Status, Variant};

/// What rendering needs to know about the request besides the outcome.
#[derive(Clone, Copy, Debug)]
pub struct Context<'r> {
    /// Answer in multi-value mode.
    pub multi: bool,
    /// Answer in payload format 2.0 (Function URL, HTTP API).
    pub door: crate::door::Door,
    /// HEAD: the same headers as GET, no body.
    pub head: bool,
    /// The client came over https (`x-forwarded-proto: https`), so HSTS may be sent.
    pub https: bool,
    /// The prefix of the site's paths in `Location`: what the front door stripped from the
    /// request (a REST API's stage) and the site's `mount` (`/prod/docs`), or empty.
    pub mount: &'r str,
    /// The request needed a login: no shared cache may keep the answer, and browsers keep it
    /// per session (the login rides in ALB's cookies).
    pub private: bool,
}

impl Context<'_> {
    /// A `Location` to a path of the site, under the mount: `/docs/` becomes `/prod/docs/`.
    /// Absolute URLs are left as they are.
    fn location<'s>(&self, location: String) -> Cow<'s, str> {
        if self.mount.is_empty() || !location.starts_with('/') || location.starts_with("//") {
            Cow::Owned(location)
        } else {
            Cow::Owned(format!("{}{location}", self.mount))
        }
    }

    /// A `Cache-Control` value as this request may have it: `private` after a login.
    fn cache_control<'s>(&self, value: Cow<'s, str>) -> Cow<'s, str> {
        if self.private {
            Cow::Owned(crate::auth::private_cache_control(&value))
        } else {
            value
        }
    }

    /// The `Vary` of a file kept in several encodings (and per session after a login).
    fn vary(&self) -> Cow<'static, str> {
        Cow::Borrowed(if self.private {
            "Accept-Encoding, Cookie"
        } else {
            "Accept-Encoding"
        })
    }
}

type Headers<'s> = Vec<(&'s str, Cow<'s, str>)>;

const NOT_FOUND_PAGE: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>404 Not Found</title></head>\n<body><h1>404 Not Found</h1><p>There is no page at this address.</p></body></html>\n";

/// Renders the outcome.
pub fn render<'s>(site: &'s Site, outcome: Outcome<'s>, cx: Context<'_>) -> Response<'s> {
    match outcome {
        Outcome::File {
            file,
            variant,
            status,
            range,
            at,
        } => file_response(site, file, variant, status, range, at, cx),
        Outcome::NotModified { file, variant, at } => {
            let mut h: Headers = Vec::with_capacity(4);
            h.push(("ETag", Cow::Borrowed(variant.etag)));
            let cache_control = match at {
                Some(set) => Cow::Owned(set.cache_control),
                None => Cow::Borrowed(file.cache_control),
            };
            if !cache_control.is_empty() {
                h.push(("Cache-Control", cx.cache_control(cache_control)));
            }
            if file.variants.len() > 1 {
                h.push(("Vary", cx.vary()));
            }
            empty(Status::NotModified, h, cx)
        }
        Outcome::PreconditionFailed { file } => {
            let mut h = defaults(site, cx);
            h.push(("ETag", Cow::Borrowed(file.identity().etag)));
            text(
                site,
                Status::PreconditionFailed,
                h,
                "Precondition Failed\n",
                cx,
            )
        }
        Outcome::RangeNotSatisfiable { file } => {
            let mut h = defaults(site, cx);
            h.push((
                "Content-Range",
                Cow::Owned(format!("bytes */{}", file.identity().len)),
            ));
            h.push(("Accept-Ranges", Cow::Borrowed("bytes")));
            text(
                site,
                Status::RangeNotSatisfiable,
                h,
                "Range Not Satisfiable\n",
                cx,
            )
        }
        Outcome::NotAcceptable { file, too_large } => {
            let mut h = defaults(site, cx);
            h.push(("Vary", cx.vary()));
            h.push(("Accept-Ranges", Cow::Borrowed("bytes")));
            let offered: Vec<&str> = file
                .variants
                .iter()
                .filter(|v| v.fits.within(cx.door.response_limit()))
                .map(|v| v.encoding.token())
                .collect();
            let why = if too_large {
                format!("This file is too large to send uncompressed through this front door. Send Accept-Encoding with one of: {}, or request it in parts with a Range header.\n", offered.join(", "))
            } else {
                format!(
                    "None of this file's encodings is acceptable. Available: {}.\n",
                    offered.join(", ")
                )
            };
            text(site, Status::NotAcceptable, h, why, cx)
        }
        Outcome::Stored { file, location } => {
            let mut h = defaults(site, cx);
            h.push(("Location", cx.location(location)));
            // Asked again each time: the object's URL changes with each deploy, and a private
            // site's URL expires.
            h.push(("Cache-Control", cx.cache_control(Cow::Borrowed("no-cache"))));
            if file.variants.len() > 1 {
                h.push(("Vary", cx.vary()));
            }
            empty(Status::TemporaryRedirect, h, cx)
        }
        Outcome::Offloaded { .. } | Outcome::StoredUnavailable => text(
            site,
            Status::ServiceUnavailable,
            defaults(site, cx),
            "Service Unavailable: this file is kept in S3 and cannot be reached now.\n",
            cx,
        ),
        Outcome::Redirect { status, location } => {
            let mut h = defaults(site, cx);
            h.push(("Location", cx.location(location)));
            empty(status, h, cx)
        }
        Outcome::Health => {
            let mut h = vec![("Cache-Control", cx.cache_control(Cow::Borrowed("no-store")))];
            h.extend(defaults(site, cx));
            text(site, Status::Ok, h, "OK\n", cx)
        }
        Outcome::NotFound => {
            let mut h = defaults(site, cx);
            h.insert(
                0,
                ("Content-Type", Cow::Borrowed("text/html; charset=utf-8")),
            );
            h.insert(
                1,
                (
                    "Cache-Control",
                    cx.cache_control(Cow::Borrowed(&site.options.error_cache_control)),
                ),
            );
            body(Status::NotFound, h, NOT_FOUND_PAGE, cx)
        }
        Outcome::AssetNotFound => text(
            site,
            Status::NotFound,
            defaults(site, cx),
            "404 Not Found\n",
            cx,
        ),
        Outcome::MethodNotAllowed => {
            let mut h = defaults(site, cx);
            h.push(("Allow", Cow::Borrowed("GET, HEAD")));
            text(
                site,
                Status::MethodNotAllowed,
                h,
                "Method Not Allowed\n",
                cx,
            )
        }
        Outcome::BadRequest(why) => text(
            site,
            Status::BadRequest,
            defaults(site, cx),
            format!("Bad Request: {why}\n"),
            cx,
        ),
        Outcome::Unauthorized => login_page(
            site,
            Status::Unauthorized,
            "You need to log in to see this page. Reload it to log in again.",
            cx,
        ),
        Outcome::Forbidden => login_page(
            site,
            Status::Forbidden,
            "Your account is not allowed to see this page.",
            cx,
        ),
        Outcome::AuthUnavailable => login_page(
            site,
            Status::ServiceUnavailable,
            "Your login cannot be checked right now. Please try again in a minute.",
            cx,
        ),
        Outcome::Logout {
            location,
            set_cookies,
        } => {
            let mut h = vec![("Cache-Control", Cow::Borrowed("no-store"))];
            h.extend(defaults(site, cx));
            h.push(("Location", cx.location(location)));
            // One Set-Cookie per shard; single-value mode can carry only the first.
            let keep = if cx.multi || cx.door == crate::door::Door::V2 {
                set_cookies.len()
            } else {
                1
            };
            for c in set_cookies.into_iter().take(keep) {
                h.push(("Set-Cookie", Cow::Owned(c)));
            }
            empty(Status::Found, h, cx)
        }
        Outcome::Preflight { file } => {
            let mut h = defaults(site, cx);
            let own = |name: &str| {
                file.headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| Cow::Borrowed(v))
            };
            // The path's own CORS headers from `_headers`, with defaults for the ones it leaves
            // out: a static site answers GET and HEAD, and a day is a common preflight cache.
            for (name, default) in [
                ("Access-Control-Allow-Origin", None),
                ("Access-Control-Allow-Methods", Some("GET, HEAD")),
                ("Access-Control-Allow-Headers", None),
                ("Access-Control-Max-Age", Some("86400")),
                ("Access-Control-Allow-Credentials", None),
            ] {
                if let Some(v) = own(name).or(default.map(Cow::Borrowed)) {
                    h.push((name, v));
                }
            }
            h.push(("Cache-Control", cx.cache_control(Cow::Borrowed("no-store"))));
            empty(Status::NoContent, h, cx)
        }
        Outcome::UriTooLong => text(
            site,
            Status::UriTooLong,
            defaults(site, cx),
            "URI Too Long\n",
            cx,
        ),
    }
}

/// The page of a refused login: plain, never cached, the reason in the log rather than here.
fn login_page<'s>(site: &'s Site, status: Status, message: &str, cx: Context<'_>) -> Response<'s> {
    let mut h = vec![
        ("Content-Type", Cow::Borrowed("text/html; charset=utf-8")),
        ("Cache-Control", Cow::Borrowed("no-store")),
    ];
    h.extend(defaults(site, cx));
    let line = status.line();
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{line}</title></head>\n<body><h1>{line}</h1><p>{message}</p></body></html>\n"
    );
    body(status, h, page, cx)
}

/// The security headers for responses that are not files, plus HSTS over https.
fn defaults<'s>(site: &'s Site, cx: Context<'_>) -> Headers<'s> {
    let mut h: Headers = site
        .options
        .default_headers
        .iter()
        .map(|(n, v)| (n.as_ref(), Cow::Borrowed(v.as_ref())))
        .collect();
    if cx.https {
        if let Some(v) = &site.options.hsts {
            h.push(("Strict-Transport-Security", Cow::Borrowed(v.as_ref())));
        }
    }
    h
}

fn text<'s>(
    site: &'s Site,
    status: Status,
    mut h: Headers<'s>,
    msg: impl Into<Cow<'s, str>>,
    cx: Context<'_>,
) -> Response<'s> {
    h.insert(
        0,
        ("Content-Type", Cow::Borrowed("text/plain; charset=utf-8")),
    );
    if !h.iter().any(|(n, _)| *n == "Cache-Control") {
        h.insert(
            1,
            (
                "Cache-Control",
                cx.cache_control(Cow::Borrowed(&site.options.error_cache_control)),
            ),
        );
    }
    body(status, h, msg, cx)
}

fn body<'s>(
    status: Status,
    headers: Headers<'s>,
    msg: impl Into<Cow<'s, str>>,
    cx: Context<'_>,
) -> Response<'s> {
    Response {
        status,
        headers: for_session(headers, cx),
        body: if cx.head {
            ResponseBody::EMPTY
        } else {
            ResponseBody::Text(msg.into())
        },
        base64: false,
        multi: cx.multi,
        door: cx.door,
    }
}

fn empty<'s>(status: Status, headers: Headers<'s>, cx: Context<'_>) -> Response<'s> {
    Response {
        status,
        headers: for_session(headers, cx),
        body: ResponseBody::EMPTY,
        base64: false,
        multi: cx.multi,
        door: cx.door,
    }
}

/// After a login, what a response that has neither still needs: `Cache-Control: private` and
/// `Vary: Cookie` (those it has were made private as they were written).
fn for_session<'s>(mut h: Headers<'s>, cx: Context<'_>) -> Headers<'s> {
    if cx.private {
        if !h
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("Cache-Control"))
        {
            h.push(("Cache-Control", Cow::Borrowed("private")));
        }
        // The only Vary is the server's own: `_headers` cannot set one.
        if !h.iter().any(|(n, _)| n.eq_ignore_ascii_case("Vary")) {
            h.push(("Vary", Cow::Borrowed("Cookie")));
        }
    }
    h
}

/// A file's headers as a response sends them: its own, or those of the URL it is served at.
struct FileHeaders<'s> {
    content_type: Cow<'s, str>,
    cache_control: Cow<'s, str>,
    headers: Headers<'s>,
    hsts: bool,
}

impl<'s> FileHeaders<'s> {
    fn of(site: &'s Site, file: File<'s>, at: Option<Box<HeaderSet>>) -> FileHeaders<'s> {
        match (at, file.base) {
            (Some(set), Some(base)) => {
                let set = *set;
                FileHeaders {
                    content_type: Cow::Owned(set.content_type),
                    cache_control: Cow::Owned(set.cache_control),
                    headers: set
                        .headers
                        .into_iter()
                        .filter_map(|(n, v)| Some((site_name(site, base, &n)?, Cow::Owned(v))))
                        .collect(),
                    hsts: set.hsts,
                }
            }
            _ => FileHeaders {
                content_type: Cow::Borrowed(file.content_type),
                cache_control: Cow::Borrowed(file.cache_control),
                headers: file
                    .headers
                    .iter()
                    .map(|(n, v)| (n, Cow::Borrowed(v)))
                    .collect(),
                hsts: file.hsts,
            },
        }
    }
}

/// The site's own copy of a header name from a file's base headers or a `_headers` rule
/// (where every name of a rule-applied set comes from), so the response can borrow it.
fn site_name<'s>(site: &'s Site, base: BaseHeaders<'s>, name: &str) -> Option<&'s str> {
    base.headers
        .iter()
        .map(|(n, _)| n)
        .chain(site.header_rules.iter().flat_map(|r| {
            r.ops.iter().map(|op| match op {
                HeaderOp::Set(n, _) | HeaderOp::Detach(n) => n.as_ref(),
            })
        }))
        .find(|n| *n == name)
}

fn file_response<'s>(
    site: &'s Site,
    file: File<'s>,
    variant: Variant<'s>,
    status: Status,
    range: Option<(u64, u64)>,
    at: Option<Box<HeaderSet>>,
    cx: Context<'_>,
) -> Response<'s> {
    let own = FileHeaders::of(site, file, at);
    let mut h: Headers = Vec::with_capacity(12 + own.headers.len());
    h.push(("Content-Type", own.content_type));
    if !own.cache_control.is_empty() {
        h.push(("Cache-Control", cx.cache_control(own.cache_control)));
    }
    h.push(("ETag", Cow::Borrowed(variant.etag)));
    h.push(("Last-Modified", Cow::Borrowed(file.last_modified)));
    if file.variants.len() > 1 {
        h.push(("Vary", cx.vary()));
    }
    if variant.encoding != Encoding::Identity {
        h.push(("Content-Encoding", Cow::Borrowed(variant.encoding.token())));
    }
    if status != Status::NotFound {
        h.push(("Accept-Ranges", Cow::Borrowed("bytes")));
    }
    if let Some((start, end)) = range {
        h.push((
            "Content-Range",
            Cow::Owned(format!("bytes {start}-{end}/{}", variant.len)),
        ));
    }
    h.extend(own.headers);
    if cx.https && own.hsts {
        if let Some(v) = &site.options.hsts {
            h.push(("Strict-Transport-Security", Cow::Borrowed(v.as_ref())));
        }
    }
    if cx.head {
        return empty(status, h, cx);
    }
    let (body, base64) = match (range, site.raw_body(&variant)) {
        (None, Some(json)) => (
            ResponseBody::Raw {
                json,
                len: variant.len,
            },
            variant.base64,
        ),
        (Some((s, e)), Some(_)) if variant.base64 => (
            ResponseBody::Text(Cow::Owned(slice_base64(site, variant, s, e))),
            true,
        ),
        _ => {
            let Some(bytes) = crate::body::bytes(site, file, variant) else {
                return text(
                    site,
                    Status::ServiceUnavailable,
                    defaults(site, cx),
                    "Service Unavailable: this file cannot be read from the package.\n",
                    cx,
                );
            };
            match range {
                Some((s, e)) => {
                    let part = bytes.get(s as usize..=e as usize).unwrap_or(&[]);
                    (ResponseBody::Base64(Cow::Owned(part.to_vec())), true)
                }
                None if !variant.base64 => match String::from_utf8(bytes) {
                    Ok(t) => (ResponseBody::Text(Cow::Owned(t)), false),
                    Err(e) => (ResponseBody::Base64(Cow::Owned(e.into_bytes())), true),
                },
                None => (ResponseBody::Base64(Cow::Owned(bytes)), true),
            }
        }
    };
    Response {
        status,
        headers: for_session(h, cx),
        body,
        base64,
        multi: cx.multi,
        door: cx.door,
    }
}

/// Bytes `start..=end` of a variant stored as base64, as base64: only the 4-character groups
/// that hold the range are decoded, so a range of a large file costs the range, not the file.
fn slice_base64(site: &Site, variant: Variant<'_>, start: u64, end: u64) -> String {
    use base64::Engine;
    let (start, end) = (start as usize, end as usize);
    // The literal is `"<base64>"`: base64 needs no JSON escapes, so strip the quotes.
    let s = site.body_json(&variant).unwrap_or("\"\"").as_bytes();
    let s = &s[1..s.len().saturating_sub(1)];
    let first_group = start / 3;
    let last_group = end / 3;
    let from = (first_group * 4).min(s.len());
    let to = ((last_group + 1) * 4).min(s.len());
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&s[from..to])
        .unwrap_or_default();
    let skip = start - first_group * 3;
    let take = end - start + 1;
    base64::engine::general_purpose::STANDARD.encode(bytes.get(skip..skip + take).unwrap_or(&[]))
}

#[cfg(test)]
mod tests;
