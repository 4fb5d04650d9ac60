//! The same binary behind a Lambda Function URL or an API Gateway HTTP API: payload format 2.0
//! events in, payload 2.0 responses out (one value per header, Set-Cookie in `cookies`, no
//! `statusDescription`), with the same decisions as behind ALB.

mod common;

use common::{body_bytes, site_file, AlbEvent, Front};
use serde_json::Value;

/// The embedded site's answer to a payload 2.0 event, checked for the shape a payload 2.0
/// front door reads.
fn ask(event: &AlbEvent) -> Value {
    Front::FunctionUrl.ask(event)
}

fn ask_raw(json: &str) -> Value {
    Front::FunctionUrl.ask_raw(json)
}

fn status(r: &Value) -> u64 {
    r["statusCode"].as_u64().unwrap()
}

fn header<'a>(r: &'a Value, name: &str) -> Option<&'a str> {
    r["headers"]
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

#[test]
fn a_function_url_event_gets_the_page_in_payload_2_format() {
    let r = ask(&AlbEvent::new("GET", "/").header("accept", "text/html"));
    assert_eq!(status(&r), 200);
    assert_eq!(header(&r, "content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(body_bytes(&r), site_file("/index.html"));
}

#[test]
fn several_set_cookie_headers_all_go_in_cookies() {
    let r = ask(&AlbEvent::new("GET", "/about"));
    assert_eq!(status(&r), 200);
    let cookies: Vec<&str> = r["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    assert!(cookies[0].starts_with("theme=light"));
    assert!(cookies[1].starts_with("seen-about=1"));
}

#[test]
fn compressed_and_binary_bodies_are_base64_as_the_front_door_decodes_them() {
    let r = ask(&AlbEvent::new("GET", "/css/site.css").header("accept-encoding", "gzip"));
    assert_eq!(header(&r, "content-encoding"), Some("gzip"));
    assert_eq!(r["isBase64Encoded"], true);
}

#[test]
fn the_query_is_kept_on_a_redirect() {
    let mut event = AlbEvent::new("GET", "/news/launch");
    event.query = vec![("utm".into(), "x".into())];
    let r = ask(&event);
    assert_eq!(status(&r), 302);
    assert_eq!(header(&r, "location"), Some("/blog/launch?utm=x"));
}

#[test]
fn a_conditional_request_gets_304() {
    let first = ask(&AlbEvent::new("GET", "/robots.txt"));
    let etag = header(&first, "etag").unwrap().to_string();
    let r = ask(&AlbEvent::new("GET", "/robots.txt").header("if-none-match", &etag));
    assert_eq!(status(&r), 304);
}

#[test]
fn request_cookies_arrive_in_cookies_and_repeated_headers_joined() {
    // A HEAD with two Accept-Encoding lines (joined with a comma by the front door).
    let r = ask(&AlbEvent::new("GET", "/css/site.css")
        .header("accept-encoding", "identity;q=0")
        .header("accept-encoding", "br")
        .header("cookie", "a=1; b=2"));
    assert_eq!(status(&r), 200);
    assert_eq!(header(&r, "content-encoding"), Some("br"));
}

#[test]
fn a_malformed_payload_2_event_gets_a_400_in_payload_2_format() {
    let r = ask_raw(r#"{"version":"2.0","rawPath":"/","requestContext":{}}"#);
    assert_eq!(status(&r), 400);
    let r = ask_raw(r#"{"version":"2.0","rawPath":7}"#);
    assert_eq!(status(&r), 400);
}

#[test]
fn an_alb_event_still_gets_albs_format() {
    let r = common::get("/");
    assert!(r.get("statusDescription").is_some());
    assert!(r.get("cookies").is_none());
}

#[test]
fn the_function_url_event_from_awss_documentation_is_understood() {
    // AWS's documented Function URL request (a POST with a body, cookies and repeated values):
    // the site answers GET and HEAD only, so 405 with Allow, in payload 2.0 format.
    let docs = include_str!("fixtures/function-url/docs-example.json");
    let r = ask_raw(docs);
    assert_eq!(status(&r), 405);
    assert_eq!(header(&r, "allow"), Some("GET, HEAD"));
    let get = docs.replace("\"POST\"", "\"GET\"");
    let r = ask_raw(&get);
    assert_eq!(status(&r), 404, "no /my/path in the sample site");
}

// ---- API Gateway REST APIs (payload 1.0) ----

/// The embedded site's answer to a REST API event, checked for the shape API Gateway reads:
/// only its four fields (a `statusDescription` makes it a malformed proxy response), every
/// header in `multiValueHeaders` as an array of strings, no null.
fn ask_rest_raw(json: &str) -> Value {
    Front::RestApi.ask_raw(json)
}

fn ask_rest(event: &AlbEvent) -> Value {
    Front::RestApi.ask(event)
}

fn rest_header(r: &Value, name: &str) -> Vec<String> {
    r["multiValueHeaders"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .flat_map(|(_, v)| v.as_array().unwrap().iter())
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_rest_api_event_gets_the_page_in_the_rest_api_format() {
    let r = ask_rest(&AlbEvent::new("GET", "/").header("accept", "text/html"));
    assert_eq!(status(&r), 200);
    assert_eq!(
        rest_header(&r, "content-type"),
        ["text/html; charset=utf-8"]
    );
    assert_eq!(body_bytes(&r), site_file("/index.html"));
}

#[test]
fn a_rest_api_gets_every_set_cookie() {
    let r = ask_rest(&AlbEvent::new("GET", "/about"));
    assert_eq!(rest_header(&r, "set-cookie").len(), 2, "{r}");
}

#[test]
fn a_redirect_behind_a_rest_api_keeps_the_stage_in_its_location() {
    let r = ask_rest(&AlbEvent::new("GET", "/docs/guide"));
    assert_eq!(status(&r), 308);
    assert_eq!(rest_header(&r, "location"), ["/prod/docs/guide/"]);
}

#[test]
fn a_rest_apis_decoded_query_is_encoded_again_in_a_redirect() {
    let mut e = AlbEvent::new("GET", "/docs/guide");
    e.query = vec![("q".into(), "a b&c=d".into())];
    let r = ask_rest(&e);
    assert_eq!(
        rest_header(&r, "location"),
        ["/prod/docs/guide/?q=a%20b%26c%3Dd"]
    );
}

#[test]
fn the_events_crates_rest_api_example_is_answered_in_its_format() {
    let r = ask_rest_raw(include_str!("fixtures/rest-api/events-crate-example.json"));
    // A POST to a static site.
    assert_eq!(status(&r), 405);
    assert_eq!(rest_header(&r, "allow"), ["GET, HEAD"]);
}

#[test]
fn a_malformed_rest_api_event_gets_a_400_in_the_rest_api_format() {
    let mut e = AlbEvent::new("GET", "/").to_rest_api("prod");
    e.as_object_mut().unwrap().remove("httpMethod");
    let r = ask_rest_raw(&e.to_string());
    assert_eq!(status(&r), 400);
    e["httpMethod"] = Value::from(7);
    let r = ask_rest_raw(&e.to_string());
    assert_eq!(status(&r), 400);
}

// ---- VPC Lattice (event version 2.0) ----

/// The answer to a VPC Lattice event, checked for the shape Lattice reads: one string per
/// header, a status description, no null.
fn ask_lattice_raw(json: &str) -> Value {
    Front::VpcLattice.ask_raw(json)
}

#[test]
fn a_vpc_lattice_event_gets_the_page_in_the_lattice_format() {
    let e = AlbEvent::new("GET", "/").header("accept-encoding", "br");
    let r = ask_lattice_raw(&e.to_lattice().to_string());
    assert_eq!(status(&r), 200);
    assert_eq!(header(&r, "content-encoding"), Some("br"));
    assert_eq!(r["statusDescription"], "200 OK");
}

#[test]
fn the_events_crates_lattice_example_is_a_health_check_answered_in_its_format() {
    let r = ask_lattice_raw(include_str!(
        "fixtures/vpc-lattice/events-crate-example.json"
    ));
    assert_eq!(status(&r), 200);
    assert_eq!(body_bytes(&r), b"OK\n");
}

#[test]
fn a_malformed_lattice_event_gets_a_400_in_the_lattice_format() {
    let mut e = AlbEvent::new("GET", "/").to_lattice();
    e.as_object_mut().unwrap().remove("method");
    let r = ask_lattice_raw(&e.to_string());
    assert_eq!(status(&r), 400);
    e["headers"] = Value::from("not an object");
    let r = ask_lattice_raw(&e.to_string());
    assert_eq!(status(&r), 400);
}

// ---- The same answers through every door ----

/// A response's status, headers (lowercase names, every value, Set-Cookie wherever the shape
/// keeps it) and body bytes, so answers in different shapes can be compared.
fn normalized(r: &Value, front: Front) -> (u64, Vec<(String, String)>, Vec<u8>) {
    let mut headers = Vec::new();
    for field in ["headers", "multiValueHeaders"] {
        if let Some(Value::Object(map)) = r.get(field) {
            for (name, value) in map {
                let values: Vec<&Value> = match value {
                    Value::Array(a) => a.iter().collect(),
                    other => vec![other],
                };
                for v in values {
                    let mut v = v.as_str().unwrap().to_string();
                    if front == Front::RestApi && name.eq_ignore_ascii_case("location") {
                        // The stage goes back in front of a path of the site.
                        if let Some(rest) = v.strip_prefix("/prod") {
                            v = rest.to_string();
                        }
                    }
                    headers.push((name.to_ascii_lowercase(), v));
                }
            }
        }
    }
    if let Some(Value::Array(cookies)) = r.get("cookies") {
        for c in cookies {
            headers.push(("set-cookie".into(), c.as_str().unwrap().to_string()));
        }
    }
    headers.sort();
    (status(r), headers, body_bytes(r))
}

/// Every URL of the sample site, asked for as browsers and tools do: compressed or not,
/// revalidated, in part, HEAD, and with a method a static site refuses.
fn requests() -> Vec<AlbEvent> {
    let site = site_server::site::embedded().expect("the embedded site opens");
    let mut urls: Vec<String> = site.routes().map(|(url, _)| url.to_string()).collect();
    urls.extend(
        [
            "/no/such/page",
            "/missing.js",
            "/docs/guide",
            "/news/launch",
        ]
        .map(String::from),
    );
    let mut events = Vec::new();
    for url in &urls {
        events.push(AlbEvent::new("GET", url).header("accept-encoding", "gzip, deflate, br"));
        events.push(AlbEvent::new("GET", url));
        events.push(AlbEvent::new("HEAD", url).header("accept-encoding", "gzip"));
        events.push(AlbEvent::new("GET", url).header("range", "bytes=2-40"));
        let first = Front::Alb.ask(&AlbEvent::new("GET", url).header("accept-encoding", "br"));
        if let Some(etag) = common::header(&first, "etag") {
            events.push(
                AlbEvent::new("GET", url)
                    .header("accept-encoding", "br")
                    .header("if-none-match", etag),
            );
        }
    }
    events.push(AlbEvent::new("POST", "/"));
    events.push(AlbEvent::new("OPTIONS", "/"));
    events
}

#[test]
fn every_front_door_gives_every_request_of_the_sample_site_the_same_answer_as_an_alb() {
    let requests = requests();
    assert!(requests.len() > 100, "{}", requests.len());
    for e in &requests {
        let alb_raw = Front::Alb.ask(&e.clone().multi_value(true));
        let first_cookie = common::header_values(&alb_raw, "set-cookie")
            .into_iter()
            .next();
        let alb = normalized(&alb_raw, Front::Alb);
        for front in [Front::FunctionUrl, Front::RestApi, Front::VpcLattice] {
            let mut want = alb.clone();
            if front == Front::VpcLattice {
                // One string per header: the first Set-Cookie only, as an ALB in single-value
                // mode.
                want.1
                    .retain(|(n, v)| n != "set-cookie" || Some(v) == first_cookie.as_ref());
            }
            let got = normalized(&front.ask(e), front);
            assert!(
                got == want,
                "{} {} through {front:?}:\n got  {:?}\n want {:?}",
                e.method,
                e.path,
                (got.0, &got.1),
                (want.0, &want.1)
            );
        }
    }
}
