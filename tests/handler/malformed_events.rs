//! Malformed events: 400, answered in the event's header mode; null is absent.

use crate::common::*;

#[test]
fn event_without_http_method_gets_400() {
    let r = call_raw(r#"{"path":"/","headers":{},"body":"","isBase64Encoded":false}"#);
    assert_eq!(status(&r), 400);
}

#[test]
fn event_without_path_gets_400() {
    let r = call_raw(r#"{"httpMethod":"GET","headers":{}}"#);
    assert_eq!(status(&r), 400);
}

#[test]
fn event_with_wrong_types_gets_400() {
    for e in [
        r#"{"httpMethod":1,"path":"/"}"#,
        r#"{"httpMethod":"GET","path":"/","headers":{"accept":1}}"#,
        r#"{"httpMethod":"GET","path":"/","headers":[]}"#,
        r#"{"httpMethod":"GET","path":"/","isBase64Encoded":"yes"}"#,
        r#"{"httpMethod":"GET","path":"/","multiValueHeaders":{"a":"b"}}"#,
        r#"[]"#,
        r#""just a string""#,
    ] {
        assert_eq!(status(&call_raw(e)), 400, "{e}");
    }
}

#[test]
fn invalid_base64_body_gets_400() {
    let r = call_raw(
        r#"{"httpMethod":"GET","path":"/","headers":{},"body":"%%%not base64","isBase64Encoded":true}"#,
    );
    assert_eq!(status(&r), 400);
}

#[test]
fn malformed_multi_value_event_is_answered_in_multi_value_mode() {
    let r = call_raw(r#"{"path":"/","multiValueHeaders":{}}"#);
    assert_eq!(status(&r), 400);
    assert!(r.get("multiValueHeaders").is_some());
}

#[test]
fn null_optional_fields_are_treated_as_absent() {
    let r = call_raw(
        r#"{"httpMethod":"GET","path":"/","headers":null,"queryStringParameters":null,"body":null,"isBase64Encoded":null}"#,
    );
    assert_eq!(status(&r), 200);
}

#[test]
fn minimal_event_with_only_method_and_path_is_served() {
    assert_eq!(
        status(&call_raw(r#"{"httpMethod":"GET","path":"/robots.txt"}"#)),
        200
    );
}
