//! Turns one HTTP request into the JSON event a front door would send to its Lambda function:
//! ALB's (the event AWS documents for Lambda targets), a Function URL's or an HTTP API's
//! (payload format 2.0), a REST API's (payload 1.0, Lambda proxy) or VPC Lattice's (event
//! structure version 2). Pure but for the clock and ids, so every rule is unit-testable.

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

/// Where the stand-in API or service lives: the names and ids its events carry.
pub struct Place<'a> {
    pub region: &'a str,
    /// The REST API's stage: the first segment of every path it serves (`--stage`).
    pub stage: &'a str,
}

/// The account every stand-in resource is in (AWS's documentation example account).
pub const ACCOUNT_ID: &str = "123456789012";

/// The stand-in API's id, in API Gateway's form (ten lowercase letters and digits).
pub const API_ID: &str = "localapi01";

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
    let parts = v2_parts(headers, body, ctx)?;
    let context = json!({
        "accountId": "anonymous",
        "apiId": "local",
        "domainName": format!("127.0.0.1:{}", ctx.listen_port),
        "domainPrefix": "local",
        "http": {
            "method": line.method,
            "path": line.path,
            "protocol": "HTTP/1.1",
            "sourceIp": ctx.client_ip,
            "userAgent": parts.user_agent,
        },
        "requestId": ctx.trace_id,
        "routeKey": "$default",
        "stage": "$default",
        "timeEpoch": crate::ids::epoch_millis(),
    });
    Ok(v2_event(
        line.path,
        line.query.unwrap_or(""),
        parts,
        context,
    ))
}

/// Builds the payload format 2.0 event an API Gateway HTTP API sends from its `$default` route
/// and stage: a Function URL's shape, with API Gateway's `requestContext` and, when there is a
/// query, `queryStringParameters` (decoded, repeated names' values joined by commas).
///
/// The path: AWS documents nothing, but live captures (third-party, the project's ALB contract
/// §"Path") show an HTTP API, unlike a Function URL, a REST API or an ALB, putting the path in
/// `rawPath` percent-decoded, cut at a decoded `?`; `rawQueryString` stays as sent. The
/// project's fixtures hold no HTTP API event to say otherwise, so it is played as reported: a
/// function that decodes `rawPath` again, or needs an encoded `/` or `%`, shows it here first.
pub fn build_http_api(
    line: &RequestLine,
    headers: &HeaderMap,
    body: &[u8],
    ctx: &Context,
    place: &Place,
) -> Result<Value, String> {
    let path = http_api_path(line.path);
    let parts = v2_parts(headers, body, ctx)?;
    let now = crate::ids::epoch_millis();
    let context = json!({
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": format!("{API_ID}.execute-api.{}.amazonaws.com", place.region),
        "domainPrefix": API_ID,
        "http": {
            "method": line.method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": ctx.client_ip,
            "userAgent": parts.user_agent,
        },
        "requestId": crate::ids::gateway_request_id(),
        "routeKey": "$default",
        "stage": "$default",
        "time": crate::ids::log_time(now),
        "timeEpoch": now,
    });
    let mut event = v2_event(&path, line.query.unwrap_or(""), parts, context);
    let mut params = Map::new();
    for (k, v) in decoded_query(line.query.unwrap_or("")) {
        match params.get_mut(&k) {
            Some(Value::String(prev)) => {
                prev.push(',');
                prev.push_str(&v);
            }
            _ => {
                params.insert(k, Value::String(v));
            }
        }
    }
    if !params.is_empty() {
        event["queryStringParameters"] = Value::Object(params);
    }
    Ok(event)
}

/// An HTTP API's `rawPath` for the path the client sent: decoded once, cut at a decoded `?`.
/// Bytes that decode to no UTF-8 become U+FFFD (what the real one does there is not known; a
/// JSON string can only hold text).
fn http_api_path(raw: &str) -> String {
    let mut path = percent_decode(raw, false);
    if let Some(at) = path.find('?') {
        path.truncate(at);
    }
    path
}

/// The part of `path` under the REST API's stage (`/prod/a` gives `/a`, `/prod` gives `/`), or
/// `None` outside it, where API Gateway answers 403 itself.
pub fn stage_path<'p>(path: &'p str, stage: &str) -> Option<&'p str> {
    let rest = path.strip_prefix('/')?.strip_prefix(stage)?;
    match rest {
        "" => Some("/"),
        r if r.starts_with('/') => Some(r),
        _ => None,
    }
}

/// Builds the event an API Gateway REST API sends through a Lambda proxy integration (payload
/// 1.0) on stage `place.stage`, from an API with `ANY /` and `ANY /{proxy+}` (the root needs
/// its own method: `{proxy+}` matches one segment or more). `path` is the path without the
/// stage, still percent-encoded as sent; `requestContext.path` is the one the client asked
/// for. Both header fields, as API Gateway sends them (names lowercase: the client's own case
/// is gone by the time hyper hands the request over); the query decoded (`+` a space), `null`
/// when there is none. The body: with the project's `binaryMediaTypes` of `*/*` every body
/// is binary to API Gateway, so a non-empty one is always base64; an empty one is `null`.
pub fn build_rest_api(
    line: &RequestLine,
    headers: &HeaderMap,
    body: &[u8],
    ctx: &Context,
    place: &Place,
) -> Result<Value, String> {
    let Some(path) = stage_path(line.path, place.stage) else {
        return Err(format!(
            "{} is not under the stage /{}",
            line.path, place.stage
        ));
    };
    let header_pairs = alb_headers(headers, ctx)?;
    let query_pairs = decoded_query(line.query.unwrap_or(""));
    let (resource, path_parameters) = match path.strip_prefix('/') {
        Some("") | None => ("/", Value::Null),
        Some(proxy) => ("/{proxy+}", json!({ "proxy": proxy })),
    };
    let (body, is_base64) = if body.is_empty() {
        (Value::Null, false)
    } else {
        (Value::String(STANDARD.encode(body)), true)
    };
    let (query, multi_query) = if query_pairs.is_empty() {
        (Value::Null, Value::Null)
    } else {
        (last_wins_map(query_pairs.clone()), multi_map(query_pairs))
    };
    let now = crate::ids::epoch_millis();
    Ok(json!({
        "resource": resource,
        "path": path,
        "httpMethod": line.method,
        "headers": last_wins_map(header_pairs.clone()),
        "multiValueHeaders": multi_map(header_pairs),
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_parameters,
        "stageVariables": null,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": format!("{API_ID}.execute-api.{}.amazonaws.com", place.region),
            "domainPrefix": API_ID,
            "extendedRequestId": crate::ids::gateway_request_id(),
            "httpMethod": line.method,
            "identity": {
                "sourceIp": ctx.client_ip,
                "userAgent": user_agent(headers),
            },
            "path": line.path,
            "protocol": "HTTP/1.1",
            "requestId": crate::ids::request_id(),
            "requestTime": crate::ids::log_time(now),
            "requestTimeEpoch": now,
            "resourceId": "a1b2c3",
            "resourcePath": resource,
            "stage": place.stage,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }))
}

/// Builds the event a VPC Lattice service sends to a Lambda target group of event structure
/// version 2: `method`, the path as sent, every header (names lowercase, `x-forwarded-for`
/// ending with the client) and query value in an array, the body by ALB's rule (`null` when
/// empty), the service network, service and target group in `requestContext`. The query
/// values go as sent, undecoded, as the server's reader of these events takes them.
pub fn build_lattice(
    line: &RequestLine,
    headers: &HeaderMap,
    body: &[u8],
    ctx: &Context,
    place: &Place,
) -> Result<Value, String> {
    let mut pairs = Vec::with_capacity(headers.len() + 1);
    let mut forwarded_for = Vec::new();
    for (name, value) in headers {
        let value = std::str::from_utf8(value.as_bytes())
            .map_err(|_| format!("header {name} is not valid UTF-8"))?;
        if name.as_str() == "x-forwarded-for" {
            forwarded_for.push(value.to_string());
        } else {
            pairs.push((name.as_str().to_string(), value.to_string()));
        }
    }
    forwarded_for.push(ctx.client_ip.clone());
    pairs.push(("x-forwarded-for".into(), forwarded_for.join(", ")));
    let (body, is_base64) = encode_body(headers, body)?;
    let (region, account) = (place.region, ACCOUNT_ID);
    Ok(json!({
        "version": "2.0",
        "path": line.path,
        "method": line.method,
        "headers": multi_map(pairs),
        "queryStringParameters": multi_map(split_query(line.query.unwrap_or(""))),
        "body": if body.is_empty() { Value::Null } else { Value::String(body) },
        "isBase64Encoded": is_base64,
        "requestContext": {
            "serviceNetworkArn": format!("arn:aws:vpc-lattice:{region}:{account}:servicenetwork/sn-0123456789abcdef0"),
            "serviceArn": format!("arn:aws:vpc-lattice:{region}:{account}:service/svc-0123456789abcdef0"),
            "targetGroupArn": ctx.target_group_arn,
            "identity": {
                "sourceVpcArn": format!("arn:aws:ec2:{region}:{account}:vpc/vpc-0123456789abcdef0"),
                "type": "NONE",
            },
            "region": region,
            "timeEpoch": crate::ids::epoch_micros().to_string(),
        },
    }))
}

/// What payload format 2.0 makes of the headers and body, the same for every door that sends
/// it: names lowercase, a repeated name's values joined by commas, Cookie split into `cookies`,
/// the forwarding headers set, the body base64 unless it is text.
struct V2Parts {
    headers: Map<String, Value>,
    cookies: Vec<Value>,
    body: String,
    is_base64: bool,
    user_agent: String,
}

fn v2_parts(headers: &HeaderMap, body: &[u8], ctx: &Context) -> Result<V2Parts, String> {
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
    Ok(V2Parts {
        headers: map,
        cookies,
        body,
        is_base64,
        user_agent: user_agent(headers).to_string(),
    })
}

fn v2_event(raw_path: &str, raw_query: &str, parts: V2Parts, request_context: Value) -> Value {
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": Value::Object(parts.headers),
        "requestContext": request_context,
        "isBase64Encoded": parts.is_base64,
    });
    if !parts.cookies.is_empty() {
        event["cookies"] = Value::Array(parts.cookies);
    }
    if !parts.body.is_empty() {
        event["body"] = Value::String(parts.body);
    }
    event
}

fn user_agent(headers: &HeaderMap) -> &str {
    headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// A query decoded as API Gateway decodes it (`+` a space, then `%XX`), in order; a piece with
/// no `=` has the value "".
fn decoded_query(query: &str) -> Vec<(String, String)> {
    split_query(query)
        .into_iter()
        .map(|(k, v)| (percent_decode(&k, true), percent_decode(&v, true)))
        .collect()
}

/// Decodes `%XX` once (and `+` as a space when `plus_is_space`); a `%` without two hex digits
/// after it stays as it is. Bytes that are not UTF-8 once decoded become U+FFFD.
fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|&b| (b as char).to_digit(16));
        match bytes[i] {
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
mod tests;
