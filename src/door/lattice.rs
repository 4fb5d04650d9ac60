//! A VPC Lattice event (version 2.0). Its answer is ALB's single-value shape (`alb::serialize`).

use std::borrow::Cow;

use serde::Deserialize;

use super::wire::{Pairs, Values};
use super::{push_query_pair, required, Door, EventError, Request, RequestHeaders};

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
    let raw: RawLattice<'_> = match serde_json::from_str(json) {
        Ok(raw) => raw,
        Err(e) => {
            return Err(EventError::at(
                Door::Lattice,
                format!("malformed event: {e}"),
            ))
        }
    };
    let (method, path) = required(
        (raw.method, "method"),
        (raw.path, "path"),
        raw.is_base64_encoded,
        raw.body.as_deref(),
    )
    .map_err(|why| EventError::at(Door::Lattice, format!("malformed event: {why}")))?;
    let mut query = String::new();
    for (k, Values(vs)) in raw
        .query_string_parameters
        .map(|Pairs(q)| q)
        .unwrap_or_default()
    {
        for v in vs {
            push_query_pair(&mut query, &k, &v);
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
