//! `--front http-api`: local-alb plays an API Gateway HTTP API (`$default` route and stage,
//! payload format 2.0) in front of the project's real function. Set BOOTSTRAP=path/to/bootstrap
//! to run it (`make test-local` does).

mod common;

use common::Server;
use hyper::HeaderMap;
use local_alb::event::{self, Place, RequestLine};

fn start() -> Option<Server> {
    let bootstrap = common::bootstrap_or_skip("http_api")?;
    Some(Server::start_command(
        &["--instances", "1", "--front", "http-api"],
        &[bootstrap],
    ))
}

#[test]
fn the_event_it_builds_is_answered_in_payload_2_format() {
    let Some(bootstrap) = common::bootstrap_or_skip("http_api") else {
        return;
    };
    let line = RequestLine {
        method: "GET",
        path: "/about",
        query: None,
    };
    let place = Place {
        region: "us-east-1",
        stage: "prod",
    };
    let e = event::build_http_api(
        &line,
        &HeaderMap::new(),
        b"",
        &common::event_context("Root=1-00000000-000000000000000000000000"),
        &place,
    )
    .unwrap();
    let answer = common::invoke_raw(&bootstrap, &e.to_string());
    // Set-Cookie in `cookies` and no statusDescription: the server took it for payload 2.0.
    assert_eq!(
        common::keys(&answer),
        [
            "body",
            "cookies",
            "headers",
            "isBase64Encoded",
            "statusCode"
        ],
        "{answer}"
    );
}

#[test]
fn the_index_page_is_served() {
    let Some(s) = start() else { return };
    let r = s.get("/");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/html")));
    assert_eq!(r.header("server"), None, "no ALB's Server header");
}

#[test]
fn every_set_cookie_reaches_the_client_through_cookies() {
    let Some(s) = start() else { return };
    let r = s.get("/about");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.all("set-cookie").len(), 2, "{:?}", r.headers);
}

#[test]
fn a_compressed_body_arrives_decoded_from_base64() {
    let Some(s) = start() else { return };
    let r = s.send(&format!(
        "GET /css/site.css HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n",
        s.port
    ));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert!(r.body.starts_with(&[0x1f, 0x8b]), "a gzip stream");
}

#[test]
fn a_redirect_keeps_the_query() {
    let Some(s) = start() else { return };
    let r = s.get("/news/launch?utm=x");
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), Some("/blog/launch?utm=x"));
}

#[test]
fn a_path_with_an_encoded_space_reaches_the_function_decoded_and_finds_its_file() {
    let Some(s) = start() else { return };
    let r = s.get("/docs/release%20notes.txt");
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn a_request_body_over_albs_1_mb_reaches_the_function() {
    let Some(s) = start() else { return };
    let body = "a".repeat(2 * 1024 * 1024);
    let r = s.send(&format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    // The site answers GET and HEAD only: its 405 shows the request got through.
    assert_eq!(r.status, 405, "{}", r.text());
}

#[test]
fn a_request_body_over_6_mb_gets_413_without_invoking() {
    let Some(s) = start() else { return };
    let r = s
        .send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6291457\r\nConnection: close\r\n\r\n");
    assert_eq!(r.status, 413);
}

#[test]
fn a_body_whose_event_is_over_lambdas_6_mb_gets_api_gateways_500() {
    // 5 MB of binary is 6.7 MB in base64: Lambda refuses the invocation.
    let Some(s) = start() else { return };
    let body = "a".repeat(5 * 1024 * 1024);
    let r = s.send(&format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    assert_eq!(r.status, 500);
    assert_eq!(
        r.json(),
        serde_json::json!({"message": "Internal Server Error"})
    );
}
