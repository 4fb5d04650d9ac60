//! Malformed and oversized events: each gets a valid ALB response (a 400 where ALB could not
//! have sent the event, otherwise what the request asks for), in the mode the event came in;
//! never a panic, never an invocation error (which ALB turns into a 502).

mod common;

use common::*;
use serde_json::{json, Value};

/// Handles raw event text; checks validity and, when given, the header mode and status.
fn answer(event: &str, mode_multi: Option<bool>, expected: u64) -> Value {
    let r = call_raw(event);
    assert_eq!(
        status(&r),
        expected,
        "{}: {r}",
        &event[..event.len().min(200)]
    );
    if let Some(multi) = mode_multi {
        assert_eq!(
            r.get("multiValueHeaders").is_some(),
            multi,
            "answered in the wrong header mode: {r}"
        );
    }
    assert_no_null(&r);
    r
}

// ---- not an event at all ---------------------------------------------------------------------

#[test]
fn text_that_is_not_json_gets_400() {
    for e in [
        "",
        " ",
        "{",
        "}",
        "{\"httpMethod\":\"GET\",\"path\":\"/\"",
        "{'httpMethod':'GET','path':'/'}",
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "\u{feff}{\"httpMethod\":\"GET\",\"path\":\"/\"}",
        "{\"httpMethod\":\"GET\",\"path\":\"/\"} trailing",
        "{\"httpMethod\":\"GET\",\"path\":\"/\",}",
        "\u{0}",
    ] {
        answer(e, Some(false), 400);
    }
}

#[test]
fn json_that_is_not_an_object_gets_400() {
    for e in ["null", "true", "0", "-1.5e308", "\"GET /\""] {
        answer(e, Some(false), 400);
    }
}

#[test]
fn json_arrays_are_not_events_even_when_their_items_line_up_with_the_fields() {
    // serde's derived struct visitors also accept a sequence, by field position: an array
    // whose first two items are a method and a path must not be served as GET of that path,
    // and an array has no multiValueHeaders, so the 400 is in single-value mode.
    for e in [
        r#"["GET","/robots.txt"]"#,
        r#"["GET","/",{},{}]"#,
        "[]",
        "[{}]",
        "[[]]",
        "[1]",
    ] {
        answer(e, Some(false), 400);
    }
}

// ---- missing and null fields -----------------------------------------------------------------

#[test]
fn missing_method_or_path_gets_400() {
    for e in [
        r#"{}"#,
        r#"{"path":"/"}"#,
        r#"{"httpMethod":"GET"}"#,
        r#"{"headers":{},"body":"","isBase64Encoded":false}"#,
    ] {
        answer(e, Some(false), 400);
    }
    answer(r#"{"path":"/","multiValueHeaders":{}}"#, Some(true), 400);
}

#[test]
fn null_method_or_path_gets_400() {
    answer(r#"{"httpMethod":null,"path":"/"}"#, Some(false), 400);
    answer(r#"{"httpMethod":"GET","path":null}"#, Some(false), 400);
    answer(
        r#"{"httpMethod":null,"path":null,"multiValueHeaders":{}}"#,
        Some(true),
        400,
    );
}

#[test]
fn null_optional_fields_in_multi_value_mode_are_treated_as_absent() {
    let r = answer(
        r#"{"httpMethod":"GET","path":"/robots.txt","multiValueHeaders":{"accept":null},"multiValueQueryStringParameters":null,"body":null,"isBase64Encoded":null,"requestContext":null}"#,
        Some(true),
        200,
    );
    assert_eq!(body_bytes(&r), site_file("/robots.txt"));
}

#[test]
fn null_multi_value_headers_means_single_value_mode() {
    answer(
        r#"{"httpMethod":"GET","path":"/","multiValueHeaders":null,"headers":{}}"#,
        Some(false),
        200,
    );
}

// ---- wrong types ------------------------------------------------------------------------------

#[test]
fn numbers_where_strings_belong_get_400() {
    for e in [
        r#"{"httpMethod":1,"path":"/"}"#,
        r#"{"httpMethod":"GET","path":1}"#,
        r#"{"httpMethod":"GET","path":1.5e300}"#,
        r#"{"httpMethod":"GET","path":"/","headers":{"accept-encoding":1}}"#,
        r#"{"httpMethod":"GET","path":"/","queryStringParameters":{"a":1}}"#,
        r#"{"httpMethod":"GET","path":"/","body":5}"#,
        r#"{"httpMethod":"GET","path":"/","headers":{"a":true}}"#,
    ] {
        answer(e, Some(false), 400);
    }
    for e in [
        r#"{"httpMethod":"GET","path":"/","multiValueHeaders":{"a":[1]}}"#,
        r#"{"httpMethod":"GET","path":"/","multiValueHeaders":{},"multiValueQueryStringParameters":{"a":[2]}}"#,
    ] {
        answer(e, Some(true), 400);
    }
}

#[test]
fn containers_of_the_wrong_shape_get_400() {
    for (e, multi) in [
        (r#"{"httpMethod":["GET"],"path":"/"}"#, false),
        (r#"{"httpMethod":"GET","path":{"raw":"/"}}"#, false),
        (
            r#"{"httpMethod":"GET","path":"/","headers":[["a","b"]]}"#,
            false,
        ),
        (
            r#"{"httpMethod":"GET","path":"/","headers":"accept: */*"}"#,
            false,
        ),
        (
            r#"{"httpMethod":"GET","path":"/","headers":{"a":["b"]}}"#,
            false,
        ),
        (
            r#"{"httpMethod":"GET","path":"/","queryStringParameters":"a=b"}"#,
            false,
        ),
        (
            r#"{"httpMethod":"GET","path":"/","multiValueHeaders":{"a":"b"}}"#,
            true,
        ),
        (
            r#"{"httpMethod":"GET","path":"/","multiValueHeaders":{"a":[["b"]]}}"#,
            true,
        ),
        (
            r#"{"httpMethod":"GET","path":"/","multiValueHeaders":{"a":[{"b":1}]}}"#,
            true,
        ),
        (
            r#"{"httpMethod":"GET","path":"/","multiValueHeaders":[]}"#,
            true,
        ),
        (
            r#"{"httpMethod":"GET","path":"/","multiValueHeaders":"x"}"#,
            true,
        ),
    ] {
        answer(e, Some(multi), 400);
    }
}

#[test]
fn is_base64_encoded_of_the_wrong_type_gets_400() {
    for v in [r#""true""#, "1", "0", "[]", "{}"] {
        answer(
            &format!(r#"{{"httpMethod":"GET","path":"/","body":"","isBase64Encoded":{v}}}"#),
            Some(false),
            400,
        );
    }
}

#[test]
fn lone_surrogate_escapes_get_400() {
    answer(r#"{"httpMethod":"GET","path":"/\ud800"}"#, Some(false), 400);
    answer(
        r#"{"httpMethod":"GET","path":"/","headers":{"a":"\udfff"}}"#,
        Some(false),
        400,
    );
}

#[test]
fn duplicate_fields_get_400() {
    answer(
        r#"{"httpMethod":"GET","httpMethod":"POST","path":"/"}"#,
        Some(false),
        400,
    );
    answer(
        r#"{"httpMethod":"GET","path":"/","path":"/.env"}"#,
        Some(false),
        400,
    );
}

// ---- nested garbage ---------------------------------------------------------------------------

#[test]
fn deeply_nested_garbage_gets_400_without_overflowing_the_stack() {
    // (The header mode of a top-level array is tested on its own above.)
    let deep_array = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    answer(&deep_array, None, 400);
    let deep_object = format!("{}1{}", r#"{"a":"#.repeat(50_000), "}".repeat(50_000));
    answer(&deep_object, Some(false), 400);
    // Deep garbage in a field the function ignores is skipped (without recursion) and the
    // request served: valid JSON with a method and a path is an event.
    let in_context = format!(
        r#"{{"httpMethod":"GET","path":"/","requestContext":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    answer(&in_context, Some(false), 200);
    let in_multi = format!(
        r#"{{"httpMethod":"GET","path":"/","multiValueHeaders":{{"a":{}{}}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    answer(&in_multi, Some(true), 400);
}

#[test]
fn shallow_garbage_in_ignored_fields_is_ignored() {
    let r = answer(
        r#"{"httpMethod":"GET","path":"/robots.txt","requestContext":{"elb":[1,{"x":null},"y"]},"extra":{"a":[true,false,null]}}"#,
        Some(false),
        200,
    );
    assert_eq!(body_bytes(&r), site_file("/robots.txt"));
}

// ---- bodies -----------------------------------------------------------------------------------

#[test]
fn base64_flag_with_invalid_base64_gets_400() {
    for body in [
        "%%%not base64",
        "abc",
        "YWJj=",
        "YW Jj",
        "YWJj\nZGVm",
        "-_-_",
        "YWJj====",
        "\u{e9}",
    ] {
        let e = json!({"httpMethod": "GET", "path": "/", "headers": {}, "body": body, "isBase64Encoded": true});
        answer(&e.to_string(), Some(false), 400);
        let e = json!({"httpMethod": "GET", "path": "/", "multiValueHeaders": {}, "body": body, "isBase64Encoded": true});
        answer(&e.to_string(), Some(true), 400);
    }
}

#[test]
fn base64_flag_with_valid_base64_is_served() {
    for body in ["", "YWJj", "AAECAwQ=", "//79/A=="] {
        let e = json!({"httpMethod": "GET", "path": "/robots.txt", "headers": {}, "body": body, "isBase64Encoded": true});
        answer(&e.to_string(), Some(false), 200);
    }
}

#[test]
fn invalid_base64_body_on_a_post_is_still_a_400_not_a_crash() {
    let e = json!({"httpMethod": "POST", "path": "/", "headers": {}, "body": "***", "isBase64Encoded": true});
    answer(&e.to_string(), Some(false), 400);
}

#[test]
fn megabyte_body_is_ignored_and_the_file_served() {
    let body = "A".repeat(1_000_000);
    let e = json!({"httpMethod": "GET", "path": "/robots.txt", "headers": {}, "body": body, "isBase64Encoded": false});
    let r = answer(&e.to_string(), Some(false), 200);
    assert_eq!(body_bytes(&r), site_file("/robots.txt"));
}

// ---- huge headers ------------------------------------------------------------------------------

#[test]
fn a_64_kib_header_value_is_answered_and_not_echoed() {
    let big = "x".repeat(64 * 1024);
    for name in [
        "accept-encoding",
        "if-none-match",
        "range",
        "cookie",
        "x-junk",
    ] {
        let r = call(&event("GET", "/", &[(name, &big)]));
        assert_eq!(status(&r), 200, "{name}");
        assert!(r.to_string().len() < 100_000, "{name}: the value is echoed");
        let r = call(&event_multi("GET", "/", &[(name, &big), (name, &big)]));
        assert_eq!(status(&r), 200, "{name}");
        assert!(r.get("multiValueHeaders").is_some());
    }
}

#[test]
fn a_thousand_headers_are_answered() {
    let names: Vec<String> = (0..1000).map(|i| format!("x-h{i}")).collect();
    let pairs: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
    assert_eq!(status(&call(&event("GET", "/robots.txt", &pairs))), 200);
    assert_eq!(
        status(&call(&event_multi("GET", "/robots.txt", &pairs))),
        200
    );
    // A thousand values of one list header, and a thousand conditionals.
    let many: Vec<(&str, &str)> = (0..1000).map(|_| ("accept-encoding", "br")).collect();
    let r = call(&event_multi("GET", "/", &many));
    assert_eq!(status(&r), 200);
    let etags: Vec<(&str, &str)> = (0..1000).map(|_| ("if-none-match", "\"nope\"")).collect();
    assert_eq!(status(&call(&event_multi("GET", "/", &etags))), 200);
}

#[test]
fn a_thousand_query_parameters_are_carried_into_a_redirect_within_limits() {
    let mut e = event("GET", "/docs/guide", &[]);
    let q: serde_json::Map<String, Value> = (0..1000)
        .map(|i| (format!("k{i}"), Value::from("v")))
        .collect();
    e["queryStringParameters"] = Value::Object(q);
    let r = call(&e);
    assert_eq!(status(&r), 308);
    assert!(header(&r, "location")
        .unwrap()
        .starts_with("/docs/guide/?k"));
}

#[test]
fn a_six_megabyte_event_is_answered() {
    // Lambda's synchronous payload limit; ALB itself stops at 1 MB of body.
    let junk = "j".repeat(6 * 1024 * 1024);
    let e = json!({"httpMethod": "GET", "path": "/", "headers": {"x-junk": junk}, "body": ""});
    answer(&e.to_string(), Some(false), 200);
}

// ---- both header modes at once ------------------------------------------------------------------

#[test]
fn both_header_modes_at_once_are_answered_in_multi_value_mode() {
    let e = json!({
        "httpMethod": "GET", "path": "/",
        "headers": {"accept-encoding": "gzip"},
        "multiValueHeaders": {"accept-encoding": ["br"]},
        "queryStringParameters": {},
        "multiValueQueryStringParameters": {},
        "body": "", "isBase64Encoded": false
    });
    let r = answer(&e.to_string(), Some(true), 200);
    // multiValueHeaders is authoritative: its Accept-Encoding decides.
    assert_eq!(header(&r, "content-encoding"), Some("br"));
    assert_eq!(decoded_body(&r), site_file("/index.html"));
}

#[test]
fn both_modes_with_an_empty_multi_value_map_still_ignore_the_single_value_headers() {
    let e = json!({
        "httpMethod": "GET", "path": "/",
        "headers": {"if-none-match": "*"},
        "multiValueHeaders": {},
        "body": ""
    });
    answer(&e.to_string(), Some(true), 200);
}

#[test]
fn both_modes_with_a_malformed_multi_value_map_get_400_in_multi_value_mode() {
    let e = r#"{"httpMethod":"GET","path":"/","headers":{"a":"b"},"multiValueHeaders":{"a":"b"}}"#;
    answer(e, Some(true), 400);
}

#[test]
fn both_modes_with_malformed_single_value_headers_get_400_in_multi_value_mode() {
    let e = r#"{"httpMethod":"GET","path":"/","headers":{"a":1},"multiValueHeaders":{"a":["b"]}}"#;
    answer(e, Some(true), 400);
}

#[test]
fn multi_value_query_is_used_when_both_query_fields_are_present() {
    let e = json!({
        "httpMethod": "GET", "path": "/docs/guide",
        "queryStringParameters": {"single": "1"},
        "multiValueHeaders": {},
        "multiValueQueryStringParameters": {"multi": ["1", "2"]}
    });
    let r = answer(&e.to_string(), Some(true), 308);
    assert_eq!(header(&r, "location"), Some("/docs/guide/?multi=1&multi=2"));
}
