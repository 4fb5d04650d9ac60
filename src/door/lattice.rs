//! A VPC Lattice event (version 2.0). Its answer is ALB's single-value shape (`alb::serialize`).

use std::borrow::Cow;

use serde::Deserialize;

use super::wire::{Pairs, Values};
use super::{bad_base64_body, push_query_part, Door, EventError, Request, RequestHeaders};

/// A VPC Lattice event (version 2.0): `method`, `path`, array-valued headers and query values.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLattice<'a> {
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    path: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    headers: Option<Pairs<'a, Values<'a>>>,
    #[serde(borrow, default)]
    query_string_parameters: Option<Pairs<'a, Values<'a>>>,
    #[serde(borrow, default)]
    body: Option<Cow<'a, str>>,
    #[serde(default)]
    is_base64_encoded: Option<bool>,
}

/// A VPC Lattice event (version 2.0): the method in `method`, every header and query value in
/// an array (passed on as sent, as ALB does).
pub(super) fn parse(json: &str) -> Result<Request<'_>, EventError> {
    let fail = |m: &str| Err(EventError::at(Door::Lattice, m));
    let raw: RawLattice<'_> = match serde_json::from_str(json) {
        Ok(raw) => raw,
        Err(e) => {
            return Err(EventError::at(
                Door::Lattice,
                format!("malformed event: {e}"),
            ))
        }
    };
    let Some(method) = raw.method else {
        return fail("malformed event: missing method");
    };
    let Some(path) = raw.path else {
        return fail("malformed event: missing path");
    };
    if bad_base64_body(raw.is_base64_encoded, raw.body.as_deref()) {
        return fail("malformed event: isBase64Encoded is true but the body is not valid base64");
    }
    let mut query = String::new();
    for (k, Values(vs)) in raw
        .query_string_parameters
        .map(|Pairs(q)| q)
        .unwrap_or_default()
    {
        for v in vs {
            if !query.is_empty() {
                query.push('&');
            }
            push_query_part(&mut query, &k);
            if !v.is_empty() {
                query.push('=');
                push_query_part(&mut query, &v);
            }
        }
    }
    let mut headers = RequestHeaders::default();
    for (k, Values(vs)) in raw.headers.map(|Pairs(h)| h).unwrap_or_default() {
        for v in vs {
            headers.add(&k, v);
        }
    }
    Ok(Request {
        method,
        path,
        query,
        headers,
        multi: false,
        door: Door::Lattice,
        mount: String::new(),
    })
}
