//! `--front vpc-lattice`: local-alb plays a VPC Lattice service (a Lambda target group of event
//! structure version 2) in front of the project's real function. Set
//! BOOTSTRAP=path/to/bootstrap to run it (`make test-local` does).

mod common;

use common::Server;
use hyper::HeaderMap;
use local_alb::event::{self, Place, RequestLine};

fn start() -> Option<Server> {
    let bootstrap = common::bootstrap_or_skip("vpc_lattice")?;
    Some(Server::start_command(
        &["--instances", "1", "--front", "vpc-lattice"],
        &[bootstrap],
    ))
}

#[test]
fn the_event_it_builds_is_answered_in_the_lattice_format() {
    let Some(bootstrap) = common::bootstrap_or_skip("vpc_lattice") else {
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
    let e = event::build_lattice(
        &line,
        &HeaderMap::new(),
        b"",
        &common::event_context("Root=1-00000000-000000000000000000000000"),
        &place,
    )
    .unwrap();
    let answer = common::invoke_raw(&bootstrap, &e.to_string());
    assert_eq!(
        common::keys(&answer),
        [
            "body",
            "headers",
            "isBase64Encoded",
            "statusCode",
            "statusDescription"
        ],
        "{answer}"
    );
    assert!(answer["headers"]
        .as_object()
        .unwrap()
        .values()
        .all(serde_json::Value::is_string));
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
fn only_the_first_set_cookie_reaches_the_client_as_lattice_takes_one_value_per_header() {
    // /about sets two cookies; Lattice's response has one string per header name.
    let Some(s) = start() else { return };
    let r = s.get("/about");
    assert_eq!(r.status, 200, "{}", r.text());
    let cookies = r.all("set-cookie");
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    assert!(cookies[0].starts_with("theme=light"), "{cookies:?}");
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
