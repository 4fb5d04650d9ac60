//! Helpers shared by the integration tests: build ALB events, call the handler, read responses.
#![allow(dead_code)]

use serde_json::{json, Map, Value};

pub const TG: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/site/6d0ecf831eec9f09";

/// A single-value-mode event, as ALB sends with multi-value headers off.
pub fn event(method: &str, path: &str, headers: &[(&str, &str)]) -> Value {
    let mut h = Map::new();
    for (k, v) in headers {
        h.insert(k.to_string(), Value::String(v.to_string()));
    }
    json!({
        "requestContext": {"elb": {"targetGroupArn": TG}},
        "httpMethod": method,
        "path": path,
        "queryStringParameters": {},
        "headers": h,
        "body": "",
        "isBase64Encoded": false
    })
}

/// A multi-value-mode event, as ALB sends with multi-value headers on.
pub fn event_multi(method: &str, path: &str, headers: &[(&str, &str)]) -> Value {
    let mut h: Map<String, Value> = Map::new();
    for (k, v) in headers {
        h.entry(k.to_string())
            .or_insert_with(|| Value::Array(vec![]))
            .as_array_mut()
            .unwrap()
            .push(Value::String(v.to_string()));
    }
    json!({
        "requestContext": {"elb": {"targetGroupArn": TG}},
        "httpMethod": method,
        "path": path,
        "multiValueQueryStringParameters": {},
        "multiValueHeaders": h,
        "body": "",
        "isBase64Encoded": false
    })
}

/// Calls the handler with the event's JSON and returns the response JSON exactly as sent.
pub fn call(event: &Value) -> Value {
    call_raw(&event.to_string())
}

pub fn call_raw(json: &str) -> Value {
    let response = site_server::handler::handle(json);
    let text = serde_json::to_string(&response).expect("a response always serializes");
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_valid_alb_response(&value);
    value
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

/// What ALB accepts: every field present with the right type, never null, exactly one header
/// field, header values strings (or arrays of strings), base64 that decodes, under 1 MB.
pub fn assert_valid_alb_response(v: &Value) {
    let o = v.as_object().expect("response is a JSON object");
    let code = o["statusCode"].as_u64().expect("statusCode is an integer");
    assert!((100..600).contains(&code));
    let desc = o["statusDescription"]
        .as_str()
        .expect("statusDescription is a string");
    assert!(desc.starts_with(&format!("{code} ")), "{desc}");
    assert!(o["body"].is_string(), "body is a string");
    assert!(o["isBase64Encoded"].is_boolean());
    let single = o.get("headers");
    let multi = o.get("multiValueHeaders");
    assert!(
        single.is_some() != multi.is_some(),
        "exactly one header field: {v}"
    );
    if let Some(h) = single {
        for (_, val) in h.as_object().expect("headers is an object") {
            assert!(val.is_string(), "header values are strings: {v}");
        }
    }
    if let Some(h) = multi {
        for (_, val) in h.as_object().expect("multiValueHeaders is an object") {
            assert!(val.as_array().expect("arrays").iter().all(Value::is_string));
        }
    }
    assert_eq!(o.len(), 5, "no extra fields: {v}");
    if o["isBase64Encoded"].as_bool().unwrap() {
        body_bytes(v);
    }
    assert!(
        v.to_string().len() < 1_000_000,
        "response JSON under ALB's 1 MB limit"
    );
    assert_no_null(v);
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
