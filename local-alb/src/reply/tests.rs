#[test]
fn a_function_url_reads_cookies_into_set_cookie_and_infers_the_rest() {
    let r = super::parse_function_url(
        br#"{"statusCode":201,"headers":{"x-a":"1"},"cookies":["a=1","b=2"],"body":"aGk=","isBase64Encoded":true}"#,
    )
    .unwrap();
    assert_eq!(r.status, 201);
    assert_eq!(r.body, b"hi");
    let cookies: Vec<_> = r
        .headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .collect();
    assert_eq!(cookies.len(), 2);
    // Not an object with a statusCode: sent as it is, 200 application/json.
    let r = super::parse_function_url(br#"{"hello":"world"}"#).unwrap();
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, &br#"{"hello":"world"}"#[..])
    );
    assert!(super::parse_function_url(br#"{"statusCode":"200"}"#).is_err());
    assert!(super::parse_function_url(&vec![b' '; 7 * 1024 * 1024]).is_err());
}

use super::*;
use hyper::body::Body as _;

/// A response of `len` bytes whose body is `len - wrapper` letters.
fn payload_of(len: usize, fields: &str) -> Vec<u8> {
    let wrapper = format!(r#"{{"statusCode":200,{fields}"body":""}}"#).len();
    format!(
        r#"{{"statusCode":200,{fields}"body":"{}"}}"#,
        "a".repeat(len - wrapper)
    )
    .into_bytes()
}

fn values<'r>(r: &'r Reply, name: &str) -> Vec<&'r str> {
    r.headers
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.to_str().unwrap())
        .collect()
}

#[test]
fn every_door_but_alb_passes_a_response_over_1_mb_and_refuses_one_over_6_mb() {
    type Parser = fn(&[u8]) -> Result<Reply, String>;
    let doors: [(&str, Parser); 3] = [
        ("payload 2.0", parse_function_url),
        ("REST", parse_rest_api),
        ("Lattice", parse_lattice),
    ];
    for (door, parse) in doors {
        let big = payload_of(2 * 1024 * 1024, "");
        assert!(parse(&big).is_ok(), "{door}: 2 MB");
        let at_limit = payload_of(LAMBDA_PAYLOAD_LIMIT, "");
        assert!(parse(&at_limit).is_ok(), "{door}: 6 MB exactly");
        let over = payload_of(LAMBDA_PAYLOAD_LIMIT + 1, "");
        let err = parse(&over).unwrap_err();
        assert!(err.contains("6 MB"), "{door}: {err}");
    }
    assert!(
        parse(&payload_of(2 * 1024 * 1024, ""), false).is_err(),
        "ALB: 1 MB"
    );
}

#[test]
fn a_rest_api_merges_both_header_fields_and_multi_value_wins_a_name_in_both() {
    let r = parse_rest_api(
        br#"{"statusCode":200,
             "headers":{"x-single":"s","Set-Cookie":"from-headers=1","x-both":"h"},
             "multiValueHeaders":{"set-cookie":["a=1","b=2"],"x-both":["m1","m2"],"x-multi":["m"]}}"#,
    )
    .unwrap();
    assert_eq!(values(&r, "x-single"), ["s"]);
    assert_eq!(values(&r, "set-cookie"), ["a=1", "b=2"]);
    assert_eq!(values(&r, "x-both"), ["m1", "m2"]);
    assert_eq!(values(&r, "x-multi"), ["m"]);
    assert_eq!(r.headers.len(), 6);
}

#[test]
fn a_rest_api_decodes_a_base64_body_to_binary() {
    let r = parse_rest_api(
        br#"{"statusCode":200,"multiValueHeaders":{"content-encoding":["gzip"]},"body":"H4sI","isBase64Encoded":true}"#,
    )
    .unwrap();
    assert_eq!(r.body, [0x1f, 0x8b, 0x08]);
}

#[test]
fn a_rest_api_takes_null_fields_as_absent() {
    let r = parse_rest_api(
        br#"{"statusCode":204,"headers":null,"multiValueHeaders":null,"body":null,"isBase64Encoded":null}"#,
    )
    .unwrap();
    assert_eq!((r.status, r.headers.len(), r.body.len()), (204, 0, 0));
}

#[test]
fn a_rest_api_refuses_any_field_but_its_five_as_a_malformed_proxy_response() {
    for extra in [r#""statusDescription":"200 OK""#, r#""cookies":["a=1"]"#] {
        let json = format!(r#"{{"statusCode":200,{extra}}}"#);
        let err = parse_rest_api(json.as_bytes()).unwrap_err();
        assert!(err.contains("Malformed Lambda proxy response"), "{err}");
    }
}

#[test]
fn a_rest_api_refuses_bad_shapes() {
    for json in [
        r#"{"body":"x"}"#,
        r#"{"statusCode":null}"#,
        r#"{"statusCode":"200"}"#,
        r#"{"statusCode":100}"#,
        r#"{"statusCode":200,"headers":{"x":1}}"#,
        r#"{"statusCode":200,"multiValueHeaders":{"x":"not a list"}}"#,
        r#"{"statusCode":200,"body":"!!","isBase64Encoded":true}"#,
        r#"[1]"#,
        r#"not json"#,
    ] {
        assert!(
            parse_rest_api(json.as_bytes()).is_err(),
            "{json} was accepted"
        );
    }
}

#[test]
fn lattice_reads_one_string_per_header_and_keeps_a_status_description() {
    let r = parse_lattice(
        br#"{"statusCode":200,"statusDescription":"200 OK","headers":{"set-cookie":"a=1","x":"y"},"body":"aGk=","isBase64Encoded":true}"#,
    )
    .unwrap();
    assert_eq!((r.status, r.body.as_slice()), (200, &b"hi"[..]));
    assert_eq!(values(&r, "set-cookie"), ["a=1"]);
    for json in [
        r#"{"statusCode":200,"headers":{"set-cookie":["a=1","b=2"]}}"#,
        r#"{"statusCode":200,"statusDescription":7}"#,
        r#"{"headers":{}}"#,
        r#"{"statusCode":99}"#,
    ] {
        assert!(
            parse_lattice(json.as_bytes()).is_err(),
            "{json} was accepted"
        );
    }
}

#[test]
fn lattice_takes_the_nulls_the_aws_events_crate_writes_as_absent() {
    let r = parse_lattice(
        br#"{"isBase64Encoded":false,"statusCode":200,"statusDescription":null,"headers":{"a":"b"},"body":null}"#,
    )
    .unwrap();
    assert_eq!((r.status, r.body.len()), (200, 0));
}

#[test]
fn a_front_door_that_names_no_server_adds_none() {
    let r = parse_lattice(br#"{"statusCode":200}"#).unwrap();
    assert!(into_http_as(r, false, None)
        .headers()
        .get("server")
        .is_none());
}

fn single(json: &str) -> Result<Reply, String> {
    parse(json.as_bytes(), false)
}

#[test]
fn minimal_reply_is_accepted() {
    let r = single(r#"{"statusCode":204}"#).unwrap();
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
}

#[test]
fn nulls_are_rejected_even_in_the_ignored_field() {
    for field in [
        "statusDescription",
        "headers",
        "multiValueHeaders",
        "body",
        "isBase64Encoded",
    ] {
        let json = format!(r#"{{"statusCode":200,"{field}":null}}"#);
        let err = single(&json).unwrap_err();
        assert!(err.contains(field), "{err}");
    }
}

#[test]
fn bad_shapes_are_rejected() {
    for json in [
        r#"{"body":"x"}"#,
        r#"{"statusCode":"200"}"#,
        r#"{"statusCode":200.5}"#,
        r#"{"statusCode":700}"#,
        r#"{"statusCode":100}"#,
        r#"{"statusCode":200,"headers":{"x":true}}"#,
        r#"{"statusCode":200,"body":5}"#,
        r#"{"statusCode":200,"isBase64Encoded":"true"}"#,
        r#"{"statusCode":200,"isBase64Encoded":true,"body":"!!"}"#,
        r#"{"statusCode":200,"headers":{"x":"a\nb"}}"#,
        r#"[1]"#,
        r#"not json"#,
    ] {
        assert!(single(json).is_err(), "{json} was accepted");
    }
}

#[test]
fn only_the_field_matching_the_mode_is_read() {
    let json = r#"{"statusCode":200,"headers":{"a":"1"},"multiValueHeaders":{"b":["2","3"]}}"#;
    let s = parse(json.as_bytes(), false).unwrap();
    assert_eq!(s.headers.len(), 1);
    assert_eq!(s.headers[0].0, "a");
    let m = parse(json.as_bytes(), true).unwrap();
    assert_eq!(m.headers.len(), 2);
    assert_eq!(m.headers[1].1, "3");
}

#[test]
fn hop_by_hop_headers_are_dropped_and_length_computed() {
    let r = single(
        r#"{"statusCode":200,"headers":{"connection":"close","transfer-encoding":"chunked","content-length":"99","x-ok":"1"},"body":"abc"}"#,
    )
    .unwrap();
    let http = into_http(r, false);
    let h = http.headers();
    assert!(h.get("connection").is_none());
    assert!(h.get("transfer-encoding").is_none());
    assert_eq!(h["content-length"], "3");
    assert_eq!(h["x-ok"], "1");
    assert_eq!(h["server"], "awselb/2.0");
}

#[test]
fn no_content_and_not_modified_send_no_body() {
    let r = single(r#"{"statusCode":204,"body":"x"}"#).unwrap();
    let http = into_http(r, false);
    assert!(http.headers().get("content-length").is_none());
    assert_eq!(http.body().size_hint().exact(), Some(0));
    let r = single(r#"{"statusCode":304,"body":"x"}"#).unwrap();
    let http = into_http(r, false);
    assert!(http.headers().get("content-length").is_none());
    assert_eq!(http.body().size_hint().exact(), Some(0));
}

#[test]
fn oversized_payload_is_rejected() {
    let body = "a".repeat(PAYLOAD_LIMIT);
    let json = format!(r#"{{"statusCode":200,"body":"{body}"}}"#);
    assert!(single(&json).unwrap_err().contains("1 MB"));
}

#[test]
fn a_payload_must_stay_under_the_limit_not_reach_it() {
    let wrapper = r#"{"statusCode":200,"body":""}"#.len();
    let at = |len: usize| format!(r#"{{"statusCode":200,"body":"{}"}}"#, "a".repeat(len));
    let just_under = at(PAYLOAD_LIMIT - 1 - wrapper);
    assert_eq!(just_under.len(), PAYLOAD_LIMIT - 1);
    assert!(single(&just_under).is_ok());
    let exactly = at(PAYLOAD_LIMIT - wrapper);
    assert_eq!(exactly.len(), PAYLOAD_LIMIT);
    assert!(single(&exactly).unwrap_err().contains("1 MB"));
}

#[test]
fn header_names_are_tokens_and_values_hold_no_control_characters() {
    for json in [
        r#"{"statusCode":200,"headers":{"":"x"}}"#,
        r#"{"statusCode":200,"headers":{"A\r\n":"b"}}"#,
        r#"{"statusCode":200,"headers":{"a b":"c"}}"#,
        r#"{"statusCode":200,"headers":{"a:":"c"}}"#,
        r#"{"statusCode":200,"headers":{"a":"b\r\nX: y"}}"#,
        r#"{"statusCode":200,"headers":{"a":"b\u0000"}}"#,
        r#"{"statusCode":200,"headers":{"a":"\u007f"}}"#,
        r#"{"statusCode":200,"multiValueHeaders":{"a":["ok","b\nc"]}}"#,
        r#"{"statusCode":200,"multiValueHeaders":{"a":[null]}}"#,
        r#"{"statusCode":200,"multiValueHeaders":{"a":"not a list"}}"#,
    ] {
        let multi = json.contains("multiValueHeaders");
        assert!(
            parse(json.as_bytes(), multi).is_err(),
            "{json} was accepted"
        );
    }
    let ok = r#"{"statusCode":200,"headers":{"X-Token!#$%&'*+-.^_`|~":"a\tb"}}"#;
    assert!(single(ok).is_ok());
}
