//! Private sites: whether a request may be answered, from the login ALB verified and signed
//! (`x-amzn-oidc-data`). Pure: the keys are handed in ([`KeyStore`]) and the time is a number,
//! so every decision is tested with keys made in the test; the shell fetches keys and reads the
//! clock. Nothing here fails open: a missing, malformed, forged or expired token is a 401, a
//! user the rules refuse a 403, and keys that cannot be had a 503.

mod keys;
mod policy;
mod token;

pub use keys::{KeyError, KeyStore, PublicKey};
pub use policy::{Policy, PolicyError};
pub use token::{verify, Claims, TokenError, CLOCK_SKEW, MAX_TOKEN_LEN};

use crate::door::Request;
use crate::path;
use crate::rules::match_pattern;

/// Everything the check needs that is not the request: the settings and the keys.
pub struct Guard<'a> {
    pub policy: &'a Policy,
    pub keys: &'a dyn KeyStore,
}

/// The verified user, for the access log (never the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub sub: String,
    pub email: Option<String>,
}

/// What the login check decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// A public path (or the health path): answered as for anyone.
    Public,
    /// A verified user the rules allow: answered, and never cached by shared caches.
    Granted(User),
    /// The logout path: expire ALB's session cookies and send the browser on.
    Logout,
    /// No valid login: 401.
    Unauthorized(TokenError),
    /// A valid login the rules refuse: 403.
    Forbidden { user: User, why: String },
    /// The keys could not be had: 503, failing closed.
    Unavailable(TokenError),
}

/// Decides whether `req` may be answered, at `now` (seconds since the epoch).
pub fn check(guard: &Guard<'_>, health_path: &str, req: &Request<'_>, now: u64) -> Access {
    let policy = guard.policy;
    let settings = &policy.settings;
    // The decoded path, as resolve serves it; one that does not decode is private (resolve
    // answers it with 400 once logged in).
    let decoded = path::decode(&req.path).ok();
    let candidates: Vec<&str> = match decoded.as_deref() {
        Some(p) => {
            let mut v = vec![p];
            if let Some(trimmed) = p.strip_suffix('/').filter(|t| !t.is_empty()) {
                v.push(trimmed);
            }
            v
        }
        None => Vec::new(),
    };
    let get = req.method == "GET" || req.method == "HEAD";
    if let (Some(logout), Some(p)) = (&settings.logout_path, decoded.as_deref()) {
        if get && p == logout.as_ref() {
            return Access::Logout;
        }
    }
    if decoded.as_deref() == Some(health_path)
        || candidates.iter().any(|p| {
            settings
                .public
                .iter()
                .any(|pattern| match_pattern(pattern, p).is_some())
        })
    {
        return Access::Public;
    }
    let Some(token) = req.headers.oidc_data.as_deref() else {
        return Access::Unauthorized(TokenError::Missing);
    };
    let claims = match verify(token, &policy.signers, guard.keys, now) {
        Ok(claims) => claims,
        Err(e @ TokenError::KeysUnavailable(_)) => return Access::Unavailable(e),
        Err(e) => return Access::Unauthorized(e),
    };
    if let Some(identity) = req.headers.oidc_identity.as_deref() {
        if identity != claims.sub {
            return Access::Unauthorized(TokenError::IdentityMismatch);
        }
    }
    let user = User {
        sub: claims.sub.clone(),
        email: claims.email.clone(),
    };
    let rule = candidates.first().and_then(|p| {
        settings
            .rules
            .iter()
            .find(|r| match_pattern(&r.path, p).is_some())
    });
    match rule.map(|r| policy::allows(r, &claims)) {
        Some(Err(why)) => Access::Forbidden { user, why },
        None | Some(Ok(())) => Access::Granted(user),
    }
}

/// The `Cache-Control` of a response that needed a login: `private` (never `public` or
/// `immutable`), keeping the other directives (`no-cache`, `max-age`).
pub fn private_cache_control(value: &str) -> String {
    let mut out = vec!["private"];
    for d in value.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let name = d.split('=').next().unwrap_or("").trim();
        if !["public", "private", "immutable", "s-maxage"]
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n))
        {
            out.push(d);
        }
    }
    out.join(", ")
}

/// The names of ALB's session cookies to expire on logout: every shard the browser sent, and
/// at least the first four (ALB shards a large session over `-0`, `-1`, ...).
pub fn session_cookies_to_expire(cookie_header: Option<&str>, name: &str) -> Vec<String> {
    let mut shards: Vec<u32> = (0..4).collect();
    for pair in cookie_header.unwrap_or("").split([';', ',']) {
        let cookie = pair.split('=').next().unwrap_or("").trim();
        if let Some(n) = cookie
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('-'))
            .and_then(|n| n.parse::<u32>().ok())
        {
            if n < 64 && !shards.contains(&n) {
                shards.push(n);
            }
        }
    }
    shards.sort_unstable();
    shards
        .into_iter()
        .map(|n| {
            format!(
                "{name}-{n}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; HttpOnly"
            )
        })
        .collect()
}
