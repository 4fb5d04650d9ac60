//! A warm instance's memory stays flat while every invocation carries a new request id and a new
//! X-Ray trace id, as Lambda sends them. (`lambda_runtime` put each trace id into the process
//! environment, where glibc keeps every value it has seen: about 130 bytes lost per request.)
//!
//! Runs the real bootstrap (`BOOTSTRAP=path/to/bootstrap`, as `make test-local` sets it) behind
//! local-alb's Invoke API. Memory, not time: it holds on a noisy machine.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use common::Server;
use serde_json::{json, Value};

const INVOCATIONS: usize = 50_000;
const BASELINE_AT: usize = 5_000;
const MAX_GROWTH_KIB: u64 = 1024;

#[test]
fn peak_rss_stays_flat_over_50000_invocations_with_distinct_trace_ids() {
    let Some(bootstrap) = std::env::var_os("BOOTSTRAP") else {
        eprintln!("skipping peak_rss_stays_flat_over_50000_invocations_with_distinct_trace_ids: set BOOTSTRAP=path/to/bootstrap to run it");
        return;
    };
    let bootstrap = bootstrap.to_string_lossy().into_owned();
    let port = free_port();
    let invoke_api = format!("127.0.0.1:{port}");
    // One instance, as one warm Lambda instance sees its traffic; its request log stays off.
    let server = Server::start_env(
        &["--instances", "1", "--invoke-api", &invoke_api],
        std::slice::from_ref(&bootstrap),
        &[("AWS_LAMBDA_LOG_LEVEL", "WARN")],
    );
    let mut client = InvokeClient::connect(port);

    let mut events = browser_mix();
    // Revalidations: each page and asset again with the ETag it was served with.
    for event in events.clone() {
        let response = client.invoke(&event.to_string());
        let etag = response["headers"]["ETag"].as_str();
        if let (200, Some(etag)) = (response["statusCode"].as_u64().unwrap_or(0), etag) {
            let mut again = event.clone();
            again["headers"]["if-none-match"] = json!(etag);
            assert_eq!(client.invoke(&again.to_string())["statusCode"], 304);
            events.push(again);
        }
    }
    let events: Vec<String> = events.iter().map(Value::to_string).collect();
    let pid = function_pid(server.pid());

    let mut baseline = 0;
    for i in 1..=INVOCATIONS {
        let response = client.invoke(&events[i % events.len()]);
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
            events.push(json!({
                "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/site/0123456789abcdef"}},
                "httpMethod": "GET",
                "path": path,
                "queryStringParameters": {},
                "headers": {
                    "accept": "text/html,*/*;q=0.8",
                    "accept-encoding": encoding,
                    "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0",
                    "x-forwarded-for": "203.0.113.9",
                    "x-forwarded-proto": "https",
                },
                "body": "",
                "isBase64Encoded": false,
            }));
        }
        events.push(json!({
            "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/site/0123456789abcdef"}},
            "httpMethod": "GET",
            "path": path,
            "multiValueQueryStringParameters": {},
            "multiValueHeaders": {"accept-encoding": ["br"], "accept": ["*/*"]},
            "body": "",
            "isBase64Encoded": false,
        }));
    }
    events
}

/// A keep-alive client of the Invoke API.
struct InvokeClient {
    reader: BufReader<TcpStream>,
}

impl InvokeClient {
    fn connect(port: u16) -> InvokeClient {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the Invoke API");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        InvokeClient {
            reader: BufReader::new(stream),
        }
    }

    fn invoke(&mut self, event: &str) -> Value {
        let request = format!(
            "POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{event}",
            event.len()
        );
        self.reader
            .get_mut()
            .write_all(request.as_bytes())
            .expect("send the event");
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("status line");
        assert!(line.starts_with("HTTP/1.1 200"), "Invoke API: {line}");
        let mut length = None;
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("header line");
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                }
            }
        }
        let mut body = vec![0; length.expect("a Content-Length")];
        self.reader.read_exact(&mut body).expect("body");
        serde_json::from_slice(&body).expect("a JSON response")
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// local-alb's one child: the function instance.
fn function_pid(local_alb: u32) -> u32 {
    let mut pids = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{local_alb}/task")).expect("local-alb's tasks") {
        let path = task.unwrap().path().join("children");
        if let Ok(text) = std::fs::read_to_string(path) {
            pids.extend(text.split_whitespace().map(|p| p.parse::<u32>().unwrap()));
        }
    }
    assert_eq!(pids.len(), 1, "one function instance: {pids:?}");
    pids[0]
}

/// VmHWM: the process's peak resident set.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the function runs");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}
