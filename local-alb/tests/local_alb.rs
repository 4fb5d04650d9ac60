//! End-to-end behaviour of local-alb: the real binary, a fake function speaking the
//! Runtime API (tests/fixtures/fake_function.py), and raw HTTP/1.1 on loopback.

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use common::{Server, ALB_502_PAGE};
use serde_json::json;

fn one() -> Server {
    Server::start(&["--instances", "1"])
}

fn is_trace_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("Root=1-") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('-').collect();
    parts.len() == 2
        && parts[0].len() == 8
        && parts[1].len() == 24
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

fn assert_alb_502(server: &Server, target: &str, reason: &str) {
    let r = server.get(target);
    assert_eq!(r.status, 502, "{target}: {}", r.text());
    assert_eq!(r.text(), ALB_502_PAGE);
    assert_eq!(r.header("server"), Some("awselb/2.0"));
    let line = server.log_line(&[target, " 502 ", reason], Duration::from_secs(2));
    assert!(
        line.is_some(),
        "no log line for {target} with {reason:?}: {:#?}",
        server.log_lines()
    );
}

#[test]
fn query_string_reaches_the_function_still_percent_encoded() {
    let s = one();
    let r = s.get("/a%2Fb?x=%3F&y=a+b&k%5B0%5D=v%20w&z=1&z=2&flag");
    assert_eq!(r.status, 200, "{}", r.text());
    let e = &r.json()["event"];
    assert_eq!(e["path"], "/a%2Fb");
    assert_eq!(
        e["queryStringParameters"],
        json!({"x": "%3F", "y": "a+b", "k%5B0%5D": "v%20w", "z": "2", "flag": ""})
    );
}

#[test]
fn request_without_query_has_empty_query_object_and_empty_body() {
    let s = one();
    let e = s.get("/plain").json()["event"].clone();
    assert_eq!(e["queryStringParameters"], json!({}));
    assert_eq!(e["body"], "");
    assert_eq!(e["isBase64Encoded"], false);
    assert_eq!(e["httpMethod"], "GET");
    assert!(e["requestContext"]["elb"]["targetGroupArn"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:elasticloadbalancing:"));
}

#[test]
fn single_value_event_has_lowercase_headers_last_value_and_alb_additions() {
    let s = one();
    let r = s.send(&format!(
        "GET / HTTP/1.1\r\nHost: LocalHost:{}\r\nX-Custom: Keep Case\r\nX-Dup: first\r\nX-Dup: second\r\n\
         X-Forwarded-Proto: https\r\nConnection: close\r\n\r\n",
        s.port
    ));
    let e = &r.json()["event"];
    assert!(e.get("multiValueHeaders").is_none());
    assert!(e.get("multiValueQueryStringParameters").is_none());
    let h = e["headers"].as_object().unwrap();
    for name in h.keys() {
        assert_eq!(name, &name.to_ascii_lowercase());
    }
    assert_eq!(h["host"], format!("localhost:{}", s.port));
    assert_eq!(h["x-custom"], "Keep Case");
    assert_eq!(h["x-dup"], "second");
    assert_eq!(h["x-forwarded-for"], "127.0.0.1");
    assert_eq!(h["x-forwarded-proto"], "http");
    assert_eq!(h["x-forwarded-port"], s.port.to_string());
    assert_eq!(h["connection"], "close");
    let trace = h["x-amzn-trace-id"].as_str().unwrap();
    assert!(is_trace_id(trace), "{trace}");
    let epoch = u64::from_str_radix(&trace[7..15], 16).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(now.abs_diff(epoch) < 60, "trace epoch {epoch} vs now {now}");
}

#[test]
fn multi_value_mode_sends_arrays_and_no_single_value_fields() {
    let s = Server::start(&["--instances", "1", "--multi-value"]);
    let r = s.send(&format!(
        "GET /m?a=1&a=2&b=%20 HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nCookie: n1=v1\r\nCookie: n2=v2\r\nConnection: close\r\n\r\n",
        s.port
    ));
    let e = &r.json()["event"];
    assert!(e.get("headers").is_none());
    assert!(e.get("queryStringParameters").is_none());
    assert_eq!(
        e["multiValueQueryStringParameters"],
        json!({"a": ["1", "2"], "b": ["%20"]})
    );
    let h = &e["multiValueHeaders"];
    assert_eq!(h["cookie"], json!(["n1=v1", "n2=v2"]));
    assert_eq!(h["x-forwarded-proto"], json!(["http"]));
    assert_eq!(h["x-forwarded-port"], json!([s.port.to_string()]));
    assert!(is_trace_id(h["x-amzn-trace-id"][0].as_str().unwrap()));
}

#[test]
fn request_body_is_base64_encoded_by_albs_rule() {
    let s = one();
    let post = |headers: &str, body: &str| {
        let r = s.send(&format!(
            "POST /b HTTP/1.1\r\nHost: x\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ));
        let e = r.json()["event"].clone();
        (
            e["body"].as_str().unwrap().to_string(),
            e["isBase64Encoded"].as_bool().unwrap(),
        )
    };
    let b64 = base64::engine::general_purpose::STANDARD.encode("{\"a\":1}");
    assert_eq!(
        post("Content-Type: application/json\r\n", "{\"a\":1}"),
        ("{\"a\":1}".into(), false)
    );
    assert_eq!(
        post("Content-Type: text/plain; charset=utf-8\r\n", "{\"a\":1}"),
        ("{\"a\":1}".into(), false)
    );
    assert_eq!(
        post("Content-Type: application/octet-stream\r\n", "{\"a\":1}"),
        (b64.clone(), true)
    );
    assert_eq!(
        post(
            "Content-Type: application/x-www-form-urlencoded\r\n",
            "{\"a\":1}"
        ),
        (b64.clone(), true)
    );
    assert_eq!(post("", "{\"a\":1}"), (b64.clone(), true));
    assert_eq!(
        post(
            "Content-Type: application/json\r\nContent-Encoding: gzip\r\n",
            "{\"a\":1}"
        ),
        (b64, true)
    );
}

#[test]
fn request_body_over_1_mb_gets_413_without_invoking() {
    let s = one();
    let r = s.send(
        "POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(r.status, 413);
    // Streamed without a declared length, the limit still holds.
    let chunk = format!("{:x}\r\n{}\r\n", 600_000, "a".repeat(600_000));
    let raw = format!(
        "POST /big2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{chunk}{chunk}0\r\n\r\n"
    );
    assert_eq!(s.send(&raw).status, 413);
    // The function never saw either request: its next event is this one.
    let r = s.get("/after");
    assert_eq!(r.json()["event"]["path"], "/after");
    assert!(s
        .log_line(&["POST /big ", " 413 "], Duration::from_secs(1))
        .is_some());
}

#[test]
fn trace_is_answered_405_by_the_front() {
    let s = one();
    let r = s.send("TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_eq!(r.status, 405);
}

#[test]
fn websocket_upgrade_gets_400() {
    let s = one();
    let r = s.send(
        "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
    assert_eq!(r.status, 400);
}

#[test]
fn runtime_api_next_carries_content_type_and_lambda_headers() {
    let s = Server::start(&["--instances", "1", "--timeout", "7"]);
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let body = s.get("/").json();
    let h = &body["next_headers"];
    assert_eq!(h["content-type"], "application/json");
    let id = h["lambda-runtime-aws-request-id"].as_str().unwrap();
    assert_eq!(id.len(), 36, "{id}");
    let deadline: u64 = h["lambda-runtime-deadline-ms"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        deadline >= before + 6_000 && deadline <= before + 9_000,
        "{deadline} vs {before}"
    );
    assert!(h["lambda-runtime-invoked-function-arn"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:lambda:"));
    let trace = h["lambda-runtime-trace-id"].as_str().unwrap();
    let event_trace = body["event"]["headers"]["x-amzn-trace-id"]
        .as_str()
        .unwrap();
    assert!(
        trace.starts_with(&format!("{event_trace};Parent=")),
        "{trace}"
    );
}

#[test]
fn function_gets_the_environment_a_real_lambda_gives() {
    let s = one();
    let env = s.get("/").json()["env"].clone();
    let api = env["AWS_LAMBDA_RUNTIME_API"].as_str().unwrap();
    let (host, port) = api.split_once(':').unwrap();
    assert_eq!(host, "127.0.0.1");
    assert!(port.parse::<u16>().is_ok(), "{api}");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(env["_HANDLER"], "bootstrap");
    for key in [
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "LAMBDA_TASK_ROOT",
        "AWS_REGION",
    ] {
        assert!(
            env[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key} missing"
        );
    }
}

#[test]
fn null_body_becomes_502() {
    assert_alb_502(&one(), "/mode/null-body", "\"body\" is null");
}

#[test]
fn null_headers_becomes_502() {
    assert_alb_502(&one(), "/mode/null-headers", "\"headers\" is null");
}

#[test]
fn missing_status_code_becomes_502() {
    assert_alb_502(&one(), "/mode/no-status", "statusCode");
}

#[test]
fn boolean_header_value_becomes_502() {
    assert_alb_502(&one(), "/mode/bool-header", "x-flag");
}

#[test]
fn invalid_base64_body_becomes_502() {
    assert_alb_502(&one(), "/mode/bad-base64", "base64");
}

#[test]
fn non_json_response_becomes_502() {
    assert_alb_502(&one(), "/mode/not-json", "not valid JSON");
}

#[test]
fn response_over_1_mb_becomes_502() {
    assert_alb_502(&one(), "/mode/big", "1 MB");
}

#[test]
fn function_error_becomes_502() {
    assert_alb_502(&one(), "/mode/error", "kaboom");
}

#[test]
fn binary_body_comes_out_decoded_byte_exact() {
    let s = one();
    let r = s.get("/mode/binary");
    assert_eq!(r.status, 200);
    let mut expected: Vec<u8> = (0..=255u8).cycle().take(1024).collect();
    expected.extend_from_slice(b"\x00\xff\r\n");
    assert_eq!(r.body, expected);
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(
        r.header("content-length"),
        Some(expected.len().to_string().as_str())
    );
}

#[test]
fn multi_value_mode_sends_every_set_cookie() {
    let s = Server::start(&["--instances", "1", "--multi-value"]);
    let r = s.get("/mode/cookies");
    assert_eq!(r.status, 200);
    let mut cookies = r.all("set-cookie");
    cookies.sort();
    assert_eq!(cookies, ["a=1", "b=2", "c=3"]);
}

#[test]
fn single_value_mode_reads_only_the_headers_field() {
    let s = one();
    let r = s.get("/mode/cookies");
    assert_eq!(r.all("set-cookie"), ["single=1"]);
}

#[test]
fn hop_by_hop_headers_are_dropped_and_length_computed() {
    let s = one();
    let r = s.get("/mode/hop");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "abc");
    assert_eq!(r.header("content-length"), Some("3"));
    assert_eq!(r.header("transfer-encoding"), None);
    assert_eq!(r.header("keep-alive"), None);
    assert_eq!(r.header("x-ok"), Some("1"));
    assert_eq!(r.header("server"), Some("awselb/2.0"));
}

#[test]
fn function_server_header_is_kept() {
    let r = one().get("/mode/own-server");
    assert_eq!(r.all("server"), ["my-server"]);
}

#[test]
fn function_status_code_is_passed_through() {
    let r = one().get("/mode/status");
    assert_eq!(r.status, 404);
    assert_eq!(r.text(), "nope");
}

#[test]
fn head_request_gets_headers_but_no_body() {
    let s = one();
    let r = s.send("HEAD /mode/hop HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(r.header("x-ok"), Some("1"));
    assert_eq!(r.header("content-length"), Some("3"));
}

#[test]
fn timeout_becomes_502_and_the_instance_is_replaced() {
    let s = Server::start(&["--instances", "1", "--timeout", "1"]);
    let started = Instant::now();
    assert_alb_502(&s, "/mode/sleep", "timed out");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let r = s.get("/after-timeout");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["event"]["path"], "/after-timeout");
}

#[test]
fn crash_mid_invocation_becomes_502_and_the_next_request_works() {
    let s = one();
    let pid_before = s.get("/").json()["pid"].as_u64().unwrap();
    assert_alb_502(&s, "/mode/crash", "exited with status 3");
    let r = s.get("/after-crash");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["event"]["path"], "/after-crash");
    assert_ne!(r.json()["pid"].as_u64().unwrap(), pid_before);
}

#[test]
fn init_error_fails_the_waiting_request_with_502() {
    let s = Server::start_env(
        &["--instances", "1"],
        &common::fake_function(),
        &[("FAKE_INIT", "error")],
    );
    let started = Instant::now();
    assert_alb_502(&s, "/", "no config");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn crash_during_init_fails_the_waiting_request_with_502() {
    let s = Server::start_env(
        &["--instances", "1"],
        &common::fake_function(),
        &[("FAKE_INIT", "crash")],
    );
    assert_alb_502(&s, "/", "exited with status 4 during init");
}

#[test]
fn eight_concurrent_clients_get_their_own_answers_with_two_instances() {
    let s = Server::start(&["--instances", "2"]);
    // Warm both instances so the timing below measures dispatch, not start-up.
    s.get("/");
    let started = Instant::now();
    let answers: Vec<(String, serde_json::Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let s = &s;
                scope.spawn(move || {
                    let path = format!("/mode/slow/client-{i}");
                    let r = s.get(&path);
                    assert_eq!(r.status, 200, "{}", r.text());
                    (path, serde_json::from_slice(&r.body).unwrap())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut pids = std::collections::HashSet::new();
    for (path, body) in &answers {
        assert_eq!(&body["path"], path);
        pids.insert(body["pid"].as_u64().unwrap());
    }
    assert_eq!(pids.len(), 2, "both instances should have served");
    // 8 requests of 0.3 s on 2 one-at-a-time instances: at least 4 rounds.
    assert!(
        started.elapsed() >= Duration::from_millis(1150),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn each_request_is_logged_with_status_bytes_and_time() {
    let s = one();
    let r = s.get("/logged?q=1");
    let line = s
        .log_line(&["GET /logged?q=1 200 "], Duration::from_secs(2))
        .expect("log line");
    assert!(line.contains(&format!(" {}B ", r.body.len())), "{line}");
    assert!(line.trim_end().ends_with("ms"), "{line}");
}

#[test]
fn it_listens_within_a_second_and_requests_wait_for_an_instance() {
    let started = Instant::now();
    let s = one();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(s.get("/first").status, 200);
}

#[test]
fn sigterm_stops_local_alb_and_its_function_instances() {
    let mut s = Server::start(&["--instances", "2"]);
    let pid = s.get("/").json()["pid"].as_u64().unwrap();
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    let status = s.terminate().expect("local-alb did not exit on SIGTERM");
    assert!(status.success(), "{status:?}");
    std::thread::sleep(Duration::from_millis(200));
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Gone, or at worst a zombie awaiting its reaper.
    assert!(
        stat.is_empty() || stat.contains(") Z "),
        "instance {pid} still alive: {stat}"
    );
}

fn run_cli(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_local-alb"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn help_explains_the_usage() {
    let (code, out, _) = run_cli(&["--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Usage: local-alb") && out.contains("--multi-value"),
        "{out}"
    );
}

#[test]
fn bad_flags_give_clear_errors() {
    let cases: &[(&[&str], &str)] = &[
        (&["--bogus", "--", "true"], "unknown option --bogus"),
        (&["--instances", "zero", "--", "true"], "--instances"),
        (&["--timeout"], "--timeout needs a value"),
        (&[], "missing COMMAND"),
        (&["--", "/nonexistent/bootstrap"], "not found"),
        (&["--listen", "nope", "--", "true"], "--listen"),
    ];
    for (args, expected) in cases {
        let (code, _, err) = run_cli(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

#[test]
fn non_loopback_listen_is_refused_without_allow_remote() {
    let (code, _, err) = run_cli(&["--listen", "0.0.0.0:0", "--", "true"]);
    assert_eq!(code, 2);
    assert!(err.contains("--allow-remote"), "{err}");
}

#[test]
fn non_utf8_header_value_gets_400() {
    let s = one();
    let r = s.send_bytes(
        b"GET /bytes HTTP/1.1\r\nHost: x\r\nX-Bad: \xff\xfe\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(r.status, 400);
    assert!(s
        .log_line(&["GET /bytes 400 ", "UTF-8"], Duration::from_secs(1))
        .is_some());
}

#[test]
fn not_modified_and_no_content_go_out_without_a_body() {
    let s = one();
    let r = s.get("/mode/status/304");
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    let r = s.get("/mode/status/204");
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-length"), None);
}

#[test]
fn informational_status_code_becomes_502() {
    assert_alb_502(&one(), "/mode/status/101", "statusCode");
}
