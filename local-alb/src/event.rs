//! Turns one HTTP request into the JSON event ALB would send to its Lambda target
//! (the event AWS documents for Lambda targets). Pure: no I/O, so every rule is unit-testable.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hyper::HeaderMap;
use serde_json::{json, Map, Value};

/// Everything about a request that the event needs besides its headers and body.
pub struct RequestLine<'a> {
    pub method: &'a str,
    /// The request-target's path exactly as the client sent it (still percent-encoded).
    pub path: &'a str,
    /// The raw query string without `?`, if there was one.
    pub query: Option<&'a str>,
}

/// What ALB itself adds or decides, independent of the client.
pub struct Context<'a> {
    pub target_group_arn: &'a str,
    pub multi_value: bool,
    pub client_ip: String,
    pub listen_port: u16,
    pub trace_id: &'a str,
}

/// Builds the event. `Err` carries the reason the request is a bad one (a 400).
pub fn build(
    line: &RequestLine,
    headers: &HeaderMap,
    body: &[u8],
    ctx: &Context,
) -> Result<Value, String> {
    let header_pairs = alb_headers(headers, ctx)?;
    let query_pairs = split_query(line.query.unwrap_or(""));
    let (body, is_base64) = encode_body(headers, body)?;

    let mut event = Map::new();
    event.insert(
        "requestContext".into(),
        json!({"elb": {"targetGroupArn": ctx.target_group_arn}}),
    );
    event.insert("httpMethod".into(), line.method.into());
    event.insert("path".into(), line.path.into());
    if ctx.multi_value {
        event.insert(
            "multiValueQueryStringParameters".into(),
            multi_map(query_pairs),
        );
        event.insert("multiValueHeaders".into(), multi_map(header_pairs));
    } else {
        event.insert("queryStringParameters".into(), last_wins_map(query_pairs));
        event.insert("headers".into(), last_wins_map(header_pairs));
    }
    event.insert("body".into(), body.into());
    event.insert("isBase64Encoded".into(), is_base64.into());
    Ok(Value::Object(event))
}

/// Builds the payload format 2.0 event a Lambda Function URL sends for the request: the path
/// and query raw in `rawPath` / `rawQueryString`, header names lowercase with repeated values
/// joined by commas, the Cookie header split into `cookies`, the method and client in
/// `requestContext.http`, and the body base64 unless it is text.
pub fn build_function_url(
    line: &RequestLine,
    headers: &HeaderMap,
    body: &[u8],
    ctx: &Context,
) -> Result<Value, String> {
    let mut map = Map::new();
    let mut cookies = Vec::new();
    for (name, value) in headers {
        let value = std::str::from_utf8(value.as_bytes())
            .map_err(|_| format!("header {name} is not valid UTF-8"))?;
        if name.as_str() == "cookie" {
            cookies.extend(
                value
                    .split(';')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(|c| Value::String(c.to_string())),
            );
            continue;
        }
        match map.get_mut(name.as_str()) {
            Some(Value::String(prev)) => {
                prev.push(',');
                prev.push_str(value);
            }
            _ => {
                map.insert(name.as_str().to_string(), Value::String(value.to_string()));
            }
        }
    }
    map.insert("x-forwarded-for".into(), ctx.client_ip.clone().into());
    map.insert("x-forwarded-proto".into(), "http".into());
    map.insert(
        "x-forwarded-port".into(),
        ctx.listen_port.to_string().into(),
    );
    map.insert("x-amzn-trace-id".into(), ctx.trace_id.into());
    let (body, is_base64) = encode_body(headers, body)?;
    let user_agent = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": line.path,
        "rawQueryString": line.query.unwrap_or(""),
        "headers": Value::Object(map),
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "local",
            "domainName": format!("127.0.0.1:{}", ctx.listen_port),
            "domainPrefix": "local",
            "http": {
                "method": line.method,
                "path": line.path,
                "protocol": "HTTP/1.1",
                "sourceIp": ctx.client_ip,
                "userAgent": user_agent,
            },
            "requestId": ctx.trace_id,
            "routeKey": "$default",
            "stage": "$default",
            "timeEpoch": crate::ids::epoch_millis(),
        },
        "isBase64Encoded": is_base64,
    });
    if !cookies.is_empty() {
        event["cookies"] = Value::Array(cookies);
    }
    if !body.is_empty() {
        event["body"] = Value::String(body);
    }
    Ok(event)
}

/// Splits a query string the way ALB does: on `&` and the first `=`, with no
/// decoding at all, so `%3F` and `+` reach the function as sent.
fn split_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| match piece.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (piece.to_string(), String::new()),
        })
        .collect()
}

/// The client's headers plus the ones ALB adds, in arrival order, names lowercase
/// (hyper's `HeaderName` is already lowercase).
fn alb_headers(headers: &HeaderMap, ctx: &Context) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::with_capacity(headers.len() + 4);
    let mut prior_xff: Vec<String> = Vec::new();
    for (name, value) in headers {
        // ALB rejects non-UTF-8 header bytes (LambdaBadRequest); hyper's to_str is
        // stricter than UTF-8, so check the bytes ourselves.
        let value = std::str::from_utf8(value.as_bytes())
            .map_err(|_| format!("header {name} is not valid UTF-8"))?;
        match name.as_str() {
            // ALB sets these itself; a client's own values must not leak through.
            "x-forwarded-proto" | "x-forwarded-port" | "x-amzn-trace-id" => {}
            // Default xff mode is "append": earlier hops stay, the client IP goes last.
            "x-forwarded-for" => prior_xff.push(value.to_string()),
            "host" => out.push(("host".to_string(), value.to_ascii_lowercase())),
            _ => out.push((name.as_str().to_string(), value.to_string())),
        }
    }
    prior_xff.push(ctx.client_ip.clone());
    out.push(("x-forwarded-for".into(), prior_xff.join(", ")));
    out.push(("x-forwarded-proto".into(), "http".into()));
    out.push(("x-forwarded-port".into(), ctx.listen_port.to_string()));
    out.push(("x-amzn-trace-id".into(), ctx.trace_id.to_string()));
    Ok(out)
}

fn last_wins_map(pairs: Vec<(String, String)>) -> Value {
    let mut map = Map::new();
    for (k, v) in pairs {
        map.insert(k, Value::String(v));
    }
    Value::Object(map)
}

fn multi_map(pairs: Vec<(String, String)>) -> Value {
    let mut map = Map::new();
    for (k, v) in pairs {
        match map.entry(k).or_insert_with(|| Value::Array(Vec::new())) {
            Value::Array(values) => values.push(Value::String(v)),
            _ => unreachable!("multi_map only inserts arrays"),
        }
    }
    Value::Object(map)
}

/// ALB's body rule: base64 when there is a content-encoding, or when the
/// content type is not one of the text types; a body without a content type is
/// base64 too. An empty body is `""` either way, flagged as text like AWS's examples.
fn encode_body(headers: &HeaderMap, body: &[u8]) -> Result<(String, bool), String> {
    if body.is_empty() {
        return Ok((String::new(), false));
    }
    let encoded = headers.contains_key("content-encoding");
    let textual = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(is_text_type)
        .unwrap_or(false);
    if encoded || !textual {
        return Ok((STANDARD.encode(body), true));
    }
    match std::str::from_utf8(body) {
        Ok(text) => Ok((text.to_string(), false)),
        Err(_) => Err("text body is not valid UTF-8".to_string()),
    }
}

fn is_text_type(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    media.starts_with("text/")
        || matches!(
            media.as_str(),
            "application/json" | "application/javascript" | "application/xml"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::{HeaderName, HeaderValue};

    fn ctx(multi: bool) -> Context<'static> {
        Context {
            target_group_arn: "arn:tg",
            multi_value: multi,
            client_ip: "127.0.0.1".into(),
            listen_port: 3000,
            trace_id: "Root=1-00000000-000000000000000000000000",
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    fn event(query: Option<&str>, h: &[(&str, &str)], body: &[u8], multi: bool) -> Value {
        let line = RequestLine {
            method: "GET",
            path: "/a%2Fb",
            query,
        };
        build(&line, &headers(h), body, &ctx(multi)).unwrap()
    }

    #[test]
    fn a_function_url_event_splits_cookies_and_joins_repeated_headers() {
        let line = RequestLine {
            method: "GET",
            path: "/a%2Fb",
            query: Some("x=%3F&y=1"),
        };
        let e = build_function_url(
            &line,
            &headers(&[("cookie", "a=1; b=2"), ("accept", "a"), ("accept", "b")]),
            b"",
            &ctx(false),
        )
        .unwrap();
        assert_eq!(e["version"], "2.0");
        assert_eq!(e["rawPath"], "/a%2Fb");
        assert_eq!(e["rawQueryString"], "x=%3F&y=1");
        assert_eq!(e["cookies"], json!(["a=1", "b=2"]));
        assert_eq!(e["headers"]["accept"], "a,b");
        assert_eq!(e["requestContext"]["http"]["method"], "GET");
        assert!(e["headers"].get("cookie").is_none());
    }

    #[test]
    fn query_is_not_decoded_and_last_value_wins() {
        let e = event(Some("x=%3F&y=a+b&y=c&flag"), &[], b"", false);
        assert_eq!(
            e["queryStringParameters"],
            json!({"x": "%3F", "y": "c", "flag": ""})
        );
        assert_eq!(e["path"], "/a%2Fb");
        assert!(e.get("multiValueHeaders").is_none());
    }

    #[test]
    fn multi_value_mode_keeps_every_value_in_order() {
        let e = event(
            Some("y=1&y=2"),
            &[("cookie", "a=1"), ("cookie", "b=2")],
            b"",
            true,
        );
        assert_eq!(
            e["multiValueQueryStringParameters"],
            json!({"y": ["1", "2"]})
        );
        assert_eq!(e["multiValueHeaders"]["cookie"], json!(["a=1", "b=2"]));
        assert!(e.get("headers").is_none());
    }

    #[test]
    fn no_query_gives_empty_object() {
        let e = event(None, &[], b"", false);
        assert_eq!(e["queryStringParameters"], json!({}));
        assert_eq!(e["body"], "");
        assert_eq!(e["isBase64Encoded"], false);
    }

    #[test]
    fn body_encoding_follows_albs_rule() {
        let cases: &[(&[(&str, &str)], bool)] = &[
            (&[("content-type", "application/json")], false),
            (&[("content-type", "text/plain; charset=utf-8")], false),
            (&[("content-type", "application/xml")], false),
            (
                &[("content-type", "application/x-www-form-urlencoded")],
                true,
            ),
            (&[], true),
            (
                &[("content-type", "text/plain"), ("content-encoding", "gzip")],
                true,
            ),
        ];
        for (h, b64) in cases {
            let e = event(None, h, b"hi", false);
            assert_eq!(e["isBase64Encoded"], *b64, "{h:?}");
            assert_eq!(e["body"], if *b64 { "aGk=" } else { "hi" });
        }
    }

    #[test]
    fn alb_headers_are_added_and_host_lowercased() {
        let e = event(
            None,
            &[("host", "LocalHost:3000"), ("x-forwarded-for", "10.0.0.1")],
            b"",
            false,
        );
        let h = &e["headers"];
        assert_eq!(h["host"], "localhost:3000");
        assert_eq!(h["x-forwarded-for"], "10.0.0.1, 127.0.0.1");
        assert_eq!(h["x-forwarded-proto"], "http");
        assert_eq!(h["x-forwarded-port"], "3000");
        assert!(h["x-amzn-trace-id"]
            .as_str()
            .unwrap()
            .starts_with("Root=1-"));
    }
}
