//! Helpers shared by the integration tests: build ALB events, call the handler, read responses.
#![allow(dead_code)]

use std::path::PathBuf;

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
    let response = site_server::handler::handle_site(
        site_server::site::embedded().expect("the embedded site"),
        json,
    );
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

/// The front doors an event can come through, each reading its own response shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Front {
    Alb,
    /// Payload format 2.0: Lambda Function URLs and API Gateway HTTP APIs.
    FunctionUrl,
    /// API Gateway REST APIs (payload 1.0), on the stage `prod`.
    RestApi,
    VpcLattice,
}

impl Front {
    pub const ALL: [Front; 4] = [
        Front::Alb,
        Front::FunctionUrl,
        Front::RestApi,
        Front::VpcLattice,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Front::Alb => "alb",
            Front::FunctionUrl => "function-url",
            Front::RestApi => "rest-api",
            Front::VpcLattice => "vpc-lattice",
        }
    }

    /// The request as this door sends it.
    pub fn event(self, e: &AlbEvent) -> Value {
        match self {
            Front::Alb => e.to_json(),
            Front::FunctionUrl => e.to_payload_v2(),
            Front::RestApi => e.to_rest_api("prod"),
            Front::VpcLattice => e.to_lattice(),
        }
    }

    /// The response fields this door reads, the one that holds the headers, and whether header
    /// values are arrays there. (An ALB reads either header field: see [`check_response`].)
    fn shape(self) -> (&'static [&'static str], &'static str, bool) {
        match self {
            Front::FunctionUrl => (
                &[
                    "statusCode",
                    "headers",
                    "cookies",
                    "body",
                    "isBase64Encoded",
                ],
                "headers",
                false,
            ),
            Front::RestApi => (
                &["statusCode", "multiValueHeaders", "body", "isBase64Encoded"],
                "multiValueHeaders",
                true,
            ),
            Front::Alb | Front::VpcLattice => (
                &[
                    "statusCode",
                    "statusDescription",
                    "headers",
                    "body",
                    "isBase64Encoded",
                ],
                "headers",
                false,
            ),
        }
    }

    /// Checks that a response has exactly the shape this door reads: only its fields, every
    /// one it needs, a status code, a string body, header values of the right kind (strings,
    /// or arrays of strings for a REST API), Set-Cookie in `cookies` for payload 2.0, no null
    /// anywhere. An ALB's responses get the full [`check_response`]. Returns it parsed.
    pub fn check(self, text: &str) -> Result<Value, String> {
        if self == Front::Alb {
            return check_response(text);
        }
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        if has_null(&v) {
            return Err("a null in the response".into());
        }
        let o = v.as_object().ok_or("the response is not a JSON object")?;
        let (fields, header_field, arrays) = self.shape();
        if let Some(k) = o.keys().find(|k| !fields.contains(&k.as_str())) {
            return Err(format!("{k} is not a {} response field", self.name()));
        }
        if let Some(k) = fields
            .iter()
            .find(|k| **k != "cookies" && !o.contains_key(**k))
        {
            return Err(format!("no {k:?} field"));
        }
        if !o["statusCode"]
            .as_u64()
            .is_some_and(|c| (100..600).contains(&c))
        {
            return Err("no valid statusCode".into());
        }
        if !o["body"].is_string() || !o["isBase64Encoded"].is_boolean() {
            return Err("body or isBase64Encoded of the wrong type".into());
        }
        for (name, val) in o[header_field].as_object().ok_or("no header field")? {
            let ok = match (val, arrays) {
                (Value::Array(values), true) => {
                    !values.is_empty() && values.iter().all(Value::is_string)
                }
                (Value::String(_), false) => true,
                _ => false,
            };
            if !ok {
                return Err(format!("header {name} has the wrong kind of value"));
            }
            if self == Front::FunctionUrl && name.eq_ignore_ascii_case("set-cookie") {
                return Err("Set-Cookie in headers: payload 2.0 sends it in cookies".into());
            }
        }
        if let Some(cookies) = o.get("cookies") {
            if !cookies
                .as_array()
                .is_some_and(|c| c.iter().all(Value::is_string))
            {
                return Err("cookies is not an array of strings".into());
            }
        }
        Ok(v)
    }

    /// The embedded site's answer to `e` through this door, checked for its shape.
    pub fn ask(self, e: &AlbEvent) -> Value {
        self.ask_raw(&self.event(e).to_string())
    }

    /// The embedded site's answer to an event given as JSON, checked for this door's shape.
    pub fn ask_raw(self, json: &str) -> Value {
        self.checked(
            &serde_json::to_string(&site_server::handler::handle_site(
                site_server::site::embedded().expect("the embedded site"),
                json,
            ))
            .unwrap(),
        )
    }

    /// `site`'s answer to `e` through this door, with what `shell` provides (a login, S3, the
    /// clock), checked for this door's shape.
    pub fn ask_site(
        self,
        site: &site_core::site::Site,
        shell: &site_server::handler::Shell<'_, '_>,
        e: &AlbEvent,
    ) -> Value {
        let json = self.event(e).to_string();
        let (response, _) = site_server::handler::handle_with(site, &json, shell);
        self.checked(&serde_json::to_string(&response).unwrap())
    }

    /// The response parsed, or a panic with why this door would refuse it (and its start).
    fn checked(self, text: &str) -> Value {
        self.check(text)
            .unwrap_or_else(|e| panic!("{e}\nresponse: {}", &text[..text.len().min(2_000)]))
    }
}

fn has_null(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.iter().any(has_null),
        Value::Object(o) => o.values().any(has_null),
        _ => false,
    }
}

/// The emulator binary: `$RIE`, or `.tools/aws-lambda-rie-x86_64` in the crate when it has
/// been fetched; a test that finds neither fails, saying how to get it (these tests are
/// ignored in a bare `cargo test`, and `make test` fetches the emulator before it runs them).
pub fn rie_path() -> PathBuf {
    let path = std::env::var_os("RIE").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(local_alb::kit::rie::FETCHED_PATH),
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "the Runtime Interface Emulator is missing at {}: run `make rie` (make test does)",
        path.display()
    );
    // Absolute: the emulator runs in the temp directory.
    path.canonicalize().expect("the emulator's path resolves")
}

/// The units CloudWatch takes for a metric (`MetricDatum.Unit`).
const CLOUDWATCH_UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// The check of an access line against CloudWatch's Embedded Metric Format specification
/// (docs.aws.amazon.com, "Specification: Embedded metric format"): one line holding one JSON
/// object; `_aws` with an integer `Timestamp` and a non-empty `CloudWatchMetrics`; each
/// directive with a 1–255 character `Namespace`, dimension sets of at most 30 names that each
/// name a string member of the root, and at most 100 metrics, each with a 1–255 character `Name`,
/// a unit CloudWatch takes, and a number (or at most 100 numbers) under its name at the root; no
/// member the specification does not define in `_aws`, a directive or a metric. Returns the
/// line parsed.
pub fn check_emf(line: &str) -> Result<Value, String> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    if line.contains('\n') {
        return Err("more than one line".into());
    }
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let root = v.as_object().ok_or("not a JSON object")?;
    let aws = root
        .get("_aws")
        .and_then(Value::as_object)
        .ok_or("no _aws object")?;
    if let Some(k) = aws
        .keys()
        .find(|k| !["Timestamp", "CloudWatchMetrics"].contains(&k.as_str()))
    {
        return Err(format!(
            "_aws has a member {k:?} the specification does not define"
        ));
    }
    if !aws.get("Timestamp").is_some_and(Value::is_u64) {
        return Err("_aws.Timestamp is not a whole number of milliseconds".into());
    }
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .filter(|d| !d.is_empty())
        .ok_or("_aws.CloudWatchMetrics is not a non-empty array")?;
    for d in directives {
        let d = d.as_object().ok_or("a directive is not an object")?;
        if let Some(k) = d
            .keys()
            .find(|k| !["Namespace", "Dimensions", "Metrics"].contains(&k.as_str()))
        {
            return Err(format!(
                "a directive has a member {k:?} the specification does not define"
            ));
        }
        let ns = d
            .get("Namespace")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !(1..=255).contains(&ns.chars().count()) {
            return Err(format!("Namespace {ns:?} is not 1 to 255 characters"));
        }
        for set in d
            .get("Dimensions")
            .and_then(Value::as_array)
            .ok_or("no Dimensions array")?
        {
            let set = set.as_array().ok_or("a dimension set is not an array")?;
            if set.len() > 30 {
                return Err("a dimension set of more than 30 dimensions".into());
            }
            for name in set {
                let name = name.as_str().ok_or("a dimension name is not a string")?;
                match root.get(name).and_then(Value::as_str) {
                    Some(value) if !value.is_empty() && value.chars().count() <= 1024 => {}
                    _ => {
                        return Err(format!(
                            "dimension {name:?} has no string value at the root"
                        ))
                    }
                }
            }
        }
        let metrics = d
            .get("Metrics")
            .and_then(Value::as_array)
            .ok_or("no Metrics array")?;
        if metrics.len() > 100 {
            return Err("more than 100 metrics in a directive".into());
        }
        for m in metrics {
            let m = m.as_object().ok_or("a metric is not an object")?;
            if let Some(k) = m
                .keys()
                .find(|k| !["Name", "Unit", "StorageResolution"].contains(&k.as_str()))
            {
                return Err(format!(
                    "a metric has a member {k:?} the specification does not define"
                ));
            }
            let name = m.get("Name").and_then(Value::as_str).unwrap_or_default();
            if !(1..=255).contains(&name.chars().count()) {
                return Err(format!("metric name {name:?} is not 1 to 255 characters"));
            }
            if let Some(unit) = m.get("Unit") {
                if !unit.as_str().is_some_and(|u| CLOUDWATCH_UNITS.contains(&u)) {
                    return Err(format!(
                        "metric {name}: unit {unit} is not one CloudWatch takes"
                    ));
                }
            }
            let ok = match root.get(name) {
                Some(Value::Number(_)) => true,
                Some(Value::Array(values)) => {
                    values.len() <= 100 && values.iter().all(Value::is_number)
                }
                _ => false,
            };
            if !ok {
                return Err(format!("metric {name} has no number at the root"));
            }
        }
    }
    Ok(v)
}

/// The built binary's `bootstrap invoke -` with `event` on its stdin, the variables in `unset`
/// removed and those of `env` set: how it exited and what it printed (`kit::invoke::local`).
pub fn bootstrap_invoke(event: &str, env: &[(&str, &str)], unset: &[&str]) -> std::process::Output {
    local_alb::kit::invoke::local(
        std::path::Path::new(env!("CARGO_BIN_EXE_bootstrap")),
        event,
        env,
        unset,
    )
}
