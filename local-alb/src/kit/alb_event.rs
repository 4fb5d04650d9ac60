//! ALB's Lambda events, as a target group sends them in either header mode. (local-alb's
//! `event` module turns a real HTTP request into one; this builds one from parts.)

use serde_json::{json, Map, Value};

/// The target group every kit event comes from.
pub const TARGET_GROUP_ARN: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/site/6d0ecf831eec9f09";

/// What reaches the function from a browser besides the headers that vary per request: ALB's
/// own x-forwarded-* and trace id, a host and a user agent.
pub const BROWSER_HEADERS: &[(&str, &str)] = &[
    (
        "host",
        "alb-static-site-123456789.us-east-1.elb.amazonaws.com",
    ),
    (
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    ),
    (
        "x-amzn-trace-id",
        "Root=1-5bdb40ca-556d8b0c50dc66f0511bf520",
    ),
    ("x-forwarded-for", "72.21.198.66"),
    ("x-forwarded-port", "443"),
    ("x-forwarded-proto", "https"),
];

/// One ALB event. Fields are public so property tests can generate them directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlbEvent {
    /// The target group's `lambda.multi_value_headers.enabled`: `multiValueHeaders` and
    /// `multiValueQueryStringParameters` instead of `headers` and `queryStringParameters`.
    pub multi_value: bool,
    pub method: String,
    pub path: String,
    /// In order; in single-value mode the last value of a repeated name wins, as with ALB.
    pub headers: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    /// `None` leaves the field out: ALB always sends it, but a handler must cope without.
    pub body: Option<String>,
    pub is_base64_encoded: Option<bool>,
}

impl AlbEvent {
    /// A request with no headers, no query and an empty text body, in single-value mode.
    pub fn new(method: &str, path: &str) -> AlbEvent {
        AlbEvent {
            multi_value: false,
            method: method.to_string(),
            path: path.to_string(),
            headers: Vec::new(),
            query: Vec::new(),
            body: Some(String::new()),
            is_base64_encoded: Some(false),
        }
    }

    pub fn multi_value(mut self, on: bool) -> AlbEvent {
        self.multi_value = on;
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> AlbEvent {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// A GET from a browser through ALB: [`BROWSER_HEADERS`], then `headers`.
    pub fn browser_get(path: &str, headers: &[(&str, &str)]) -> AlbEvent {
        AlbEvent::new("GET", path)
            .headers(BROWSER_HEADERS)
            .headers(headers)
    }

    pub fn headers(self, headers: &[(&str, &str)]) -> AlbEvent {
        headers
            .iter()
            .fold(self, |event, (name, value)| event.header(name, value))
    }

    pub fn to_json(&self) -> Value {
        let mut event = json!({
            "requestContext": {"elb": {"targetGroupArn": TARGET_GROUP_ARN}},
            "httpMethod": self.method,
            "path": self.path,
        });
        if self.multi_value {
            event["multiValueHeaders"] = grouped(&self.headers);
            event["multiValueQueryStringParameters"] = grouped(&self.query);
        } else {
            event["headers"] = last_wins(&self.headers);
            event["queryStringParameters"] = last_wins(&self.query);
        }
        if let Some(body) = &self.body {
            event["body"] = Value::from(body.as_str());
        }
        if let Some(flag) = self.is_base64_encoded {
            event["isBase64Encoded"] = Value::from(flag);
        }
        event
    }
}

impl AlbEvent {
    /// The same request as a Lambda Function URL (or an API Gateway HTTP API) sends it, payload
    /// format 2.0: `rawPath` and `rawQueryString` as sent, the method in
    /// `requestContext.http`, one value per header (repeated names joined with commas, as
    /// those front doors do), and the Cookie header split into `cookies`.
    pub fn to_payload_v2(&self) -> Value {
        let mut headers = Map::new();
        let mut cookies = Vec::new();
        for (k, v) in &self.headers {
            let name = k.to_ascii_lowercase();
            if name == "cookie" {
                cookies.extend(v.split(';').map(|c| Value::from(c.trim())));
                continue;
            }
            match headers.get_mut(&name) {
                Some(Value::String(prev)) => {
                    prev.push(',');
                    prev.push_str(v);
                }
                _ => {
                    headers.insert(name, Value::from(v.as_str()));
                }
            }
        }
        let query: Vec<String> = self
            .query
            .iter()
            .map(|(k, v)| {
                if v.is_empty() {
                    k.clone()
                } else {
                    format!("{k}={v}")
                }
            })
            .collect();
        let mut event = json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": self.path,
            "rawQueryString": query.join("&"),
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "abcdefghijklmnopqrstuvwxyz",
                "domainName": "abcdefghijklmnopqrstuvwxyz.lambda-url.us-east-1.on.aws",
                "domainPrefix": "abcdefghijklmnopqrstuvwxyz",
                "http": {
                    "method": self.method,
                    "path": self.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "203.0.113.9",
                    "userAgent": "Mozilla/5.0"
                },
                "requestId": "id",
                "routeKey": "$default",
                "stage": "$default",
                "time": "30/Nov/2026:19:00:00 +0000",
                "timeEpoch": 1_796_065_200_000u64
            },
            "isBase64Encoded": self.is_base64_encoded.unwrap_or(false),
        });
        if !cookies.is_empty() {
            event["cookies"] = Value::Array(cookies);
        }
        if let Some(body) = &self.body {
            if !body.is_empty() {
                event["body"] = Value::from(body.as_str());
            }
        }
        event
    }
}

impl AlbEvent {
    /// The same request as an API Gateway REST API sends it (payload 1.0, Lambda proxy) from
    /// stage `stage`: both header fields, query keys and values decoded (these are built
    /// unencoded), `requestContext.path` with the stage in front of `path`.
    pub fn to_rest_api(&self, stage: &str) -> Value {
        let single = |pairs: &[(String, String)]| {
            let mut map = Map::new();
            for (k, v) in pairs {
                map.insert(k.clone(), Value::from(v.as_str()));
            }
            Value::Object(map)
        };
        let mut event = json!({
            "resource": "/{proxy+}",
            "path": self.path,
            "httpMethod": self.method,
            "headers": single(&self.headers),
            "multiValueHeaders": grouped(&self.headers),
            "queryStringParameters": if self.query.is_empty() { Value::Null } else { single(&self.query) },
            "multiValueQueryStringParameters": if self.query.is_empty() { Value::Null } else { grouped(&self.query) },
            "pathParameters": {"proxy": self.path.trim_start_matches('/')},
            "stageVariables": null,
            "requestContext": {
                "accountId": "123456789012",
                "resourceId": "roq9wj",
                "stage": stage,
                "path": format!("/{stage}{}", self.path),
                "resourcePath": "/{proxy+}",
                "httpMethod": self.method,
                "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
                "protocol": "HTTP/1.1",
                "identity": {"sourceIp": "203.0.113.9", "userAgent": "Mozilla/5.0"},
                "domainName": "abcdefghij.execute-api.us-east-1.amazonaws.com",
                "apiId": "abcdefghij"
            },
            "body": null,
            "isBase64Encoded": self.is_base64_encoded.unwrap_or(false),
        });
        if let Some(body) = &self.body {
            event["body"] = Value::from(body.as_str());
        }
        event
    }

    /// The same request as VPC Lattice sends it (event version 2.0): `method`, `path`, every
    /// header and query value in an array, the service network in `requestContext`.
    pub fn to_lattice(&self) -> Value {
        let mut event = json!({
            "version": "2.0",
            "path": self.path,
            "method": self.method,
            "headers": grouped(&self.headers),
            "queryStringParameters": grouped(&self.query),
            "body": self.body.clone().map_or(Value::Null, Value::from),
            "isBase64Encoded": self.is_base64_encoded.unwrap_or(false),
            "requestContext": {
                "serviceNetworkArn": "arn:aws:vpc-lattice:us-east-1:123456789012:servicenetwork/sn-0bf3f2882e9cc805a",
                "serviceArn": "arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0a40eebed65f8d69c",
                "targetGroupArn": "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-6d0ecf831eec9f09",
                "identity": {"sourceVpcArn": "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0b8276c84697e7339", "type": "NONE"},
                "region": "us-east-1",
                "timeEpoch": "1796065200000000"
            }
        });
        if self.body.is_none() {
            event["body"] = Value::Null;
        }
        event
    }
}

impl std::fmt::Display for AlbEvent {
    /// The event's JSON text, as the Lambda service passes it to the function.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

fn last_wins(pairs: &[(String, String)]) -> Value {
    let map: Map<String, Value> = pairs
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    Value::Object(map)
}

fn grouped(pairs: &[(String, String)]) -> Value {
    let mut map = Map::new();
    for (k, v) in pairs {
        if let Value::Array(values) = map
            .entry(k.clone())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            values.push(Value::from(v.as_str()));
        }
    }
    Value::Object(map)
}

/// A single-value-mode event, as ALB sends with multi-value headers off.
pub fn event(method: &str, path: &str, headers: &[(&str, &str)]) -> Value {
    AlbEvent::new(method, path).headers(headers).to_json()
}

/// A multi-value-mode event, as ALB sends with multi-value headers on.
pub fn event_multi(method: &str, path: &str, headers: &[(&str, &str)]) -> Value {
    AlbEvent::new(method, path)
        .multi_value(true)
        .headers(headers)
        .to_json()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_value_mode_keeps_the_last_value_of_a_repeated_header() {
        let e = event("GET", "/a", &[("x", "1"), ("x", "2"), ("y", "3")]);
        assert_eq!(
            e,
            json!({
                "requestContext": {"elb": {"targetGroupArn": TARGET_GROUP_ARN}},
                "httpMethod": "GET",
                "path": "/a",
                "queryStringParameters": {},
                "headers": {"x": "2", "y": "3"},
                "body": "",
                "isBase64Encoded": false
            })
        );
    }

    #[test]
    fn multi_value_mode_keeps_every_value_in_order_and_only_the_multi_value_fields() {
        let e = AlbEvent::new("HEAD", "/b")
            .multi_value(true)
            .headers(&[("x", "1"), ("x", "2")])
            .to_json();
        assert_eq!(e["multiValueHeaders"], json!({"x": ["1", "2"]}));
        assert_eq!(e["multiValueQueryStringParameters"], json!({}));
        assert!(e.get("headers").is_none() && e.get("queryStringParameters").is_none());
    }

    #[test]
    fn a_missing_body_leaves_both_body_fields_out() {
        let mut e = AlbEvent::new("GET", "/");
        e.body = None;
        e.is_base64_encoded = None;
        let v = e.to_json();
        assert!(
            v.get("body").is_none() && v.get("isBase64Encoded").is_none(),
            "{v}"
        );
        assert_eq!(e.to_string(), v.to_string());
    }
}
