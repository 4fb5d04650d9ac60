//! An Application Load Balancer's event and answer. Multi-value mode is the presence of
//! `multiValueHeaders` (ALB sends it only when the target group has multi-value headers on; if a
//! synthetic event carries both fields, the multi-value one is authoritative, as it is the one
//! ALB would read back), and the answer goes back in the same mode.

use serde::ser::{SerializeMap, Serializer};

use super::headers::{MultiHeaders, SetCookie, SingleHeaders};
use super::wire::{Pairs, Values};
use super::{
    push_query_pair, required, Door, EventError, RawEvent, Request, RequestHeaders, Response,
};

/// An ALB event, once the dispatch has told it is one.
pub(super) fn parse(raw: RawEvent<'_>) -> Result<Request<'_>, EventError> {
    let multi = raw.multi_value_headers.is_some();
    let (method, path) = required(
        (raw.http_method, "httpMethod"),
        (raw.path, "path"),
        raw.is_base64_encoded,
        raw.body.as_deref(),
    )
    .map_err(|why| EventError::new(format!("malformed ALB event: {why}"), multi))?;
    let mut query = String::new();
    let mut push = |k: &str, v: &str| push_query_pair(&mut query, k, v);
    let mut headers = RequestHeaders::default();
    if let Some(Pairs(mv)) = raw.multi_value_headers {
        if let Some(Pairs(q)) = raw.multi_value_query_string_parameters {
            for (k, Values(vs)) in &q {
                for v in vs {
                    push(k, v);
                }
            }
        }
        for (k, Values(vs)) in mv {
            for v in vs {
                headers.add(&k, v);
            }
        }
    } else {
        if let Some(Pairs(q)) = raw.query_string_parameters {
            for (k, v) in &q {
                push(k, v);
            }
        }
        for (k, v) in raw.headers.map(|Pairs(h)| h).unwrap_or_default() {
            headers.add(&k, v);
        }
    }
    Ok(Request {
        method,
        path,
        query,
        headers,
        multi,
        door: Door::Alb,
        mount: String::new(),
    })
}

/// ALB's answer: `statusDescription`, and the header field of the request's mode. VPC Lattice
/// takes the same shape, always single-value.
pub(super) fn serialize<S: Serializer>(r: &Response<'_>, s: S) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(5))?;
    m.serialize_entry("statusCode", &r.status.code())?;
    m.serialize_entry("statusDescription", r.status.line())?;
    if r.multi && r.door == Door::Alb {
        m.serialize_entry("multiValueHeaders", &MultiHeaders(&r.headers))?;
    } else {
        m.serialize_entry("headers", &SingleHeaders(&r.headers, SetCookie::First))?;
    }
    m.serialize_entry("body", &r.body)?;
    m.serialize_entry("isBase64Encoded", &r.base64)?;
    m.end()
}
