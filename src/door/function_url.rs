//! Payload format 2.0, as Lambda Function URLs and API Gateway HTTP APIs send and take it.

use std::borrow::Cow;

use serde::ser::{SerializeMap, Serializer};
use serde::Deserialize;

use super::headers::{SetCookie, SingleHeaders, ValuesOf};
use super::wire::{Pairs, Values};
use super::{push_query_part, required, Door, EventError, Request, RequestHeaders, Response};

/// A payload format 2.0 event (Function URLs, API Gateway HTTP APIs), read only when `version`
/// says so.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawV2<'a> {
    #[serde(borrow, default)]
    raw_path: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    raw_query_string: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    cookies: Option<Values<'a>>,
    #[serde(borrow, default)]
    headers: Option<Pairs<'a, Cow<'a, str>>>,
    #[serde(borrow, default)]
    request_context: Option<RawContext<'a>>,
    #[serde(borrow, default)]
    body: Option<Cow<'a, str>>,
    #[serde(default)]
    is_base64_encoded: Option<bool>,
}

#[derive(Deserialize)]
struct RawContext<'a> {
    #[serde(borrow, default)]
    http: Option<RawHttp<'a>>,
}

#[derive(Deserialize)]
struct RawHttp<'a> {
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
}

/// Payload format 2.0, as Lambda Function URLs and API Gateway HTTP APIs send it: the method
/// in `requestContext.http`, the path and query raw in `rawPath` / `rawQueryString`, one value
/// per header (repeated ones joined with commas), the request's cookies in `cookies`.
pub(super) fn parse(json: &str) -> Result<Request<'_>, EventError> {
    let raw: RawV2<'_> = match serde_json::from_str(json) {
        Ok(raw) => raw,
        Err(e) => return Err(EventError::at(Door::V2, format!("malformed event: {e}"))),
    };
    let method = raw
        .request_context
        .and_then(|c| c.http)
        .and_then(|h| h.method);
    let (method, path) = required(
        (method, "requestContext.http.method"),
        (raw.raw_path, "rawPath"),
        raw.is_base64_encoded,
        raw.body.as_deref(),
    )
    .map_err(|why| EventError::at(Door::V2, format!("malformed event: {why}")))?;
    let mut query = String::new();
    push_query_part(&mut query, raw.raw_query_string.as_deref().unwrap_or(""));
    let mut headers = RequestHeaders::default();
    for (k, v) in raw.headers.map(|Pairs(h)| h).unwrap_or_default() {
        headers.add(&k, v);
    }
    if let Some(Values(cookies)) = raw.cookies {
        if !cookies.is_empty() {
            headers.cookie = Some(Cow::Owned(cookies.join("; ")));
        }
    }
    Ok(Request {
        method,
        path,
        query,
        headers,
        multi: false,
        door: Door::V2,
        mount: String::new(),
    })
}

/// One value per header, Set-Cookie in `cookies`, no `statusDescription`.
pub(super) fn serialize<S: Serializer>(r: &Response<'_>, s: S) -> Result<S::Ok, S::Error> {
    let is_cookie = |n: &str| n.eq_ignore_ascii_case("set-cookie");
    let mut m = s.serialize_map(None)?;
    m.serialize_entry("statusCode", &r.status.code())?;
    m.serialize_entry("headers", &SingleHeaders(&r.headers, SetCookie::Apart))?;
    if r.headers.iter().any(|(n, _)| is_cookie(n)) {
        m.serialize_entry("cookies", &ValuesOf(&r.headers, "set-cookie"))?;
    }
    m.serialize_entry("body", &r.body)?;
    m.serialize_entry("isBase64Encoded", &r.base64)?;
    m.end()
}
