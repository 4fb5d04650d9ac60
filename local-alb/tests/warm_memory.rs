//! A warm instance's memory stays flat while every invocation carries a new request id and a new
//! X-Ray trace id, as Lambda sends them. (`lambda_runtime` put each trace id into the process
//! environment, where glibc keeps every value it has seen: about 130 bytes lost per request.)
//!
//! Runs the real bootstrap (`BOOTSTRAP=path/to/bootstrap`, as `make test-local` sets it) behind
//! local-alb's Invoke API. Memory, not time: it holds on a noisy machine.

mod common;

use std::net::TcpListener;

use common::Server;
use local_alb::kit::alb_event::AlbEvent;
use local_alb::kit::{invoke, process};
use serde_json::{json, Value};

const INVOCATIONS: usize = 50_000;
const BASELINE_AT: usize = 5_000;
const MAX_GROWTH_KIB: u64 = 1024;

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn peak_rss_stays_flat_over_50000_invocations_with_distinct_trace_ids() {
    let bootstrap = common::bootstrap();
    let port = free_port();
    let invoke_api = format!("127.0.0.1:{port}");
    // One instance, as one warm Lambda instance sees its traffic; its request log stays off.
    let server = Server::start_env(
        &["--instances", "1", "--invoke-api", &invoke_api],
        std::slice::from_ref(&bootstrap),
        &[("AWS_LAMBDA_LOG_LEVEL", "WARN")],
    );
    let mut client = invoke::Client::connect(port).expect("connect to the Invoke API");

    let mut events = browser_mix();
    // Revalidations: each page and asset again with the ETag it was served with.
    for event in events.clone() {
        let response = call(&mut client, &event.to_string());
        let etag = response["headers"]["ETag"].as_str();
        if let (200, Some(etag)) = (response["statusCode"].as_u64().unwrap_or(0), etag) {
            let mut again = event.clone();
            again["headers"]["if-none-match"] = json!(etag);
            assert_eq!(call(&mut client, &again.to_string())["statusCode"], 304);
            events.push(again);
        }
    }
    let events: Vec<String> = events.iter().map(Value::to_string).collect();
    let pid = function_pid(server.pid());

    let mut baseline = 0;
    for i in 1..=INVOCATIONS {
        let response = call(&mut client, &events[i % events.len()]);
        assert!(
            response["statusCode"].is_u64(),
            "invocation {i}: {response}"
        );
        if i == BASELINE_AT {
            baseline = peak_rss_kib(pid);
        }
    }
    let end = peak_rss_kib(pid);
    assert_eq!(
        function_pid(server.pid()),
        pid,
        "the same process answered throughout"
    );
    eprintln!(
        "peak RSS after {BASELINE_AT} invocations: {baseline} KiB; after {INVOCATIONS}: {end} KiB"
    );
    assert!(
        end.saturating_sub(baseline) < MAX_GROWTH_KIB,
        "peak RSS grew from {baseline} KiB to {end} KiB between invocation {BASELINE_AT} and {INVOCATIONS}"
    );
}

/// What a browser asks of the sample site: pages, CSS, JS, a font, an image, compressed and
/// not, a missing page and a missing asset, in both header modes.
fn browser_mix() -> Vec<Value> {
    let mut events = Vec::new();
    for path in [
        "/",
        "/about",
        "/blog/",
        "/docs/guide/",
        "/css/site.css",
        "/assets/app.3f9a2c1b.js",
        "/js/analytics.js",
        "/assets/fonts/dejavu-sans-subset.woff2",
        "/img/logo.png",
        "/robots.txt",
        "/no-such-page",
        "/img/missing.png",
    ] {
        for encoding in ["gzip, deflate, br, zstd", "gzip", ""] {
            events.push(
                AlbEvent::new("GET", path)
                    .headers(&[
                        ("accept", "text/html,*/*;q=0.8"),
                        ("accept-encoding", encoding),
                        ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0"),
                        ("x-forwarded-for", "203.0.113.9"),
                        ("x-forwarded-proto", "https"),
                    ])
                    .to_json(),
            );
        }
        events.push(
            AlbEvent::new("GET", path)
                .multi_value(true)
                .headers(&[("accept-encoding", "br"), ("accept", "*/*")])
                .to_json(),
        );
    }
    events
}

/// One invocation through the Invoke API; the function's response.
fn call(client: &mut invoke::Client, event: &str) -> Value {
    let (status, body) = client.invoke(event).expect("an invocation");
    assert_eq!(
        status,
        200,
        "Invoke API: {}",
        String::from_utf8_lossy(&body)
    );
    serde_json::from_slice(&body).expect("a JSON response")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// local-alb's one child: the function instance.
fn function_pid(local_alb: u32) -> u32 {
    let pids = process::children(local_alb);
    assert_eq!(pids.len(), 1, "one function instance: {pids:?}");
    pids[0]
}

fn peak_rss_kib(pid: u32) -> u64 {
    process::peak_rss_kib(pid).expect("VmHWM of the running function")
}
