//! ALB's `authenticate-oidc` action, played locally (`--login`): a request without a session
//! is sent to a small login form (where ALB would send it to the IdP); a logged-in one reaches
//! the function with `x-amzn-oidc-data` signed by local-alb's own P-256 key in ALB's exact
//! format, `x-amzn-oidc-identity` and `x-amzn-oidc-accesstoken`, whatever the client sent in
//! their place. The public key is served at [`KEYS_PATH`]`{kid}`, where the function's
//! `SITE_AUTH_KEY_URL` points, so the function verifies for real.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;

use hyper::body::Bytes;
use hyper::header::{
    HeaderName, HeaderValue, CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE,
};
use hyper::{HeaderMap, Method, Response, StatusCode};

use crate::kit::login::{user_claims, AlbSigner, LOCAL_SIGNER};
use crate::reply::Body;

/// Where local-alb serves its public key (on its own listener).
pub const KEYS_PATH: &str = "/_local-alb/keys/";
/// The login form (ALB would redirect to the IdP instead).
pub const LOGIN_PATH: &str = "/_local-alb/login";
/// ALB's session cookie (the first shard; local sessions are small).
pub const SESSION_COOKIE: &str = "AWSELBAuthSessionCookie-0";

/// A user as the IdP describes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalUser {
    pub email: String,
    pub groups: Vec<String>,
}

impl LocalUser {
    /// `EMAIL` or `EMAIL:GROUP,GROUP`.
    pub fn parse(spec: &str) -> Result<LocalUser, String> {
        let (email, groups) = spec.split_once(':').unwrap_or((spec, ""));
        let email = email.trim();
        if !email.contains('@') || email.contains(char::is_whitespace) {
            return Err(format!("{spec:?} is not EMAIL or EMAIL:GROUP,GROUP"));
        }
        Ok(LocalUser {
            email: email.to_string(),
            groups: groups
                .split(',')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_string)
                .collect(),
        })
    }
}

pub struct Login {
    pub signer: AlbSigner,
    /// `--login-as`: every request is this user's, no form.
    pub everyone: Option<LocalUser>,
    sessions: Mutex<HashMap<String, LocalUser>>,
}

/// What the login step decided for a request.
pub enum Step {
    /// Answer this, without calling the function.
    Answer(Response<Body>),
    /// Forward to the function with these headers in place of any the client sent.
    Forward(Vec<(HeaderName, HeaderValue)>),
}

impl Login {
    pub fn new(everyone: Option<LocalUser>) -> std::io::Result<Login> {
        Ok(Login {
            signer: AlbSigner::random(&random_hex(16)?, LOCAL_SIGNER)?,
            everyone,
            sessions: Mutex::new(HashMap::new()),
        })
    }

    /// The environment that points the function at this stand-in's key and signer.
    pub fn function_env(&self, listen_port: u16) -> Vec<(String, String)> {
        vec![
            ("SITE_AUTH_SIGNER".into(), self.signer.signer.clone()),
            (
                "SITE_AUTH_KEY_URL".into(),
                format!("http://127.0.0.1:{listen_port}{KEYS_PATH}{{kid}}"),
            ),
        ]
    }

    pub fn step(
        &self,
        method: &Method,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Step {
        if let Some(kid) = path.strip_prefix(KEYS_PATH) {
            return Step::Answer(if kid == self.signer.kid {
                page(
                    StatusCode::OK,
                    "application/x-pem-file",
                    self.signer.public_pem(),
                )
            } else {
                page(StatusCode::NOT_FOUND, "text/plain", "no such key\n".into())
            });
        }
        if path == LOGIN_PATH {
            return Step::Answer(self.login_page(method, query, body));
        }
        let user = match (&self.everyone, session_of(headers)) {
            (Some(user), _) => Some(user.clone()),
            (None, Some(id)) => self
                .sessions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&id)
                .cloned(),
            (None, None) => None,
        };
        let Some(user) = user else {
            let back = match query {
                Some(q) => format!("{path}?{q}"),
                None => path.to_string(),
            };
            let mut r = page(StatusCode::FOUND, "text/plain", "log in first\n".into());
            r.headers_mut().insert(
                LOCATION,
                header_value(&format!(
                    "{LOGIN_PATH}?redirect={}",
                    encode_component(&back)
                )),
            );
            return Step::Answer(r);
        };
        let exp = crate::ids::epoch_millis() / 1000 + 120;
        let groups: Vec<&str> = user.groups.iter().map(String::as_str).collect();
        let claims = user_claims(&user.email, &groups, exp);
        let sub = claims["sub"].as_str().unwrap_or_default().to_string();
        Step::Forward(vec![
            (
                HeaderName::from_static("x-amzn-oidc-data"),
                header_value(&self.signer.token(&claims, exp)),
            ),
            (
                HeaderName::from_static("x-amzn-oidc-identity"),
                header_value(&sub),
            ),
            (
                HeaderName::from_static("x-amzn-oidc-accesstoken"),
                HeaderValue::from_static("local-alb-access-token"),
            ),
        ])
    }

    fn login_page(&self, method: &Method, query: Option<&str>, body: &[u8]) -> Response<Body> {
        if method == Method::POST {
            let form = form_pairs(&String::from_utf8_lossy(body));
            let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            let spec = match get("groups").filter(|g| !g.trim().is_empty()) {
                Some(g) => format!("{}:{g}", get("email").unwrap_or_default()),
                None => get("email").unwrap_or_default().to_string(),
            };
            let Ok(user) = LocalUser::parse(&spec) else {
                return page(
                    StatusCode::BAD_REQUEST,
                    "text/plain; charset=utf-8",
                    "an email address is needed\n".into(),
                );
            };
            let Ok(id) = random_hex(16) else {
                return page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "text/plain",
                    "no randomness\n".into(),
                );
            };
            self.sessions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(id.clone(), user);
            let mut r = page(StatusCode::FOUND, "text/plain", "logged in\n".into());
            r.headers_mut()
                .insert(LOCATION, header_value(&safe_redirect(get("redirect"))));
            r.headers_mut().insert(
                SET_COOKIE,
                header_value(&format!(
                    "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax"
                )),
            );
            return r;
        }
        let redirect = form_pairs(query.unwrap_or(""))
            .into_iter()
            .find(|(k, _)| k == "redirect")
            .map(|(_, v)| v);
        let redirect = html_escape(&safe_redirect(redirect.as_deref()));
        page(
            StatusCode::OK,
            "text/html; charset=utf-8",
            format!(
                "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Log in (local-alb)</title></head>\n<body><h1>Log in</h1><p>local-alb stands in for the load balancer's identity provider.</p>\n<form method=\"post\" action=\"{LOGIN_PATH}\">\n<label>Email <input name=\"email\" type=\"email\" required></label>\n<label>Groups (comma-separated) <input name=\"groups\"></label>\n<input type=\"hidden\" name=\"redirect\" value=\"{redirect}\">\n<button type=\"submit\">Log in</button>\n</form></body></html>\n"
            ),
        )
    }
}

/// The session id in ALB's first session-cookie shard, if the client sent one.
fn session_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_string())
}

/// A redirect back into this site only: a path, never `//host` or a URL.
fn safe_redirect(to: Option<&str>) -> String {
    match to {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_string(),
        _ => "/".into(),
    }
}

fn page(status: StatusCode, content_type: &str, body: String) -> Response<Body> {
    let mut r = Response::new(Body::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, header_value(content_type));
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

fn random_hex(bytes: usize) -> std::io::Result<String> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// `application/x-www-form-urlencoded` pairs, decoded.
fn form_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode_component(k), decode_component(v))
        })
        .collect()
}

fn decode_component(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() && s.is_char_boundary(i + 3) => {
                match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_is_an_email_with_optional_groups() {
        assert_eq!(
            LocalUser::parse("a@example.com:admins, staff")
                .unwrap()
                .groups,
            ["admins", "staff"]
        );
        assert!(LocalUser::parse("nobody").is_err());
    }

    #[test]
    fn the_login_form_sends_back_only_into_this_site() {
        assert_eq!(safe_redirect(Some("/docs/?a=1")), "/docs/?a=1");
        for bad in ["//evil.example/", "https://evil.example/", "/\\evil", ""] {
            assert_eq!(safe_redirect(Some(bad)), "/", "{bad}");
        }
    }

    #[test]
    fn form_fields_are_decoded() {
        assert_eq!(
            form_pairs("email=a%40b.c&groups=x+y&redirect=%2Fdocs%2F&bad=%zz%"),
            [
                ("email".to_string(), "a@b.c".to_string()),
                ("groups".into(), "x y".into()),
                ("redirect".into(), "/docs/".into()),
                ("bad".into(), "%zz%".into())
            ]
        );
    }
}
