//! The front doors' Lambda events and answers, exactly as each sends and accepts them: an ALB
//! (`alb`), a Function URL or HTTP API (`function_url`, payload 2.0), a REST API (`rest`) and VPC
//! Lattice (`lattice`). `parse_request` tells the door from the event and each door's module
//! reads its own shape; `Response` is written in the shape of the door it answers.
//!
//! Hand-written rather than `aws_lambda_events`: its ALB response type writes `null`s (which
//! ALB turns into 502s), keeps only the first of several `Set-Cookie`, and always writes both
//! header fields. Here the response carries exactly one header field, in the request's mode,
//! and every field is always present and never null.

mod alb;
mod function_url;
mod headers;
mod lattice;
mod rest;
mod wire;

use std::borrow::Cow;
use std::fmt;

use base64::Engine;
use serde::de::IgnoredAny;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::site::Status;
use wire::{Pairs, Values};

/// The front door an event came through: it decides the shape of the answer. Told from the
/// event itself, with no setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Door {
    /// An Application Load Balancer (`requestContext.elb`, or any event of that shape): the
    /// header field the event used, `statusDescription`.
    #[default]
    Alb,
    /// Payload format 2.0 (`"version": "2.0"` with `rawPath`): Lambda Function URLs and API
    /// Gateway HTTP APIs. One value per header, Set-Cookie in `cookies`, no `statusDescription`.
    V2,
    /// An API Gateway REST API (payload 1.0 with `requestContext.stage`): it merges `headers`
    /// and `multiValueHeaders`, so every header goes in `multiValueHeaders`; API Gateway
    /// refuses a `statusDescription` as a malformed proxy response.
    Rest,
    /// VPC Lattice (`"version": "2.0"` with `requestContext.serviceNetworkArn`): request
    /// headers are arrays, response headers one string each, `statusDescription` kept.
    Lattice,
}

impl Door {
    /// The door's name in the access log and the metrics' `Door` dimension.
    pub const fn name(self) -> &'static str {
        match self {
            Door::Alb => "alb",
            Door::V2 => "v2",
            Door::Rest => "rest",
            Door::Lattice => "lattice",
        }
    }

    /// The limit this door holds a whole response to: an ALB's 1 MB, Lambda's 6 MB for the rest.
    pub const fn response_limit(self) -> site_core::limits::ResponseLimit {
        match self {
            Door::Alb => site_core::limits::ResponseLimit::Alb,
            Door::V2 | Door::Rest | Door::Lattice => site_core::limits::ResponseLimit::Lambda,
        }
    }
}

/// A request event, parsed without copying where the JSON has no escapes.
#[derive(Debug)]
pub struct Request<'a> {
    /// `httpMethod`, as sent.
    pub method: Cow<'a, str>,
    /// `path`, still percent-encoded as ALB passes it.
    pub path: Cow<'a, str>,
    /// The query string rebuilt from the query fields, still percent-encoded (`a=1&b=2`).
    pub query: String,
    /// The headers the answer depends on, read once.
    pub headers: RequestHeaders<'a>,
    /// Whether the event came in multi-value mode; the response must answer in the same mode.
    pub multi: bool,
    /// The front door: the response goes back in its format.
    pub door: Door,
    /// Where the site is mounted in the URL the client used, when the front door strips it
    /// from `path` (a REST API's stage, `/prod`, or a custom domain's base path): redirects to
    /// a path of the site get it back. Empty: at the root.
    pub mount: String,
}

/// The request headers that decide an answer, each read once from the event (names compared
/// case-insensitively). A header sent several times (multi-value mode) has its values joined
/// with ", ", as HTTP allows for list headers; in single-value mode ALB already kept the last.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RequestHeaders<'a> {
    pub accept: Option<Cow<'a, str>>,
    pub accept_encoding: Option<Cow<'a, str>>,
    pub if_match: Option<Cow<'a, str>>,
    pub if_none_match: Option<Cow<'a, str>>,
    pub if_modified_since: Option<Cow<'a, str>>,
    pub if_unmodified_since: Option<Cow<'a, str>>,
    pub range: Option<Cow<'a, str>>,
    pub if_range: Option<Cow<'a, str>>,
    /// `x-forwarded-proto`: `https` when the client came over TLS to ALB.
    pub forwarded_proto: Option<Cow<'a, str>>,
    /// `x-amzn-oidc-data`: the login ALB signed (verified by `auth` on private sites).
    pub oidc_data: Option<Cow<'a, str>>,
    /// `x-amzn-oidc-identity`: the subject, unverified; must match the verified one.
    pub oidc_identity: Option<Cow<'a, str>>,
    /// `cookie`: read only to find ALB's session-cookie shards on logout.
    pub cookie: Option<Cow<'a, str>>,
    /// `access-control-request-method`: makes an OPTIONS a CORS preflight.
    pub preflight_method: Option<Cow<'a, str>>,
    /// For the access log only: `host`, `user-agent`, `x-forwarded-for` (the client first) and
    /// ALB's `x-amzn-trace-id` (the key into ALB's own access logs).
    pub host: Option<Cow<'a, str>>,
    pub user_agent: Option<Cow<'a, str>>,
    pub forwarded_for: Option<Cow<'a, str>>,
    pub amzn_trace_id: Option<Cow<'a, str>>,
}

impl<'a> RequestHeaders<'a> {
    /// Takes one header from the event; names the answer does not depend on are ignored.
    pub fn add(&mut self, name: &str, value: Cow<'a, str>) {
        let slot = match name.len() {
            6 if name.eq_ignore_ascii_case("accept") => &mut self.accept,
            6 if name.eq_ignore_ascii_case("cookie") => &mut self.cookie,
            4 if name.eq_ignore_ascii_case("host") => &mut self.host,
            10 if name.eq_ignore_ascii_case("user-agent") => &mut self.user_agent,
            15 if name.eq_ignore_ascii_case("x-forwarded-for") => &mut self.forwarded_for,
            15 if name.eq_ignore_ascii_case("x-amzn-trace-id") => &mut self.amzn_trace_id,
            16 if name.eq_ignore_ascii_case("x-amzn-oidc-data") => &mut self.oidc_data,
            20 if name.eq_ignore_ascii_case("x-amzn-oidc-identity") => &mut self.oidc_identity,
            29 if name.eq_ignore_ascii_case("access-control-request-method") => {
                &mut self.preflight_method
            }
            5 if name.eq_ignore_ascii_case("range") => &mut self.range,
            8 if name.eq_ignore_ascii_case("if-match") => &mut self.if_match,
            8 if name.eq_ignore_ascii_case("if-range") => &mut self.if_range,
            13 if name.eq_ignore_ascii_case("if-none-match") => &mut self.if_none_match,
            15 if name.eq_ignore_ascii_case("accept-encoding") => &mut self.accept_encoding,
            17 if name.eq_ignore_ascii_case("if-modified-since") => &mut self.if_modified_since,
            17 if name.eq_ignore_ascii_case("x-forwarded-proto") => &mut self.forwarded_proto,
            19 if name.eq_ignore_ascii_case("if-unmodified-since") => &mut self.if_unmodified_since,
            _ => return,
        };
        *slot = Some(match slot.take() {
            None => value,
            Some(prev) => Cow::Owned(format!("{prev}, {value}")),
        });
    }

    /// The client's address as ALB saw it: the first of `x-forwarded-for`.
    pub fn client_ip(&self) -> Option<&str> {
        self.forwarded_for
            .as_deref()
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|ip| !ip.is_empty())
    }

    /// Whether the client came over https (so HSTS may be sent).
    pub fn https(&self) -> bool {
        self.forwarded_proto
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
    }
}

/// Why an event could not be understood; becomes a 400 response, in the header mode the event
/// came in (as far as it could be told), so ALB accepts even that answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    pub message: String,
    /// The event carried `multiValueHeaders`.
    pub multi: bool,
    /// The front door, as far as it could be told.
    pub door: Door,
}

impl EventError {
    fn new(message: impl Into<String>, multi: bool) -> EventError {
        EventError {
            message: message.into(),
            multi,
            door: Door::Alb,
        }
    }

    fn at(door: Door, message: impl Into<String>) -> EventError {
        EventError {
            message: message.into(),
            multi: door == Door::Rest,
            door,
        }
    }
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EventError {}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEvent<'a> {
    #[serde(borrow)]
    http_method: Option<Cow<'a, str>>,
    #[serde(borrow)]
    path: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    query_string_parameters: Option<Pairs<'a, Cow<'a, str>>>,
    #[serde(borrow, default)]
    multi_value_query_string_parameters: Option<Pairs<'a, Values<'a>>>,
    #[serde(borrow, default)]
    headers: Option<Pairs<'a, Cow<'a, str>>>,
    #[serde(borrow, default)]
    multi_value_headers: Option<Pairs<'a, Values<'a>>>,
    #[serde(borrow, default)]
    body: Option<Cow<'a, str>>,
    #[serde(default)]
    is_base64_encoded: Option<bool>,
    /// `"2.0"` marks payload format 2.0; read raw, so a field of any type in an ALB event is
    /// still ignored as ALB's other unknown fields are.
    #[serde(borrow, default)]
    version: Option<&'a serde_json::value::RawValue>,
    /// Read raw: only which front door's fields it has matters here.
    #[serde(borrow, default, rename = "requestContext")]
    request_context: Option<&'a serde_json::value::RawValue>,
}

/// What `requestContext` says about the front door (an ALB's has `elb`, a REST API's `stage`
/// and `path`, VPC Lattice's `serviceNetworkArn`).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ContextProbe<'a> {
    #[serde(default)]
    elb: Option<IgnoredAny>,
    #[serde(borrow, default)]
    stage: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    path: Option<Cow<'a, str>>,
    #[serde(default)]
    service_network_arn: Option<IgnoredAny>,
    #[serde(default)]
    service_arn: Option<IgnoredAny>,
}

impl ContextProbe<'_> {
    /// An object only: serde would read an array's items positionally as the fields.
    fn read(raw: Option<&serde_json::value::RawValue>) -> ContextProbe<'_> {
        raw.filter(|r| r.get().trim_start().starts_with('{'))
            .and_then(|r| serde_json::from_str(r.get()).ok())
            .unwrap_or_default()
    }

    /// The door: the one place it is told. Payload 2.0 is Lattice's or a Function URL's; 1.0 is
    /// a REST API's when its context has a stage and no `elb`, else ALB's (any event of that
    /// shape).
    fn door(&self, version2: bool) -> Door {
        let lattice = self.service_network_arn.is_some() || self.service_arn.is_some();
        match (version2, lattice) {
            (true, true) => Door::Lattice,
            (true, false) => Door::V2,
            _ if self.elb.is_none() && self.stage.is_some() => Door::Rest,
            _ => Door::Alb,
        }
    }
}

/// Only the mode, for answering an event that failed to parse in the mode it came in.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModeProbe {
    #[serde(default)]
    multi_value_headers: Option<IgnoredAny>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default, rename = "requestContext")]
    request_context: Option<Box<serde_json::value::RawValue>>,
}

/// Parses an event of any front door: the one dispatch point. The door is told from the event
/// itself (`version`, and what `requestContext` holds); each door's module reads its own shape.
pub fn parse_request(json: &str) -> Result<Request<'_>, EventError> {
    // serde's derived struct visitor also reads a JSON array positionally (`["GET", "/"]`);
    // an event is an object, so anything else is refused before it gets that far.
    if !json.trim_start().starts_with('{') {
        return Err(EventError::new(
            "malformed ALB event: the event must be a JSON object",
            false,
        ));
    }
    let raw: RawEvent<'_> = match serde_json::from_str(json) {
        Ok(raw) => raw,
        Err(e) => {
            let probe = serde_json::from_str::<ModeProbe>(json).ok();
            let context = probe.as_ref().and_then(|p| p.request_context.as_deref());
            let context = ContextProbe::read(context);
            let version2 = probe.as_ref().and_then(|p| p.version.as_deref()) == Some("2.0");
            // A payload 2.0 event's fields are not the 1.0 shape's (a Lattice event's headers
            // are arrays): read it in its own shape, which says what is wrong if anything is.
            return match context.door(version2) {
                Door::Lattice => lattice::parse(json),
                Door::V2 => function_url::parse(json),
                door @ Door::Rest => Err(EventError::at(door, format!("malformed event: {e}"))),
                Door::Alb => {
                    let multi = probe.is_some_and(|p| p.multi_value_headers.is_some());
                    Err(EventError::new(format!("malformed ALB event: {e}"), multi))
                }
            };
        }
    };
    let context = ContextProbe::read(raw.request_context);
    match context.door(raw.version.is_some_and(|v| v.get() == "\"2.0\"")) {
        Door::Lattice => lattice::parse(json),
        Door::V2 => function_url::parse(json),
        Door::Rest => rest::parse(raw, &context),
        Door::Alb => alb::parse(raw),
    }
}

/// The method and path every door's request needs (each named as that door's event names it),
/// and a body that is base64 when the event says so; the error says what is wrong.
fn required<'a>(
    method: (Option<Cow<'a, str>>, &str),
    path: (Option<Cow<'a, str>>, &str),
    is_base64_encoded: Option<bool>,
    body: Option<&str>,
) -> Result<(Cow<'a, str>, Cow<'a, str>), String> {
    let Some(m) = method.0 else {
        return Err(format!("missing {}", method.1));
    };
    let Some(p) = path.0 else {
        return Err(format!("missing {}", path.1));
    };
    if bad_base64_body(is_base64_encoded, body) {
        return Err("isBase64Encoded is true but the body is not valid base64".into());
    }
    Ok((m, p))
}

/// Appends one key and value, as ALB and Lattice pass them (still percent-encoded), to a query
/// being rebuilt: `k=v&k2`, a key with an empty value written alone.
fn push_query_pair(query: &mut String, k: &str, v: &str) {
    if !query.is_empty() {
        query.push('&');
    }
    push_query_part(query, k);
    if !v.is_empty() {
        query.push('=');
        push_query_part(query, v);
    }
}

/// Whether the event says its body is base64 and it is not (every front door's events use the
/// same two fields).
fn bad_base64_body(is_base64_encoded: Option<bool>, body: Option<&str>) -> bool {
    is_base64_encoded == Some(true)
        && body.is_some_and(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.as_bytes())
                .is_err()
        })
}

/// Appends a query key or value as ALB passes it (still percent-encoded), encoding any byte
/// outside visible ASCII: the query is copied into `Location` headers, so a crafted event must
/// not be able to put a space, CR or LF there. ALB's own queries are unchanged by this.
fn push_query_part(out: &mut String, part: &str) {
    for b in part.bytes() {
        if (0x21..=0x7e).contains(&b) && b != b'#' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// Appends a decoded query key or value (as API Gateway passes them), percent-encoding all but
/// RFC 3986's unreserved characters, so `&`, `=` and `#` in a value stay data.
fn push_decoded_query_part(out: &mut String, part: &str) {
    for b in part.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// A response body.
#[derive(Debug, Clone)]
pub enum ResponseBody<'s> {
    /// A string serde_json escapes as it writes it (short messages, inflated text).
    Text(Cow<'s, str>),
    /// A JSON string literal made when the site was planned, written as is; `len` is its byte
    /// count once decoded, for the log.
    Raw {
        json: &'s serde_json::value::RawValue,
        len: u64,
    },
    /// Bytes sent as standard base64, encoded as the response is written (byte ranges and
    /// inflated bodies; a whole stored body is `Raw`).
    Base64(Cow<'s, [u8]>),
}

/// Writes bytes as a JSON string of standard base64, straight into the serializer.
struct Base64Str<'b>(&'b [u8]);

impl Serialize for Base64Str<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&base64::display::Base64Display::new(
            self.0,
            &base64::engine::general_purpose::STANDARD,
        ))
    }
}

impl Serialize for ResponseBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ResponseBody::Text(t) => s.serialize_str(t),
            ResponseBody::Raw { json, .. } => json.serialize(s),
            ResponseBody::Base64(bytes) => Base64Str(bytes).serialize(s),
        }
    }
}

impl ResponseBody<'_> {
    /// The empty body.
    pub const EMPTY: ResponseBody<'static> = ResponseBody::Text(Cow::Borrowed(""));
}

/// A response in ALB's format, borrowing from the site it answers for. Serializes with every
/// field present and no nulls.
#[derive(Debug, Clone)]
pub struct Response<'s> {
    pub status: Status,
    /// Headers in order; a name repeats only for Set-Cookie.
    pub headers: Vec<(&'s str, Cow<'s, str>)>,
    /// The body: plain text, or standard base64 when `base64` is set.
    pub body: ResponseBody<'s>,
    /// `isBase64Encoded`.
    pub base64: bool,
    /// Answer with `multiValueHeaders` (true) or `headers` (false).
    pub multi: bool,
    /// The front door whose format the response is written in.
    pub door: Door,
}

impl Response<'_> {
    /// The value of a header, case-insensitive (first one when repeated).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }

    /// Bytes the client receives in the body (after ALB decodes base64).
    pub fn body_len(&self) -> u64 {
        match &self.body {
            ResponseBody::Raw { len, .. } => *len,
            ResponseBody::Base64(bytes) => bytes.len() as u64,
            ResponseBody::Text(t) if self.base64 => {
                let b = t.as_bytes();
                let pad = b.iter().rev().take(2).filter(|&&c| c == b'=').count();
                (b.len() / 4 * 3 - pad) as u64
            }
            ResponseBody::Text(t) => t.len() as u64,
        }
    }
}

impl Serialize for Response<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.door {
            Door::Alb | Door::Lattice => alb::serialize(self, s),
            Door::V2 => function_url::serialize(self, s),
            Door::Rest => rest::serialize(self, s),
        }
    }
}

#[cfg(test)]
mod tests {
    fn rest_event(full: &str, path: &str) -> String {
        serde_json::json!({
            "resource": "/{proxy+}",
            "path": path,
            "httpMethod": "GET",
            "headers": {"host": "x"},
            "multiValueHeaders": {"host": ["x"]},
            "requestContext": {"stage": "prod", "path": full, "resourcePath": "/{proxy+}"},
            "body": null,
            "isBase64Encoded": false
        })
        .to_string()
    }

    #[test]
    fn a_rest_apis_stage_is_the_mount_of_every_path_and_of_its_root_without_a_slash() {
        for (full, path) in [
            ("/prod/docs/guide", "/docs/guide"),
            ("/prod/", "/"),
            ("/prod", "/"),
        ] {
            let json = rest_event(full, path);
            let req = parse_request(&json).unwrap();
            assert_eq!(req.door, Door::Rest);
            assert_eq!(req.mount, "/prod", "{full}");
        }
        // A custom domain mapped at its root: no stage in the URL.
        let json = rest_event("/docs/guide", "/docs/guide");
        assert_eq!(parse_request(&json).unwrap().mount, "");
    }

    use super::*;

    #[test]
    fn the_headers_an_answer_depends_on_are_read_once_in_any_case() {
        let r = parse_request(
            r#"{"httpMethod":"GET","path":"/","headers":{"Accept-Encoding":"br","RANGE":"bytes=0-1","x-unrelated":"y","X-Forwarded-Proto":"HTTPS"}}"#,
        )
        .unwrap();
        assert_eq!(r.headers.accept_encoding.as_deref(), Some("br"));
        assert_eq!(r.headers.range.as_deref(), Some("bytes=0-1"));
        assert!(r.headers.https());
        assert_eq!(r.headers.accept, None);
    }

    #[test]
    fn repeated_multi_value_headers_are_joined_as_a_list() {
        let r = parse_request(
            r#"{"httpMethod":"GET","path":"/","multiValueHeaders":{"accept-encoding":["gzip","br"],"if-none-match":["\"a\""]}}"#,
        )
        .unwrap();
        assert!(r.multi);
        assert_eq!(r.headers.accept_encoding.as_deref(), Some("gzip, br"));
        assert_eq!(r.headers.if_none_match.as_deref(), Some("\"a\""));
    }
}
