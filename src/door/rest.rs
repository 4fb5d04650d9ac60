//! An API Gateway REST API's event (payload 1.0) and answer.

use serde::ser::{SerializeMap, Serializer};

use super::headers::MultiHeaders;
use super::wire::{Pairs, Values};
use super::{
    push_decoded_query_part, required, ContextProbe, Door, EventError, RawEvent, Request,
    RequestHeaders, Response,
};

/// An API Gateway REST API event (payload 1.0). It carries both header fields (API Gateway
/// fills both); `multiValueHeaders` is read, as it holds every value. Query keys and values come
/// decoded, so they are encoded again for a redirect's `Location`.
pub(super) fn parse<'a>(
    raw: RawEvent<'a>,
    context: &ContextProbe<'_>,
) -> Result<Request<'a>, EventError> {
    let (method, path) = required(
        (raw.http_method, "httpMethod"),
        (raw.path, "path"),
        raw.is_base64_encoded,
        raw.body.as_deref(),
    )
    .map_err(|why| EventError::at(Door::Rest, format!("malformed event: {why}")))?;
    let mut query = String::new();
    let mut push = |k: &str, v: &str| {
        if !query.is_empty() {
            query.push('&');
        }
        push_decoded_query_part(&mut query, k);
        query.push('=');
        push_decoded_query_part(&mut query, v);
    };
    match (
        raw.multi_value_query_string_parameters,
        raw.query_string_parameters,
    ) {
        (Some(Pairs(q)), _) => {
            for (k, Values(vs)) in &q {
                for v in vs {
                    push(k, v);
                }
            }
        }
        (None, Some(Pairs(q))) => {
            for (k, v) in &q {
                push(k, v);
            }
        }
        (None, None) => {}
    }
    let mut headers = RequestHeaders::default();
    match (raw.multi_value_headers, raw.headers) {
        (Some(Pairs(mv)), _) => {
            for (k, Values(vs)) in mv {
                for v in vs {
                    headers.add(&k, v);
                }
            }
        }
        (None, Some(Pairs(h))) => {
            for (k, v) in h {
                headers.add(&k, v);
            }
        }
        (None, None) => {}
    }
    // `requestContext.path` is the path the client asked for, stage or base path included;
    // `path` is it without them. The stage's root asked for without its slash (`/prod`)
    // arrives as `path` "/".
    let mount = context
        .path
        .as_deref()
        .and_then(|full| {
            full.strip_suffix(&*path)
                .or_else(|| (path == "/" && !full.ends_with('/')).then_some(full))
        })
        .filter(|m| m.starts_with('/') && !m.starts_with("//") && m.len() > 1)
        .map(|m| m.trim_end_matches('/').to_string())
        .unwrap_or_default();
    Ok(Request {
        method,
        path,
        query,
        headers,
        multi: true,
        door: Door::Rest,
        mount,
    })
}

/// Every header in `multiValueHeaders` (Set-Cookie repeated), and nothing API Gateway would call
/// a malformed proxy response (no `statusDescription`).
pub(super) fn serialize<S: Serializer>(r: &Response<'_>, s: S) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(4))?;
    m.serialize_entry("statusCode", &r.status.code())?;
    m.serialize_entry("multiValueHeaders", &MultiHeaders(&r.headers))?;
    m.serialize_entry("body", &r.body)?;
    m.serialize_entry("isBase64Encoded", &r.base64)?;
    m.end()
}
