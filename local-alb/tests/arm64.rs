//! The arm64 (Graviton) function is the x86_64 one: the same site built for both machines gives
//! the same answers, byte for byte, to every sample event of every front door and to malformed
//! input, and the arm64 build serves the site through the Runtime API (local-alb) run by
//! qemu-user on an x86_64 machine.
//!
//! `make test-arm64` builds both and runs these with BOOTSTRAP (the x86_64 build),
//! ARM64_BOOTSTRAP (the arm64 build) and ARM64_RUN (tools/arm64.sh, which runs it here).

mod common;

use common::{InvokeApi, Resp, Server};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const NEEDS: &str = "needs the arm64 build and qemu-user: make test-arm64 runs it";

fn env_path(name: &str) -> String {
    let value = std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set ({NEEDS}: `make test-arm64`)"));
    assert!(Path::new(&value).is_file(), "{name}={value} is not a file");
    value
}

/// The command that starts the x86_64 function.
fn x86_64() -> Vec<String> {
    vec![env_path("BOOTSTRAP")]
}

/// The command that starts the arm64 function on this machine (through qemu-user).
fn arm64() -> Vec<String> {
    vec![
        env_path("ARM64_RUN"),
        "run".into(),
        env_path("ARM64_BOOTSTRAP"),
    ]
}

/// `bootstrap invoke ARG` (a file, or `-` with `stdin`): its exit status and what it printed.
fn invoke(function: &[String], arg: &str, stdin: &[u8]) -> (Option<i32>, Vec<u8>) {
    let mut child = Command::new(&function[0])
        .args(&function[1..])
        .args(["invoke", arg])
        .env_remove("SITE_AUTH_SIGNER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {function:?}: {e}"));
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code(), out.stdout)
}

/// Fails, showing both answers, unless they are the same bytes.
fn assert_same(what: &str, x86_64: &(Option<i32>, Vec<u8>), arm64: &(Option<i32>, Vec<u8>)) {
    assert!(
        x86_64 == arm64,
        "{what}: the arm64 function answers differently from the x86_64 one\n\
         x86_64 (exit {:?}):\n{}\narm64 (exit {:?}):\n{}",
        x86_64.0,
        String::from_utf8_lossy(&x86_64.1),
        arm64.0,
        String::from_utf8_lossy(&arm64.1),
    );
}

/// events/*.json (ALB) and events/<door>/*.json (the other front doors).
fn sample_events() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
    let mut events = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                events.push(path);
            }
        }
    }
    events.sort();
    events
}

#[test]
#[ignore = "needs the arm64 build and qemu-user: make test-arm64 runs it"]
fn every_sample_event_of_every_front_door_gets_the_same_answer_on_arm64() {
    let (x86_64, arm64) = (x86_64(), arm64());
    let events = sample_events();
    // ALB's and the three other doors' own folders: a lost folder must not pass unnoticed.
    for door in ["function-url", "rest-api", "vpc-lattice"] {
        assert!(
            events.iter().any(|e| e.parent().unwrap().ends_with(door)),
            "no sample event for {door} in {events:?}"
        );
    }
    assert!(events.len() >= 30, "only {} sample events", events.len());
    for event in &events {
        let file = event.to_str().unwrap();
        let answer = invoke(&x86_64, file, b"");
        assert_eq!(answer.0, Some(0), "{file}: the x86_64 function failed");
        assert!(
            serde_json::from_slice::<serde_json::Value>(&answer.1).is_ok(),
            "{file}: the x86_64 answer is not JSON"
        );
        assert_same(file, &answer, &invoke(&arm64, file, b""));
    }
}

#[test]
#[ignore = "needs the arm64 build and qemu-user: make test-arm64 runs it"]
fn malformed_input_gets_the_same_answer_on_arm64() {
    let (x86_64, arm64) = (x86_64(), arm64());
    let inputs: [&[u8]; 8] = [
        b"",
        b"{",
        b"not json",
        b"[]",
        b"null",
        br#"{"httpMethod": 7, "path": "/"}"#,
        br#"{"httpMethod": "GET", "path": "/\u0000", "headers": {"accept-encoding": "br"}}"#,
        b"\xff\xfe{\"httpMethod\":\"GET\"}",
    ];
    for input in inputs {
        let what = format!("stdin {:?}", String::from_utf8_lossy(input));
        assert_same(
            &what,
            &invoke(&x86_64, "-", input),
            &invoke(&arm64, "-", input),
        );
    }
}

/// The function's answer to `payload` through local-alb's Invoke API, as [`invoke`] gives it.
fn through(api: &mut InvokeApi, payload: &str) -> (Option<i32>, Vec<u8>) {
    let (status, body) = api.client.invoke(payload).expect("invoke");
    (Some(i32::from(status)), body)
}

#[test]
#[ignore = "needs the arm64 build and qemu-user: make test-arm64 runs it"]
fn a_malformed_event_through_the_runtime_api_gets_the_same_answer_on_arm64() {
    let mut x86_64 = InvokeApi::start(&x86_64());
    let mut arm64 = InvokeApi::start(&arm64());
    for payload in [
        "not json",
        "{}",
        r#"{"httpMethod": "GET"}"#,
        r#"{"requestContext": {"elb": {}}, "httpMethod": "GET", "path": 7}"#,
    ] {
        let answer = through(&mut x86_64, payload);
        assert_same(payload, &answer, &through(&mut arm64, payload));
    }
}

fn get(s: &Server, target: &str, headers: &str) -> Resp {
    s.send(&format!(
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{headers}Connection: close\r\n\r\n",
        s.port
    ))
}

/// Status, headers (but the date, which is the moment) and body: what a client sees.
fn seen(r: &Resp) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let headers = r
        .headers
        .iter()
        .filter(|(k, _)| k != "date")
        .cloned()
        .collect();
    (r.status, headers, r.body.clone())
}

/// Asks both servers; fails unless the client sees the same from both. The arm64 answer.
fn same_through_both(x86_64: &Server, arm64: &Server, target: &str, headers: &str) -> Resp {
    let (a, b) = (get(x86_64, target, headers), get(arm64, target, headers));
    assert!(
        seen(&a) == seen(&b),
        "GET {target} with {headers:?}: the arm64 function answers differently through local-alb\n\
         x86_64: {} {:?}\narm64: {} {:?}",
        a.status,
        a.headers,
        b.status,
        b.headers
    );
    b
}

#[test]
#[ignore = "needs the arm64 build and qemu-user: make test-arm64 runs it"]
fn the_arm64_function_serves_the_site_through_the_runtime_api() {
    let flags = ["--instances", "1"];
    let x86_64 = Server::start_command(&flags, &x86_64());
    let arm64 = Server::start_command(&flags, &arm64());

    let page = same_through_both(&x86_64, &arm64, "/", "");
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/html")));
    assert!(page.text().contains("<html"), "{}", page.text());

    for encoding in ["gzip", "br"] {
        let r = same_through_both(
            &x86_64,
            &arm64,
            "/css/site.css",
            &format!("Accept-Encoding: {encoding}\r\n"),
        );
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("content-encoding"),
            Some(encoding),
            "{:?}",
            r.headers
        );
    }

    let etag = page
        .header("etag")
        .expect("the page has an ETag")
        .to_string();
    let r = same_through_both(&x86_64, &arm64, "/", &format!("If-None-Match: {etag}\r\n"));
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());

    let r = same_through_both(&x86_64, &arm64, "/robots.txt", "Range: bytes=0-9\r\n");
    assert_eq!(r.status, 206, "{}", r.text());
    assert_eq!(r.body.len(), 10);
    assert!(r
        .header("content-range")
        .is_some_and(|c| c.starts_with("bytes 0-9/")));

    let r = same_through_both(&x86_64, &arm64, "/no-such-page", "");
    assert_eq!(r.status, 404);
}

#[test]
#[ignore = "needs the arm64 build and qemu-user: make test-arm64 runs it"]
fn the_arm64_function_keeps_a_private_page_private() {
    // The site made private by the environment, as the deploy makes it behind ALB's login: no
    // login, no page. The key URL leads nowhere: a request without a token needs no key.
    let x86_64 = Server::start_env(
        &["--instances", "1"],
        &x86_64(),
        &[
            ("SITE_AUTH_SIGNER", local_alb::kit::login::LOCAL_SIGNER),
            ("SITE_AUTH_KEY_URL", "http://127.0.0.1:9/{kid}"),
        ],
    );
    let arm64 = Server::start_env(
        &["--instances", "1"],
        &arm64(),
        &[
            ("SITE_AUTH_SIGNER", local_alb::kit::login::LOCAL_SIGNER),
            ("SITE_AUTH_KEY_URL", "http://127.0.0.1:9/{kid}"),
        ],
    );
    let r = same_through_both(&x86_64, &arm64, "/about", "");
    assert_eq!(r.status, 401, "{}", r.text());
    let r = same_through_both(&x86_64, &arm64, "/health", "");
    assert_eq!(r.status, 200, "the health check needs no login");
}

#[test]
#[ignore = "needs the arm64 build and qemu-user: make test-arm64 runs it"]
fn the_arm64_function_verifies_a_signed_login() {
    // local-alb signs each request's login as ALB does; the function fetches the key and checks
    // the ES256 signature with ring's aarch64 code.
    let arm64 = Server::start_command(
        &["--instances", "1", "--login-as", "alice@example.com:staff"],
        &arm64(),
    );
    let r = get(&arm64, "/about", "");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r
        .header("cache-control")
        .is_some_and(|c| c.starts_with("private")));
}
