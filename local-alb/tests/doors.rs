//! One scenario table, run through every door local-alb plays besides the ALB (whose own suite
//! is local_alb.rs) in front of the project's real function: what each door must deliver the
//! same way, with what differs between them (where the site is, how many cookies pass) in the
//! table. What only one door does stays in its own file (http_api.rs, rest_api.rs,
//! vpc_lattice.rs). Needs BOOTSTRAP=path/to/bootstrap (`make test-local` sets it).

mod common;

use common::Server;

/// A front door as local-alb plays it, and how its answers differ from the others'.
struct Door {
    /// local-alb's `--front`.
    front: &'static str,
    /// The prefix the site is under: a REST API's stage.
    base: &'static str,
    /// How many of `/about`'s two Set-Cookie headers reach the client.
    cookies: usize,
    /// The `Server` header the door adds when the function sets none.
    server: Option<&'static str>,
}

const DOORS: [Door; 4] = [
    // Payload 2.0 carries cookies in a list of their own: every one passes.
    Door {
        front: "function-url",
        base: "",
        cookies: 2,
        // local-alb keeps ALB's for a Function URL: what a real one sends is unchecked
        // (front.rs, `Front::server`).
        server: Some("awselb/2.0"),
    },
    Door {
        front: "http-api",
        base: "",
        cookies: 2,
        server: None,
    },
    // A REST API answers with multi-value headers.
    Door {
        front: "rest-api",
        base: "/prod",
        cookies: 2,
        server: None,
    },
    // Lattice's response has one string per header name.
    Door {
        front: "vpc-lattice",
        base: "",
        cookies: 1,
        server: None,
    },
];

/// Runs `check` against local-alb playing each door in front of the function.
fn through_every_door(check: impl Fn(&Door, &Server)) {
    let bootstrap = common::bootstrap();
    for door in &DOORS {
        let server = Server::start_command(
            &["--instances", "1", "--front", door.front],
            std::slice::from_ref(&bootstrap),
        );
        check(door, &server);
    }
}

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn the_index_page_is_served_as_html_with_the_doors_server_header() {
    through_every_door(|door, s| {
        let r = s.get(&format!("{}/", door.base));
        assert_eq!(r.status, 200, "{}: {}", door.front, r.text());
        assert!(
            r.header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{}",
            door.front
        );
        assert_eq!(r.header("server"), door.server, "{}", door.front);
    });
}

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn the_set_cookie_headers_the_door_can_carry_reach_the_client_first_one_first() {
    through_every_door(|door, s| {
        let r = s.get(&format!("{}/about", door.base));
        assert_eq!(r.status, 200, "{}: {}", door.front, r.text());
        let cookies = r.all("set-cookie");
        assert_eq!(cookies.len(), door.cookies, "{}: {cookies:?}", door.front);
        assert!(
            cookies[0].starts_with("theme=light"),
            "{}: {cookies:?}",
            door.front
        );
    });
}

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn a_compressed_body_arrives_decoded_from_base64() {
    through_every_door(|door, s| {
        let r = s.send(&format!(
            "GET {}/css/site.css HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n",
            door.base, s.port
        ));
        assert_eq!(r.status, 200, "{}", door.front);
        assert_eq!(r.header("content-encoding"), Some("gzip"), "{}", door.front);
        assert!(
            r.body.starts_with(&[0x1f, 0x8b]),
            "{}: a gzip stream",
            door.front
        );
    });
}

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn a_redirect_keeps_the_query_and_the_doors_prefix() {
    through_every_door(|door, s| {
        let r = s.get(&format!("{}/news/launch?utm=x", door.base));
        assert_eq!(r.status, 302, "{}", door.front);
        assert_eq!(
            r.header("location"),
            Some(format!("{}/blog/launch?utm=x", door.base).as_str()),
            "{}",
            door.front
        );
    });
}
