//! Decides what a request gets. A pure function of the site and the request: no I/O, no JSON, no
//! clock, so every decision is testable on its own, on any site.

use std::borrow::Cow;

use crate::door::Request;
use crate::limits::{self, ResponseLimit};
use crate::negotiate::{self, Choice};
use crate::path::{self, PathError};
use crate::preconditions::{self, Conditions, Validators, Verdict};
use crate::range::{self, Requested};
use crate::rules::{self, apply, HeaderSet};
use crate::site::{Action, File, Route, Site, Status, Variant};

/// The decision for one request.
#[derive(Debug)]
pub enum Outcome<'s> {
    /// Send a file variant with `status` (200, or 404 for an error page; 206 with `range`).
    /// `at`: the headers for the URL asked for, when a rewrite or the SPA fallback serves the
    /// file at a URL whose `_headers` differ from the file's own.
    File {
        file: File<'s>,
        variant: Variant<'s>,
        status: Status,
        range: Option<(u64, u64)>,
        at: Option<Box<HeaderSet>>,
    },
    /// 304 for this variant (`at` as for `File`).
    NotModified {
        file: File<'s>,
        variant: Variant<'s>,
        at: Option<Box<HeaderSet>>,
    },
    /// A file kept in S3: a redirect to the object of this variant (the handler makes the URL,
    /// presigned on a private site).
    Offloaded {
        file: File<'s>,
        variant: Variant<'s>,
    },
    /// 307 to a file's object in S3 (`Offloaded`, its URL made).
    Stored { file: File<'s>, location: String },
    /// 503: the file is kept in S3 and no URL to it could be made.
    StoredUnavailable,
    /// 412.
    PreconditionFailed { file: File<'s> },
    /// 416 for a range past the end of the file.
    RangeNotSatisfiable { file: File<'s> },
    /// 406: no acceptable encoding, or only ones too large for an ALB response.
    NotAcceptable { file: File<'s>, too_large: bool },
    /// A redirect to a path or URL, the query already appended.
    Redirect { status: Status, location: String },
    /// 200 for an ALB health check.
    Health,
    /// 404 with the built-in page (the site has no 404.html for this path).
    NotFound,
    /// 404 for a missing asset (`/app.3f9a.js`): plain text, never an HTML page a script or
    /// stylesheet tag would choke on.
    AssetNotFound,
    /// 405 with `Allow: GET, HEAD`.
    MethodNotAllowed,
    /// 204 to a CORS preflight for a file whose `_headers` allow cross-origin requests.
    Preflight { file: File<'s> },
    /// 400 with the reason.
    BadRequest(Cow<'static, str>),
    /// 414.
    UriTooLong,
    /// 401: a private page and no valid login (the reason is logged, not sent).
    Unauthorized,
    /// 403: a valid login the site's rules refuse.
    Forbidden,
    /// 503: the login could not be checked (keys unavailable); never served unchecked.
    AuthUnavailable,
    /// 302 to `location`, expiring ALB's session cookies (`set_cookies`).
    Logout {
        location: String,
        set_cookies: Vec<String>,
    },
}

/// What led to an outcome: the rule, route or fallback that answered, as `resolve` took it.
/// `site-dev explain` names it; the handler records nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The `_redirects` rule at this index (in file order) matched; a rewrite serves `file`.
    Rule { index: usize, file: Option<u32> },
    /// The file at one of its own URLs.
    File(u32),
    /// The site's own redirect to a canonical URL (clean URLs, trailing slashes).
    Canonical,
    /// No file there: the single-page-app fallback's index.
    Spa(u32),
    /// No file there: the nearest 404 page.
    NotFoundPage(u32),
}

/// Where `resolve` reports each step it takes. `()` keeps nothing: `resolve` passes it, and the
/// calls compile to nothing.
pub trait Trace {
    fn step(&mut self, step: Step);
}

impl Trace for () {
    #[inline(always)]
    fn step(&mut self, _: Step) {}
}

impl Trace for Vec<Step> {
    fn step(&mut self, step: Step) {
        self.push(step);
    }
}

/// Decides the outcome for a request.
pub fn resolve<'s>(site: &'s Site, req: &Request<'_>) -> Outcome<'s> {
    resolve_traced(site, req, &mut ())
}

/// Decides the outcome for a request, reporting the steps to `trace`.
pub fn resolve_traced<'s>(
    site: &'s Site,
    req: &Request<'_>,
    trace: &mut impl Trace,
) -> Outcome<'s> {
    let get = req.method == "GET";
    if !get && req.method != "HEAD" {
        return preflight(site, req).unwrap_or(Outcome::MethodNotAllowed);
    }
    let path = match path::decode(&req.path) {
        Ok(p) => p,
        Err(PathError::TooLong) => return Outcome::UriTooLong,
        Err(PathError::Invalid(why)) => return Outcome::BadRequest(Cow::Borrowed(why)),
    };
    let route = site.route(&path);
    if route.is_none() && *path == *site.options.health_path {
        return Outcome::Health;
    }
    // `_redirects` rules, in file order. A path the site answers shadows them (Netlify's
    // convention), unless the rule is forced with `!`.
    if let Some(outcome) = apply_rules(site, &path, req, get, route.is_some(), trace) {
        return outcome;
    }
    match route {
        Some(Route::File(i)) => {
            trace.step(Step::File(i));
            // Read from its record once: the file is a view, copied, not a reference.
            let file = site.file(i);
            serve(file, req, get, Fit::own(file, req))
        }
        Some(Route::Redirect(to)) => {
            trace.step(Step::Canonical);
            redirect(site, to, &req.query)
        }
        None => not_found(site, &path, req, get, trace),
    }
}

/// A CORS preflight (OPTIONS with Access-Control-Request-Method) for a file whose headers
/// carry Access-Control-Allow-Origin: ALB does not answer preflights, so the function does.
fn preflight<'s>(site: &'s Site, req: &Request<'_>) -> Option<Outcome<'s>> {
    if req.method != "OPTIONS" || req.headers.preflight_method.is_none() {
        return None;
    }
    let path = path::decode(&req.path).ok()?;
    let Route::File(i) = site.route(&path)? else {
        return None;
    };
    let file = site.file(i);
    file.headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("access-control-allow-origin"))
        .then_some(Outcome::Preflight { file })
}

/// The first `_redirects` rule that matches, if any. `shadowed`: the site answers this path,
/// so only forced rules apply.
fn apply_rules<'s>(
    site: &'s Site,
    path: &str,
    req: &Request<'_>,
    get: bool,
    shadowed: bool,
    trace: &mut impl Trace,
) -> Option<Outcome<'s>> {
    let alternate = (path.len() > 1).then(|| path.strip_suffix('/')).flatten();
    for (index, rule) in site.redirects.iter().enumerate() {
        if shadowed && !rule.force {
            continue;
        }
        let Some(captures) = rules::match_pattern(&rule.from, path)
            .or_else(|| alternate.and_then(|p| rules::match_pattern(&rule.from, p)))
        else {
            continue;
        };
        let target = rules::substitute(&rule.to, &captures);
        let status = match rule.action {
            Action::Redirect(status) => status,
            // A rewrite serves the target's file at this URL; its own query is ignored.
            // A target the site lacks (possible only with placeholders; fixed targets are
            // checked at build time) ends the rules: the request is then answered as usual.
            Action::Rewrite | Action::RewriteNotFound => {
                let target_path = target.split('?').next().unwrap_or("");
                let number = site.rewrite_target(target_path)?;
                trace.step(Step::Rule {
                    index,
                    file: Some(number),
                });
                let file = site.file(number);
                let fit = Fit::at(site, file, path, req);
                return Some(match rule.action {
                    Action::Rewrite => serve(file, req, get, fit),
                    _ => error_page(file, req, fit),
                });
            }
        };
        trace.step(Step::Rule { index, file: None });
        let location = rules::safe_location(&target);
        let location = match (req.query.is_empty(), location.contains('?')) {
            (true, _) => location.into_owned(),
            (false, false) => format!("{location}?{}", req.query),
            (false, true) => format!("{location}&{}", req.query),
        };
        return Some(redirect_to(status, location));
    }
    None
}

/// The file a rewrite target serves, following one redirect route (`/index.html` → `/`).
fn redirect<'s>(site: &Site, to: &str, query: &str) -> Outcome<'s> {
    let location = if query.is_empty() {
        to.to_string()
    } else {
        format!("{to}?{query}")
    };
    redirect_to(site.options.redirect_status, location)
}

/// A redirect, unless its `Location` (the request's query included) is longer than any URL a
/// client can send through ALB: then 414, never a header block ALB would refuse.
fn redirect_to<'s>(status: Status, location: String) -> Outcome<'s> {
    if location.len() > limits::MAX_LOCATION {
        return Outcome::UriTooLong;
    }
    Outcome::Redirect { status, location }
}

fn not_found<'s>(
    site: &'s Site,
    path: &str,
    req: &Request<'_>,
    get: bool,
    trace: &mut impl Trace,
) -> Outcome<'s> {
    if site.options.spa_fallback && path::is_extensionless(path) && accepts_html(req) {
        if let Some(index) = site.index() {
            trace.step(Step::Spa(index.number));
            return serve(index, req, get, Fit::at(site, index, path, req));
        }
    }
    if path::is_asset(path) {
        return Outcome::AssetNotFound;
    }
    match site.not_found_page(path) {
        Some(page) => {
            trace.step(Step::NotFoundPage(page.number));
            error_page(page, req, Fit::own(page, req))
        }
        None => Outcome::NotFound,
    }
}

/// The headers a response of a file carries, and what fits one response of the front door
/// the request came through with them.
struct Fit {
    /// The rules of the URL asked for applied to the file's base headers, when they differ
    /// from the file's own; None: the file's own (whose sizes the build checked).
    at: Option<Box<HeaderSet>>,
    /// The JSON size of the largest header block, when it is not the file's own.
    block: Option<u64>,
    /// The door's limit on a whole response.
    limit: ResponseLimit,
    max_range: u64,
}

impl Fit {
    /// The file's own headers.
    fn own(file: File<'_>, req: &Request<'_>) -> Fit {
        let limit = req.door.response_limit();
        Fit {
            at: None,
            block: None,
            limit,
            max_range: limit.max_range(file.header_block),
        }
    }

    /// The file served at `url` by a rewrite or the SPA fallback: the `_headers` of `url`
    /// apply (the URL asked for, as Cloudflare Pages matches rules), over the file's base
    /// headers. A set whose header block ALB would refuse falls back to the file's own.
    fn at(site: &Site, file: File<'_>, url: &str, req: &Request<'_>) -> Fit {
        let Some(base) = &file.base else {
            return Fit::own(file, req);
        };
        let Ok(set) = apply::apply(base.to_set(), &[url], &site.header_rules) else {
            return Fit::own(file, req);
        };
        let block = apply::max_block_len(&set, site.options.hsts.as_deref().unwrap_or(""));
        if block > limits::ALB_HEADER_BLOCK_LIMIT {
            return Fit::own(file, req);
        }
        let limit = req.door.response_limit();
        Fit {
            at: Some(Box::new(set)),
            block: Some(block),
            limit,
            max_range: limit.max_range(block),
        }
    }

    /// Whether a full response with `v` fits one response of the door with these headers.
    fn fits(&self, v: &Variant<'_>) -> bool {
        match self.block {
            None => v.fits.within(self.limit),
            Some(block) => self.limit.holds(block, v.json_len),
        }
    }
}

/// A page of the site served with status 404 (no conditionals, no ranges: it stands in for a
/// resource that does not exist).
fn error_page<'s>(page: File<'s>, req: &Request<'_>, fit: Fit) -> Outcome<'s> {
    match negotiate::choose_fitting(
        page.variants.iter(),
        req.headers.accept_encoding.as_deref(),
        |v| fit.fits(v),
    ) {
        Choice::Variant(variant) => Outcome::File {
            file: page,
            variant,
            status: Status::NotFound,
            range: None,
            at: fit.at,
        },
        _ => Outcome::NotFound,
    }
}

/// A client that sends no Accept, or one naming text/html or */*, navigates to pages.
fn accepts_html(req: &Request<'_>) -> bool {
    match req.headers.accept.as_deref() {
        None => true,
        Some(a) => a.contains("text/html") || a.contains("*/*"),
    }
}

fn serve<'s>(file: File<'s>, req: &Request<'_>, get: bool, fit: Fit) -> Outcome<'s> {
    let h = &req.headers;
    let conditions = Conditions {
        if_match: h.if_match.as_deref(),
        if_unmodified_since: h.if_unmodified_since.as_deref(),
        if_none_match: h.if_none_match.as_deref(),
        if_modified_since: h.if_modified_since.as_deref(),
    };
    // A file too large for this door's responses but kept in S3 too (over an ALB's 1 MB,
    // under Lambda's 6 MB) is sent from S3 as one that is only there.
    if file.offloaded() || (file.in_s3() && !file.variants.iter().any(|v| fit.fits(&v))) {
        return offloaded(file, req, &conditions);
    }
    let identity = file.identity();

    // A single byte range is served from the identity bytes, so only to a client that accepts
    // them (one refusing identity gets a whole, compressed representation instead); If-Range
    // decides whether the range still applies or the whole, current representation is sent.
    if get && negotiate::accepts(h.accept_encoding.as_deref(), identity.encoding) {
        if let Requested::One(spec) = range::parse(h.range.as_deref()) {
            let v = Validators {
                etag: identity.etag,
                modified: file.modified,
            };
            let still_valid = h
                .if_range
                .as_deref()
                .is_none_or(|value| preconditions::if_range_matches(value, v));
            if still_valid {
                return match preconditions::evaluate(&conditions, v) {
                    Verdict::NotModified => Outcome::NotModified {
                        file,
                        variant: identity,
                        at: fit.at,
                    },
                    Verdict::PreconditionFailed => Outcome::PreconditionFailed { file },
                    Verdict::Proceed => match spec.resolve(identity.len, fit.max_range) {
                        Some(r) => Outcome::File {
                            file,
                            variant: identity,
                            status: Status::PartialContent,
                            range: Some(r),
                            at: fit.at,
                        },
                        None => Outcome::RangeNotSatisfiable { file },
                    },
                };
            }
        }
    }

    let variant =
        match negotiate::choose_fitting(file.variants.iter(), h.accept_encoding.as_deref(), |v| {
            fit.fits(v)
        }) {
            Choice::Variant(v) => v,
            Choice::NotAcceptable => {
                return Outcome::NotAcceptable {
                    file,
                    too_large: false,
                }
            }
            Choice::TooLarge => {
                return Outcome::NotAcceptable {
                    file,
                    too_large: true,
                }
            }
        };
    match preconditions::evaluate(
        &conditions,
        Validators {
            etag: variant.etag,
            modified: file.modified,
        },
    ) {
        Verdict::NotModified => Outcome::NotModified {
            file,
            variant,
            at: fit.at,
        },
        Verdict::PreconditionFailed => Outcome::PreconditionFailed { file },
        Verdict::Proceed => Outcome::File {
            file,
            variant,
            status: Status::Ok,
            range: None,
            at: fit.at,
        },
    }
}

/// A file kept in S3 is sent from there: the variant the client takes, or, for a byte range,
/// the identity object (S3 answers the range itself). Conditional requests are answered here,
/// since the build knows every variant's validators.
fn offloaded<'s>(file: File<'s>, req: &Request<'_>, conditions: &Conditions<'_>) -> Outcome<'s> {
    let h = &req.headers;
    let identity = file.identity();
    let ranged = req.method == "GET"
        && h.range.is_some()
        && negotiate::accepts(h.accept_encoding.as_deref(), identity.encoding);
    let variant = if ranged {
        identity
    } else {
        match negotiate::choose_fitting(file.variants.iter(), h.accept_encoding.as_deref(), |_| {
            true
        }) {
            Choice::Variant(v) => v,
            Choice::NotAcceptable | Choice::TooLarge => {
                return Outcome::NotAcceptable {
                    file,
                    too_large: false,
                }
            }
        }
    };
    let validators = Validators {
        etag: variant.etag,
        modified: file.modified,
    };
    match preconditions::evaluate(conditions, validators) {
        Verdict::NotModified => Outcome::NotModified {
            file,
            variant,
            at: None,
        },
        Verdict::PreconditionFailed => Outcome::PreconditionFailed { file },
        Verdict::Proceed => Outcome::Offloaded { file, variant },
    }
}

#[cfg(test)]
mod tests;
