//! The whole function: a site and an ALB event in, an ALB response out. Pure; the shells add I/O
//! and logs.

use std::borrow::Cow;

use crate::auth::{self, Access, Guard, User};
use crate::door::{self, Response};
use crate::offload::Offload;
use crate::render::{self, Context};
use crate::resolve::{self, Outcome};
use crate::site::Site;
use crate::site::{File, Variant};

/// Answers one event (the raw JSON) from a public `site`, with nothing from a shell: the tests'
/// entry point. Never fails: a malformed event gets a 400 response in the mode it came in,
/// because an error here would reach the client as ALB's 502.
pub fn handle_site<'s>(site: &'s Site, event: &str) -> Response<'s> {
    handle_with(site, event, &Shell::default()).0
}

/// The request's method and raw path, and who asked, for the access log ("-" when the event
/// had none).
#[derive(Debug)]
pub struct RequestLine<'a> {
    pub method: Cow<'a, str>,
    pub path: Cow<'a, str>,
    /// The query string as ALB passed it (empty: none).
    pub query: String,
    /// `host`, `user-agent`, the client's IP and ALB's `x-amzn-trace-id`, as sent.
    pub host: Option<Cow<'a, str>>,
    pub user_agent: Option<Cow<'a, str>>,
    pub client_ip: Option<String>,
    pub alb_trace_id: Option<Cow<'a, str>>,
    /// The verified user, on a private site.
    pub user: Option<User>,
    /// Why the login check refused the request (never sent to the client).
    pub refused: Option<String>,
    /// The front door the event came through.
    pub door: door::Door,
    /// What the metrics count the request as, besides its status.
    pub tally: Tally,
}

/// What a request counts as in the metrics (the access line's EMF block), besides its status
/// class: the cases an operator alarms on, which the status alone does not tell apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tally {
    #[default]
    Plain,
    /// Sent to a file kept in S3 (a redirect to the object).
    Offloaded,
    /// Refused by the login check: 401 (no valid login) or 403 (the rules say no).
    LoginRefused,
    /// The login check could not get the keys to verify a login: 503.
    KeysUnavailable,
}

/// What the shell hands the handler besides the event.
#[derive(Clone, Copy, Default)]
pub struct Shell<'a, 'g> {
    /// The login check, on a private site.
    pub guard: Option<&'a Guard<'g>>,
    /// Where the files kept in S3 are (None: the site keeps none, or cannot reach them).
    pub offload: Option<&'a Offload>,
    /// Seconds since the epoch.
    pub now: u64,
}

/// What the log says of a request besides the request itself: who asked, why they were
/// refused, what the metrics count it as.
#[derive(Default)]
struct Verdict {
    user: Option<User>,
    refused: Option<String>,
    tally: Tally,
}

/// Answers one event from `site` with what the shell provides (the login check, the files
/// kept in S3, the time): the shells' entry point. Returns what to log with the response.
/// The steps: parse, unmount, login, decide, send to S3, render.
pub fn handle_with<'s, 'e>(
    site: &'s Site,
    event: &'e str,
    shell: &Shell<'_, '_>,
) -> (Response<'s>, RequestLine<'e>) {
    let mut req = match door::parse_request(event) {
        Ok(req) => req,
        Err(e) => return bad_request(site, e),
    };
    let full_path = req.path.clone();
    let mounted = unmount(&mut req, &site.options.mount, &site.options.health_path);
    let access = match (mounted, shell.guard) {
        (Mounted::Inside, Some(guard)) => {
            auth::check(guard, &site.options.health_path, &req, shell.now)
        }
        // Nothing of the site is there: no login is needed to be told so.
        _ => Access::Public,
    };
    let private = matches!(access, Access::Granted(_));
    let mut verdict = Verdict::default();
    let outcome = match access {
        Access::Public => decide(site, &req, mounted, &mut ()),
        Access::Granted(user) => {
            verdict.user = Some(user);
            decide(site, &req, mounted, &mut ())
        }
        Access::Logout => logout(shell, &req),
        Access::Unauthorized(why) => {
            verdict.refused = Some(why.to_string());
            verdict.tally = Tally::LoginRefused;
            Outcome::Unauthorized
        }
        Access::Forbidden { user, why } => {
            verdict.user = Some(user);
            verdict.refused = Some(why);
            verdict.tally = Tally::LoginRefused;
            Outcome::Forbidden
        }
        Access::Unavailable(why) => {
            verdict.refused = Some(why.to_string());
            verdict.tally = Tally::KeysUnavailable;
            Outcome::AuthUnavailable
        }
    };
    let outcome = match outcome {
        Outcome::Offloaded { file, variant } => stored(file, variant, shell, &mut verdict),
        other => other,
    };
    let cx = Context {
        multi: req.multi,
        door: req.door,
        head: req.method == "HEAD",
        https: req.headers.https(),
        mount: &req.mount,
        private,
    };
    let response = render::render(site, outcome, cx);
    let line = RequestLine {
        client_ip: req.headers.client_ip().map(str::to_string),
        method: req.method,
        path: full_path,
        query: req.query,
        host: req.headers.host,
        user_agent: req.headers.user_agent,
        alb_trace_id: req.headers.amzn_trace_id,
        user: verdict.user,
        refused: verdict.refused,
        door: req.door,
        tally: verdict.tally,
    };
    (response, line)
}

/// A malformed event's 400, in the mode it came in, logged as "-".
fn bad_request<'s, 'e>(site: &'s Site, e: door::EventError) -> (Response<'s>, RequestLine<'e>) {
    let cx = Context {
        multi: e.multi,
        door: e.door,
        head: false,
        https: false,
        mount: "",
        private: false,
    };
    let line = RequestLine {
        method: Cow::Borrowed("-"),
        path: Cow::Borrowed("-"),
        query: String::new(),
        host: None,
        user_agent: None,
        client_ip: None,
        alb_trace_id: None,
        user: None,
        refused: None,
        door: e.door,
        tally: Tally::Plain,
    };
    let response = render::render(site, Outcome::BadRequest(e.message.into()), cx);
    (response, line)
}

/// Logging out: the session's cookies expired, and the browser sent where the settings say.
fn logout<'s>(shell: &Shell<'_, '_>, req: &door::Request<'_>) -> Outcome<'s> {
    let settings = &shell.guard.expect("a logout needs a guard").policy.settings;
    Outcome::Logout {
        location: settings.logout_redirect.to_string(),
        set_cookies: auth::session_cookies_to_expire(
            req.headers.cookie.as_deref(),
            "AWSELBAuthSessionCookie",
        ),
    }
}

/// The redirect to a file kept in S3, or 503 when its URL cannot be made (never a URL that
/// would bypass the login: a private site's are presigned or not given at all).
fn stored<'s>(
    file: File<'s>,
    variant: Variant<'s>,
    shell: &Shell<'_, '_>,
    verdict: &mut Verdict,
) -> Outcome<'s> {
    let Some(key) = &variant.object else {
        return Outcome::StoredUnavailable;
    };
    let Some(offload) = shell.offload else {
        verdict.refused = Some("the file is kept in S3 and SITE_OFFLOAD_URL is not set".into());
        return Outcome::StoredUnavailable;
    };
    if shell.guard.is_some() && !offload.presigns() {
        verdict.refused = Some("a private site's files in S3 need presigned URLs".into());
        return Outcome::StoredUnavailable;
    }
    let now = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(shell.now);
    match offload.url(key, now) {
        Ok(location) => {
            verdict.tally = Tally::Offloaded;
            Outcome::Stored { file, location }
        }
        Err(e) => {
            verdict.refused = Some(e.to_string());
            Outcome::StoredUnavailable
        }
    }
}

/// What the site answers a request it may see, mount included (`resolve` decides under it).
fn decide<'s>(
    site: &'s Site,
    req: &door::Request<'_>,
    mounted: Mounted,
    trace: &mut impl resolve::Trace,
) -> Outcome<'s> {
    match mounted {
        Mounted::Inside => resolve::resolve_traced(site, req, trace),
        Mounted::AtMount => Outcome::Redirect {
            status: site.options.redirect_status,
            location: if req.query.is_empty() {
                "/".to_string()
            } else {
                format!("/?{}", req.query)
            },
        },
        Mounted::Outside => Outcome::NotFound,
    }
}

/// What the site decides for an event, login aside, and how: where the path falls against the
/// site's `mount`, then the steps `resolve` took (`site-dev explain` names them). The same
/// parse, unmount and decision the handler makes.
pub fn explain<'s>(
    site: &'s Site,
    event: &str,
    trace: &mut impl resolve::Trace,
) -> Result<(Mounted, Outcome<'s>), door::EventError> {
    let mut req = door::parse_request(event)?;
    let mounted = unmount(&mut req, &site.options.mount, &site.options.health_path);
    Ok((mounted, decide(site, &req, mounted, trace)))
}

/// Where a request's path is against the site's `mount`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mounted {
    /// Under it (or no mount is set, or it is the health check's path): the rest is the
    /// site's path.
    Inside,
    /// The mount itself without its slash (`/docs`): redirected to `/docs/`, as a folder is,
    /// so the page's relative links resolve.
    AtMount,
    /// Anywhere else: nothing of the site.
    Outside,
}

/// Strips the site's `mount` from the request's path and adds it to the prefix redirects get.
/// The health check's path is answered where ALB sends it, mount or not.
fn unmount(req: &mut door::Request<'_>, mount: &str, health_path: &str) -> Mounted {
    if mount.is_empty() || req.path == health_path {
        return Mounted::Inside;
    }
    match req.path.strip_prefix(mount) {
        Some("") => {
            req.mount.push_str(mount);
            Mounted::AtMount
        }
        Some(rest) if rest.starts_with('/') => {
            let cut = mount.len();
            req.path = match std::mem::take(&mut req.path) {
                Cow::Borrowed(p) => Cow::Borrowed(&p[cut..]),
                Cow::Owned(p) => Cow::Owned(p[cut..].to_string()),
            };
            req.mount.push_str(mount);
            Mounted::Inside
        }
        _ => Mounted::Outside,
    }
}
