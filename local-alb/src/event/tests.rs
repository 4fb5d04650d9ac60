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

fn place() -> Place<'static> {
    Place {
        region: "us-east-1",
        stage: "prod",
    }
}

fn line<'a>(method: &'a str, path: &'a str, query: Option<&'a str>) -> RequestLine<'a> {
    RequestLine {
        method,
        path,
        query,
    }
}

#[test]
fn an_http_api_event_has_api_gateways_request_context() {
    let e = build_http_api(
        &line("GET", "/a", None),
        &headers(&[("user-agent", "curl/8")]),
        b"",
        &ctx(false),
        &place(),
    )
    .unwrap();
    assert_eq!(e["version"], "2.0");
    assert_eq!(e["routeKey"], "$default");
    let c = &e["requestContext"];
    assert_eq!(c["apiId"], API_ID);
    assert_eq!(
        c["domainName"],
        format!("{API_ID}.execute-api.us-east-1.amazonaws.com")
    );
    assert_eq!(
        (&c["routeKey"], &c["stage"]),
        (&json!("$default"), &json!("$default"))
    );
    assert_eq!(
        c["http"],
        json!({"method": "GET", "path": "/a", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "curl/8"})
    );
    assert_eq!(c["requestId"].as_str().map(str::len), Some(16));
    assert!(c["time"].as_str().is_some_and(|t| t.ends_with(" +0000")));
    assert!(c["timeEpoch"]
        .as_u64()
        .is_some_and(|t| t > 1_700_000_000_000));
    assert!(
        e.get("queryStringParameters").is_none(),
        "none without a query"
    );
}

#[test]
fn an_http_api_decodes_the_path_but_not_the_raw_query() {
    let e = build_http_api(
        &line("GET", "/docs/release%20notes.txt", Some("q=a%20b&q=c+d")),
        &HeaderMap::new(),
        b"",
        &ctx(false),
        &place(),
    )
    .unwrap();
    assert_eq!(e["rawPath"], "/docs/release notes.txt");
    assert_eq!(
        e["requestContext"]["http"]["path"],
        "/docs/release notes.txt"
    );
    assert_eq!(e["rawQueryString"], "q=a%20b&q=c+d");
    assert_eq!(e["queryStringParameters"], json!({"q": "a b,c d"}));
}

#[test]
fn an_http_api_path_is_cut_at_a_decoded_question_mark() {
    assert_eq!(http_api_path("/a%3Fb=1/c"), "/a");
    assert_eq!(http_api_path("/100%25"), "/100%");
    assert_eq!(http_api_path("/a%2Fb"), "/a/b");
    assert_eq!(http_api_path("/bad%zz%ff"), "/bad%zz\u{fffd}");
}

#[test]
fn an_http_api_event_splits_cookies_and_encodes_a_binary_body() {
    let e = build_http_api(
        &line("POST", "/form", None),
        &headers(&[("cookie", "a=1; b=2"), ("content-type", "image/png")]),
        b"hi",
        &ctx(false),
        &place(),
    )
    .unwrap();
    assert_eq!(e["cookies"], json!(["a=1", "b=2"]));
    assert_eq!(
        (&e["body"], &e["isBase64Encoded"]),
        (&json!("aGk="), &json!(true))
    );
}

#[test]
fn the_stage_is_the_first_segment_and_nothing_else() {
    assert_eq!(stage_path("/prod/a/b", "prod"), Some("/a/b"));
    assert_eq!(stage_path("/prod/", "prod"), Some("/"));
    assert_eq!(stage_path("/prod", "prod"), Some("/"));
    for outside in [
        "/",
        "/production/a",
        "/dev/a",
        "/PROD/a",
        "prod/a",
        "//prod/a",
    ] {
        assert_eq!(stage_path(outside, "prod"), None, "{outside}");
    }
}

#[test]
fn a_rest_api_event_is_a_proxy_integrations_under_the_stage() {
    let e = build_rest_api(
        &line("GET", "/prod/blog/a%20b", Some("utm=x")),
        &headers(&[("user-agent", "curl/8"), ("accept", "a"), ("accept", "b")]),
        b"",
        &ctx(false),
        &place(),
    )
    .unwrap();
    assert_eq!(e["resource"], "/{proxy+}");
    assert_eq!(e["path"], "/blog/a%20b");
    assert_eq!(e["httpMethod"], "GET");
    assert_eq!(e["pathParameters"], json!({"proxy": "blog/a%20b"}));
    assert_eq!(e["stageVariables"], Value::Null);
    let c = &e["requestContext"];
    assert_eq!(c["path"], "/prod/blog/a%20b");
    assert_eq!(c["stage"], "prod");
    assert_eq!(c["resourcePath"], "/{proxy+}");
    assert_eq!(c["httpMethod"], "GET");
    assert_eq!(
        c["identity"],
        json!({"sourceIp": "127.0.0.1", "userAgent": "curl/8"})
    );
    assert_eq!(c["accountId"], ACCOUNT_ID);
    assert_eq!(c["apiId"], API_ID);
    assert_eq!(c["protocol"], "HTTP/1.1");
    assert_eq!(c["requestId"].as_str().map(str::len), Some(36));
    assert!(c["requestTime"]
        .as_str()
        .is_some_and(|t| t.ends_with(" +0000")));
    assert!(c["requestTimeEpoch"].as_u64().is_some());
    assert!(c["domainName"]
        .as_str()
        .is_some_and(|d| d.ends_with(".execute-api.us-east-1.amazonaws.com")));
    // Both header fields, as API Gateway fills them.
    assert_eq!(e["headers"]["accept"], "b");
    assert_eq!(e["multiValueHeaders"]["accept"], json!(["a", "b"]));
    assert_eq!(e["multiValueHeaders"]["x-forwarded-port"], json!(["3000"]));
    assert_eq!(
        (&e["body"], &e["isBase64Encoded"]),
        (&Value::Null, &json!(false))
    );
}

#[test]
fn a_rest_apis_root_is_its_own_resource() {
    for path in ["/prod/", "/prod"] {
        let e = build_rest_api(
            &line("GET", path, None),
            &HeaderMap::new(),
            b"",
            &ctx(false),
            &place(),
        )
        .unwrap();
        assert_eq!(
            (&e["resource"], &e["path"]),
            (&json!("/"), &json!("/")),
            "{path}"
        );
        assert_eq!(e["pathParameters"], Value::Null);
        assert_eq!(e["requestContext"]["resourcePath"], "/");
        assert_eq!(e["requestContext"]["path"], path);
    }
}

#[test]
fn a_rest_apis_query_is_decoded_and_null_when_there_is_none() {
    let build = |query| {
        build_rest_api(
            &line("GET", "/prod/a", query),
            &HeaderMap::new(),
            b"",
            &ctx(false),
            &place(),
        )
        .unwrap()
    };
    let e = build(Some("sort=-+createdAt&q=%3F&q=2&flag"));
    assert_eq!(
        e["queryStringParameters"],
        json!({"sort": "- createdAt", "q": "2", "flag": ""})
    );
    assert_eq!(
        e["multiValueQueryStringParameters"],
        json!({"sort": ["- createdAt"], "q": ["?", "2"], "flag": [""]})
    );
    for query in [None, Some("")] {
        let e = build(query);
        assert_eq!(e["queryStringParameters"], Value::Null);
        assert_eq!(e["multiValueQueryStringParameters"], Value::Null);
    }
}

#[test]
fn a_rest_api_sends_every_body_base64_as_binary_media_types_are_everything() {
    let e = build_rest_api(
        &line("POST", "/prod/a", None),
        &headers(&[("content-type", "application/json")]),
        b"{}",
        &ctx(false),
        &place(),
    )
    .unwrap();
    assert_eq!(
        (&e["body"], &e["isBase64Encoded"]),
        (&json!("e30="), &json!(true))
    );
}

#[test]
fn a_rest_api_event_is_only_built_under_the_stage() {
    let err = build_rest_api(
        &line("GET", "/other/a", None),
        &HeaderMap::new(),
        b"",
        &ctx(false),
        &place(),
    )
    .unwrap_err();
    assert!(err.contains("/prod"), "{err}");
}

#[test]
fn a_lattice_event_has_arrays_of_values_and_the_service_in_its_context() {
    let e = build_lattice(
        &line("GET", "/a%20b", Some("x=%3F&x=2")),
        &headers(&[
            ("accept", "a"),
            ("accept", "b"),
            ("x-forwarded-for", "10.0.0.1"),
        ]),
        b"",
        &ctx(false),
        &place(),
    )
    .unwrap();
    assert_eq!(e["version"], "2.0");
    assert_eq!(
        (&e["method"], &e["path"]),
        (&json!("GET"), &json!("/a%20b"))
    );
    assert_eq!(e["headers"]["accept"], json!(["a", "b"]));
    assert_eq!(
        e["headers"]["x-forwarded-for"],
        json!(["10.0.0.1, 127.0.0.1"])
    );
    assert_eq!(e["queryStringParameters"], json!({"x": ["%3F", "2"]}));
    assert_eq!(
        (&e["body"], &e["isBase64Encoded"]),
        (&Value::Null, &json!(false))
    );
    let c = &e["requestContext"];
    for arn in ["serviceNetworkArn", "serviceArn"] {
        assert!(
            c[arn]
                .as_str()
                .is_some_and(|a| a.starts_with("arn:aws:vpc-lattice:us-east-1:123456789012:")),
            "{c}"
        );
    }
    assert_eq!(c["targetGroupArn"], "arn:tg");
    assert_eq!(c["identity"]["type"], "NONE");
    assert!(c["identity"]["sourceVpcArn"].as_str().is_some());
    assert_eq!(c["region"], "us-east-1");
    // Microseconds, as a string.
    assert!(c["timeEpoch"]
        .as_str()
        .is_some_and(|t| t.len() >= 16 && t.bytes().all(|b| b.is_ascii_digit())));
}

#[test]
fn a_lattice_event_has_an_empty_query_object_and_a_text_body_as_is() {
    let e = build_lattice(
        &line("POST", "/", None),
        &headers(&[("content-type", "text/plain")]),
        b"hi",
        &ctx(false),
        &place(),
    )
    .unwrap();
    assert_eq!(e["queryStringParameters"], json!({}));
    assert_eq!(
        (&e["body"], &e["isBase64Encoded"]),
        (&json!("hi"), &json!(false))
    );
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
