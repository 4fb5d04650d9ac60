//! Turns the function's response payload into the HTTP response its front door would send,
//! refusing (the caller answers 502) everything that door refuses: ALB's rules (AWS's "Lambda
//! functions as targets" page, and what a real ALB was seen to do), payload format 2.0's
//! (Function URLs, HTTP APIs), a REST API's Lambda proxy output and VPC Lattice's.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, SERVER};
use hyper::{Response, StatusCode};
use serde_json::Value;

/// ALB's limit on the whole response JSON: a payload must stay under it (from the contract,
/// not from the server's constants: `crate::contract`).
pub const PAYLOAD_LIMIT: usize = crate::contract::RESPONSE_JSON_LIMIT;
/// ALB's limit on the response header block (`crate::contract`).
pub const MAX_HEADER_BLOCK: usize = crate::contract::HEADER_BLOCK_LIMIT;

/// Headers that only describe one connection; ALB does not honour them from the
/// function, and it computes Content-Length itself.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
];

pub type Body = Full<Bytes>;

/// A response that passed ALB's checks.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Vec<u8>,
}

/// Validates a payload. `Err` is the reason ALB would answer 502 instead.
pub fn parse(payload: &[u8], multi_value: bool) -> Result<Reply, String> {
    if payload.len() >= PAYLOAD_LIMIT {
        return Err(format!(
            "response is {} bytes, over ALB's 1 MB limit (LambdaResponseTooLarge)",
            payload.len()
        ));
    }
    let value: Value =
        serde_json::from_slice(payload).map_err(|e| format!("response is not valid JSON: {e}"))?;
    let obj = value
        .as_object()
        .ok_or_else(|| format!("response is a JSON {}, not an object", kind(&value)))?;

    // ALB rejects a null in any of these, even in the header field it would ignore.
    for field in [
        "statusDescription",
        "headers",
        "multiValueHeaders",
        "body",
        "isBase64Encoded",
    ] {
        if obj.get(field).is_some_and(Value::is_null) {
            return Err(format!("\"{field}\" is null"));
        }
    }

    let status = match obj.get("statusCode") {
        None => return Err("\"statusCode\" is missing".into()),
        Some(v) => v
            .as_u64()
            // 1xx are not final statuses: HTTP cannot deliver one as the answer.
            .filter(|c| (200..=599).contains(c))
            .ok_or_else(|| format!("\"statusCode\" is {v}, not an integer in 200..=599"))?
            as u16,
    };
    if let Some(v) = obj.get("statusDescription") {
        if !v.is_string() {
            return Err(format!("\"statusDescription\" is a {}", kind(v)));
        }
    }

    let headers = if multi_value {
        multi_value_headers(obj.get("multiValueHeaders"))?
    } else {
        single_value_headers(obj.get("headers"))?
    };
    let block: usize = headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum();
    if block > MAX_HEADER_BLOCK {
        return Err(format!("header block is {block} bytes, over 32 KB"));
    }

    let body = decoded_body(obj.get("body"), obj.get("isBase64Encoded"))?;

    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// Lambda's limit on a synchronous invocation's payload, each way (the event, the response):
/// the limit of every front door but ALB, whose own is lower.
pub const LAMBDA_PAYLOAD_LIMIT: usize = 6 * 1024 * 1024;

/// Lambda fails an invocation whose response is over its limit, and the front door answers
/// that failure as its 502.
fn within_lambda_limit(payload: &[u8]) -> Result<(), String> {
    if payload.len() > LAMBDA_PAYLOAD_LIMIT {
        return Err(format!(
            "response is {} bytes, over Lambda's 6 MB limit",
            payload.len()
        ));
    }
    Ok(())
}

/// Reads a payload as payload format 2.0 does (a Lambda Function URL, an API Gateway HTTP
/// API): an object with an integer `statusCode` gives the status, `headers` (one string
/// each), `cookies` (each a Set-Cookie), `body` and `isBase64Encoded`; anything else (no
/// `statusCode`, not an object) is sent as it is, 200 `application/json`. `Err`: what the front
/// door answers 502 for.
pub fn parse_function_url(payload: &[u8]) -> Result<Reply, String> {
    within_lambda_limit(payload)?;
    let inferred = || Reply {
        status: 200,
        headers: vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body: payload.to_vec(),
    };
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(payload) else {
        return Ok(inferred());
    };
    let Some(code) = obj.get("statusCode") else {
        return Ok(inferred());
    };
    let status =
        code.as_u64()
            .filter(|c| (100..=599).contains(c))
            .ok_or_else(|| format!("\"statusCode\" is {code}, not an HTTP status"))? as u16;
    let mut headers = match obj.get("headers") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => single_value_headers(Some(v))?,
    };
    if let Some(cookies) = obj.get("cookies").filter(|c| !c.is_null()) {
        let list = cookies
            .as_array()
            .ok_or_else(|| format!("\"cookies\" is a {}, not an array", kind(cookies)))?;
        for c in list {
            let c = c
                .as_str()
                .ok_or_else(|| format!("a cookie is a {}, not a string", kind(c)))?;
            headers.push(header("set-cookie", c)?);
        }
    }
    let present = |field: &str| obj.get(field).filter(|v| !v.is_null());
    let body = decoded_body(present("body"), present("isBase64Encoded"))?;
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// The fields of a REST API's Lambda proxy output; API Gateway calls a response with any other
/// a "Malformed Lambda proxy response".
const REST_FIELDS: &[&str] = &[
    "statusCode",
    "headers",
    "multiValueHeaders",
    "body",
    "isBase64Encoded",
];

/// Reads a payload as an API Gateway REST API's Lambda proxy integration does (AWS's "Output
/// format of a Lambda function for proxy integration"): an object of [`REST_FIELDS`] only,
/// with an integer `statusCode`. `headers` (one string each) and `multiValueHeaders` (arrays)
/// are merged into one list, and a name in both keeps only its `multiValueHeaders` values. A
/// `null` field counts as absent. `isBase64Encoded: true` is decoded to binary, which API
/// Gateway does when the API's `binaryMediaTypes` covers the response: assumed `*/*`, as the
/// project's deploy would set it. `Err`: what API Gateway answers 502 for.
pub fn parse_rest_api(payload: &[u8]) -> Result<Reply, String> {
    within_lambda_limit(payload)?;
    let obj = json_object(payload)?;
    if let Some(extra) = obj.keys().find(|k| !REST_FIELDS.contains(&k.as_str())) {
        return Err(format!(
            "\"{extra}\" is not a field of a Lambda proxy response (API Gateway: Malformed Lambda proxy response)"
        ));
    }
    let status = final_status(obj.get("statusCode"))?;
    let present = |field: &str| obj.get(field).filter(|v| !v.is_null());
    let multi = multi_value_headers(present("multiValueHeaders"))?;
    let mut headers = single_value_headers(present("headers"))?;
    headers.retain(|(name, _)| !multi.iter().any(|(m, _)| m == name));
    headers.extend(multi);
    let body = decoded_body(present("body"), present("isBase64Encoded"))?;
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// Reads a payload as VPC Lattice does (AWS's "Respond to the VPC Lattice service"): an object
/// with an integer `statusCode`, an optional `statusDescription` string, `headers` of one
/// string each, `body` and `isBase64Encoded`. A `null` in the optional fields counts as absent:
/// the AWS events crate's own Lattice response writes `null` for a missing description or
/// body. `Err`: what Lattice answers 502 for.
pub fn parse_lattice(payload: &[u8]) -> Result<Reply, String> {
    within_lambda_limit(payload)?;
    let obj = json_object(payload)?;
    let status = final_status(obj.get("statusCode"))?;
    let present = |field: &str| obj.get(field).filter(|v| !v.is_null());
    if let Some(v) = present("statusDescription").filter(|v| !v.is_string()) {
        return Err(format!("\"statusDescription\" is a {}", kind(v)));
    }
    let headers = single_value_headers(present("headers"))?;
    let body = decoded_body(present("body"), present("isBase64Encoded"))?;
    Ok(Reply {
        status,
        headers,
        body,
    })
}

fn json_object(payload: &[u8]) -> Result<serde_json::Map<String, Value>, String> {
    match serde_json::from_slice(payload) {
        Ok(Value::Object(obj)) => Ok(obj),
        Ok(other) => Err(format!(
            "response is a JSON {}, not an object",
            kind(&other)
        )),
        Err(e) => Err(format!("response is not valid JSON: {e}")),
    }
}

/// A required `statusCode`: an integer of a final status (a 1xx cannot be the answer).
fn final_status(code: Option<&Value>) -> Result<u16, String> {
    let code = code.ok_or("\"statusCode\" is missing")?;
    code.as_u64()
        .filter(|c| (200..=599).contains(c))
        .map(|c| c as u16)
        .ok_or_else(|| format!("\"statusCode\" is {code}, not an integer in 200..=599"))
}

/// The body's bytes: `body` (absent: empty) as text, or decoded from standard base64 when
/// `isBase64Encoded` is true.
fn decoded_body(body: Option<&Value>, is_base64: Option<&Value>) -> Result<Vec<u8>, String> {
    let text = match body {
        None => "",
        Some(Value::String(s)) => s.as_str(),
        Some(v) => return Err(format!("\"body\" is a {}, not a string", kind(v))),
    };
    let is_base64 = match is_base64 {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(v) => return Err(format!("\"isBase64Encoded\" is a {}, not a bool", kind(v))),
    };
    if is_base64 {
        STANDARD
            .decode(text)
            .map_err(|e| format!("\"body\" is not valid standard base64: {e}"))
    } else {
        Ok(text.as_bytes().to_vec())
    }
}

fn single_value_headers(field: Option<&Value>) -> Result<Vec<(HeaderName, HeaderValue)>, String> {
    let Some(field) = field else {
        return Ok(Vec::new());
    };
    let map = field
        .as_object()
        .ok_or_else(|| format!("\"headers\" is a {}, not an object", kind(field)))?;
    map.iter()
        .map(|(name, value)| match value {
            Value::String(s) => header(name, s),
            v => Err(format!("header {name:?} is a {}, not a string", kind(v))),
        })
        .collect()
}

fn multi_value_headers(field: Option<&Value>) -> Result<Vec<(HeaderName, HeaderValue)>, String> {
    let Some(field) = field else {
        return Ok(Vec::new());
    };
    let map = field
        .as_object()
        .ok_or_else(|| format!("\"multiValueHeaders\" is a {}, not an object", kind(field)))?;
    let mut out = Vec::new();
    for (name, values) in map {
        let values = values.as_array().ok_or_else(|| {
            format!(
                "multiValueHeaders {name:?} is a {}, not an array",
                kind(values)
            )
        })?;
        for value in values {
            match value {
                Value::String(s) => out.push(header(name, s)?),
                v => return Err(format!("multiValueHeaders {name:?} holds a {}", kind(v))),
            }
        }
    }
    Ok(out)
}

fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), String> {
    let n = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("invalid header name {name:?}"))?;
    let v = HeaderValue::from_bytes(value.as_bytes())
        .map_err(|_| format!("invalid value for header {name:?}"))?;
    Ok((n, v))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The HTTP response ALB sends for a valid reply. HEAD gets the headers but no body.
pub fn into_http(reply: Reply, is_head: bool) -> Response<Body> {
    into_http_as(reply, is_head, Some("awselb/2.0"))
}

/// The HTTP response for a valid reply, from a front door that names itself in `Server`
/// (`server`, unless the function set its own) or does not (`None`).
pub fn into_http_as(reply: Reply, is_head: bool, server: Option<&'static str>) -> Response<Body> {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = Response::new(Body::default());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let mut function_length = None;
    for (name, value) in reply.headers {
        if name == CONTENT_LENGTH {
            function_length = Some(value);
        } else if !HOP_BY_HOP.contains(&name.as_str()) {
            headers.append(name, value);
        }
    }
    if let Some(server) = server.filter(|_| !headers.contains_key(SERVER)) {
        headers.insert(SERVER, HeaderValue::from_static(server));
    }
    if status == StatusCode::NO_CONTENT {
        // A 204 has no body and must not claim a length.
        return response;
    }
    if is_head || status == StatusCode::NOT_MODIFIED {
        // No body goes out; the function may still state the length a GET
        // would have had, which is the one Content-Length worth keeping.
        let length = match function_length {
            Some(v) if reply.body.is_empty() => Some(v),
            _ if is_head => Some(HeaderValue::from(reply.body.len())),
            _ => None,
        };
        if let Some(v) = length {
            headers.insert(CONTENT_LENGTH, v);
        }
        return response;
    }
    headers.insert(CONTENT_LENGTH, HeaderValue::from(reply.body.len()));
    *response.body_mut() = Body::new(Bytes::from(reply.body));
    response
}

/// One of ALB's own small error pages (502, 413, 405, 400...).
pub fn alb_page(status: StatusCode, is_head: bool) -> Response<Body> {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let html = format!(
        "<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center></body></html>"
    );
    let mut response = Response::new(Body::default());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(SERVER, HeaderValue::from_static("awselb/2.0"));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(html.len()));
    if !is_head {
        *response.body_mut() = Body::new(Bytes::from(html));
    }
    response
}

#[cfg(test)]
mod tests;
