//! `--front http-api`: local-alb plays an API Gateway HTTP API (`$default` route and stage,
//! payload format 2.0) in front of the project's real function. Set BOOTSTRAP=path/to/bootstrap
//! to run it (`make test-local` does).

mod common;

use common::Server;
use hyper::HeaderMap;
use local_alb::event::{self, Place, RequestLine};

fn start() -> Server {
    let bootstrap = common::bootstrap();
    Server::start_command(&["--instances", "1", "--front", "http-api"], &[bootstrap])
}

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn the_event_it_builds_is_answered_in_payload_2_format() {
    let bootstrap = common::bootstrap();
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
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn a_path_with_an_encoded_space_reaches_the_function_decoded_and_finds_its_file() {
    let s = start();
    let r = s.get("/docs/release%20notes.txt");
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn a_request_body_over_albs_1_mb_reaches_the_function() {
    let s = start();
    let body = "a".repeat(2 * 1024 * 1024);
    let r = s.send(&format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    // The site answers GET and HEAD only: its 405 shows the request got through.
    assert_eq!(r.status, 405, "{}", r.text());
}

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn a_request_body_over_6_mb_gets_413_without_invoking() {
    let s = start();
    let r = s
        .send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6291457\r\nConnection: close\r\n\r\n");
    assert_eq!(r.status, 413);
}

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn a_body_whose_event_is_over_lambdas_6_mb_gets_api_gateways_500() {
    // 5 MB of binary is 6.7 MB in base64: Lambda refuses the invocation.
    let s = start();
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
