//! Helpers shared by the integration tests: build ALB events, call the handler, read responses.
#![allow(dead_code)]

use serde_json::Value;

// One event builder for every test, benchmark and local-alb's own tests. (Not every test binary
// uses every name.)
#[allow(unused_imports)]
pub use local_alb::kit::alb_event::{event, event_multi, AlbEvent};

/// Calls the handler with the event's JSON and returns the response JSON exactly as sent.
pub fn call(event: &Value) -> Value {
    call_raw(&event.to_string())
}

pub fn call_raw(json: &str) -> Value {
    let response = site_server::handler::handle(json);
    let text = serde_json::to_string(&response).expect("a response always serializes");
    check_response(&text).unwrap_or_else(|e| panic!("{e}\nresponse: {text}"))
}

pub fn get(path: &str) -> Value {
    call(&event("GET", path, &[]))
}

pub fn status(r: &Value) -> u64 {
    r["statusCode"].as_u64().unwrap()
}

/// A header from a single-value response (case-insensitive name).
pub fn header<'a>(r: &'a Value, name: &str) -> Option<&'a str> {
    let map = r
        .get("headers")
        .or_else(|| r.get("multiValueHeaders"))?
        .as_object()?;
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str().or_else(|| v.as_array()?.first()?.as_str()))
}

/// Every value of a header in a multi-value response.
pub fn header_values(r: &Value, name: &str) -> Vec<String> {
    let map = r["multiValueHeaders"]
        .as_object()
        .expect("multi-value response");
    map.iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .flat_map(|(_, v)| {
            v.as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
        })
        .collect()
}

/// The body bytes the client receives (after ALB decodes base64).
pub fn body_bytes(r: &Value) -> Vec<u8> {
    use base64::Engine;
    let body = r["body"].as_str().unwrap();
    if r["isBase64Encoded"].as_bool().unwrap() {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("valid base64")
    } else {
        body.as_bytes().to_vec()
    }
}

/// The body decoded from its Content-Encoding.
pub fn decoded_body(r: &Value) -> Vec<u8> {
    use std::io::Read;
    let raw = body_bytes(r);
    match header(r, "content-encoding") {
        None => raw,
        Some("gzip") => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .unwrap();
            out
        }
        Some("br") => {
            let mut out = Vec::new();
            brotli::Decompressor::new(&raw[..], 4096)
                .read_to_end(&mut out)
                .unwrap();
            out
        }
        Some(other) => panic!("unexpected content-encoding {other}"),
    }
}

/// The bytes of a file of the sample site.
pub fn site_file(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/site{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The response check every test applies: ALB accepts the response (local-alb's
/// `reply::parse`, the very check the stand-in ALB makes before it would answer 502), and it has
/// the shape this function promises beyond that: exactly the five fields, one header field
/// (which decides the mode ALB reads it in), a `statusDescription` of the form "CODE Reason",
/// and no multi-value header without a value. Returns the parsed response.
pub fn check_response(text: &str) -> Result<Value, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let o = v.as_object().ok_or("the response is not a JSON object")?;
    let multi = match (o.get("headers"), o.get("multiValueHeaders")) {
        (Some(_), None) => false,
        (None, Some(_)) => true,
        _ => return Err("not exactly one of headers / multiValueHeaders".into()),
    };
    let reply = local_alb::reply::parse(text.as_bytes(), multi)
        .map_err(|e| format!("ALB would answer 502: {e}"))?;
    let header_field = if multi {
        "multiValueHeaders"
    } else {
        "headers"
    };
    for field in [
        "statusCode",
        "statusDescription",
        header_field,
        "body",
        "isBase64Encoded",
    ] {
        if !o.contains_key(field) {
            return Err(format!("no {field:?} field"));
        }
    }
    if o.len() != 5 {
        return Err(format!("{} fields, not the five", o.len()));
    }
    let desc = o["statusDescription"].as_str().unwrap_or_default();
    let reason = desc.strip_prefix(&format!("{} ", reply.status));
    if reason.is_none_or(str::is_empty) {
        return Err(format!(
            "statusDescription {desc:?} is not \"{} Reason\"",
            reply.status
        ));
    }
    if let Some(Value::Object(map)) = o.get("multiValueHeaders") {
        if let Some((name, _)) = map
            .iter()
            .find(|(_, v)| v.as_array().is_some_and(Vec::is_empty))
        {
            return Err(format!("header {name} has no value"));
        }
    }
    Ok(v)
}

/// Panics unless [`check_response`] passes on the response as serialized.
pub fn assert_valid_alb_response(v: &Value) {
    if let Err(e) = check_response(&v.to_string()) {
        panic!("{e}\nresponse: {v}");
    }
}

/// ALB answers 502 to a `null` anywhere in the response. Checked on the parsed value: a text
/// body may well contain the characters `:null`.
pub fn assert_no_null(v: &Value) {
    match v {
        Value::Null => panic!("null in the response"),
        Value::Array(a) => a.iter().for_each(assert_no_null),
        Value::Object(o) => o.values().for_each(assert_no_null),
        _ => {}
    }
}
