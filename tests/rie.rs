//! The release `bootstrap` under AWS's own Runtime Interface Emulator (RIE): the project's
//! Runtime API client polling a real Runtime API, events posted one at a time as the Lambda
//! service would pass ALB's. Ignored in a bare `cargo test` (they need the emulator); `make
//! test` runs them (`make rie` puts the emulator in `.tools/`, `RIE=/path` overrides it), and
//! `make test-package` runs them once more on the shipped `dist/bootstrap` (`RIE_BOOTSTRAP`).
//!
//! The RIE handles one invocation at a time (it crashes under concurrent invokes), so the tests
//! share one emulator behind a mutex and each test holds it for its whole run. The emulator is
//! started by the first test that needs it and stopped (with the function) when the last one
//! still holding it is done, even on panic.

mod common;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use common::{
    body_bytes, check_response, decoded_body, event, event_multi, header, header_values, rie_path,
    site_file, status,
};
use local_alb::kit::rie::{Emulator, Output};
use serde_json::Value;

/// The function under test: `$RIE_BOOTSTRAP` (`make test-package` sets it to the shipped
/// `dist/bootstrap`), or the binary cargo built for this test.
fn bootstrap() -> PathBuf {
    std::env::var_os("RIE_BOOTSTRAP").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_bootstrap")),
        PathBuf::from,
    )
}

/// The emulator running the release `bootstrap`, with the checks every invocation here makes.
struct Rie(Emulator);

impl Rie {
    /// Starts it with `env` added to the function's environment.
    fn start(env: &[(&str, &str)]) -> Rie {
        let emulator = Emulator::start(&rie_path(), &bootstrap(), env, Output::Capture)
            .unwrap_or_else(|e| panic!("the emulator did not start: {e}"));
        Rie(emulator)
    }

    fn log_lines(&self) -> Vec<String> {
        self.0.log_lines()
    }

    fn log_text(&self) -> String {
        self.0.log_text()
    }

    fn function_pid(&self) -> Option<u32> {
        self.0.function_pid()
    }

    /// Posts one payload to the invoke endpoint; returns the HTTP status and body.
    fn post(&self, payload: &str) -> (u16, String) {
        let (code, body) = self.0.invoke(payload).unwrap_or_else(|e| {
            panic!(
                "invoking through the emulator failed: {e}; its output:\n{}",
                self.log_text()
            )
        });
        (code, String::from_utf8(body).expect("a UTF-8 reply"))
    }

    /// Invokes with an ALB event and returns the function's response, checked to be one ALB
    /// accepts (a function error document would fail here).
    fn invoke(&self, event: &Value, step: &str) -> Value {
        self.invoke_raw(&event.to_string(), step)
    }

    fn invoke_raw(&self, payload: &str, step: &str) -> Value {
        let (code, body) = self.post(payload);
        assert_eq!(
            code, 200,
            "{step}: the emulator answered HTTP {code}: {body}"
        );
        let response: Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{step}: the invocation result is not JSON ({e}): {body}"));
        assert!(
            response.get("errorType").is_none(),
            "{step}: the function returned an invocation error instead of a response: {body}"
        );
        check_response(&body).unwrap_or_else(|e| panic!("{step}: {e}\nresponse: {body}"))
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The emulator every test shares. A test holds the returned handle (and its lock) for its
/// whole run, so invocations never overlap; the emulator stops when no test holds it.
struct Shared {
    emulator: Arc<Mutex<Rie>>,
}

impl Shared {
    fn get(&self) -> MutexGuard<'_, Rie> {
        lock(&self.emulator)
    }
}

/// The shared emulator.
fn shared() -> Shared {
    static SHARED: Mutex<Weak<Mutex<Rie>>> = Mutex::new(Weak::new());
    let mut weak = lock(&SHARED);
    let emulator = match weak.upgrade() {
        Some(running) => running,
        None => {
            let fresh = Arc::new(Mutex::new(Rie::start(&[])));
            *weak = Arc::downgrade(&fresh);
            fresh
        }
    };
    Shared { emulator }
}

fn load_event(name: &str) -> Value {
    let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn body_text(r: &Value) -> String {
    String::from_utf8(decoded_body(r)).expect("a UTF-8 body")
}

#[test]
#[ignore = "needs the Runtime Interface Emulator: make test runs it"]
fn single_value_event_gets_the_headers_field_and_the_page() {
    let shared = shared();
    let rie = shared.get();
    let r = rie.invoke(
        &event("GET", "/", &[("accept-encoding", "identity")]),
        "GET / (single-value)",
    );
    assert_eq!(status(&r), 200, "{r}");
    assert!(
        r.get("headers").is_some(),
        "single-value mode answers with headers: {r}"
    );
    assert!(r.get("multiValueHeaders").is_none(), "{r}");
    assert_eq!(header(&r, "content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r["isBase64Encoded"], false, "identity HTML is sent as text");
    assert_eq!(decoded_body(&r), site_file("/index.html"));
}

#[test]
#[ignore = "needs the Runtime Interface Emulator: make test runs it"]
fn multi_value_event_gets_the_multi_value_headers_field() {
    let shared = shared();
    let rie = shared.get();
    let r = rie.invoke(
        &load_event("multi-value-cookies.json"),
        "GET /about (multi-value)",
    );
    assert_eq!(status(&r), 200, "{r}");
    assert!(r.get("headers").is_none(), "{r}");
    assert_eq!(
        header_values(&r, "content-type"),
        vec!["text/html; charset=utf-8".to_string()]
    );
    // The sample asks for br: compressed bytes are binary, so base64.
    assert_eq!(
        header_values(&r, "content-encoding"),
        vec!["br".to_string()]
    );
    assert_eq!(r["isBase64Encoded"], true, "compressed bodies are base64");
    assert_eq!(decoded_body(&r), site_file("/about.html"));
}

#[test]
#[ignore = "needs the Runtime Interface Emulator: make test runs it"]
fn health_check_answers_ok_and_is_not_cached() {
    let shared = shared();
    let rie = shared.get();
    let r = rie.invoke(&load_event("alb-health-check.json"), "ALB health check");
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(
        header(&r, "content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(header(&r, "cache-control"), Some("no-store"));
    assert_eq!(body_text(&r), "OK\n");
}

#[test]
#[ignore = "needs the Runtime Interface Emulator: make test runs it"]
fn png_comes_base64_encoded_and_decodes_byte_exact() {
    let shared = shared();
    let rie = shared.get();
    let r = rie.invoke(&load_event("image.json"), "GET /img/logo.png");
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(header(&r, "content-type"), Some("image/png"));
    assert_eq!(
        header(&r, "content-encoding"),
        None,
        "PNG is not recompressed"
    );
    assert_eq!(r["isBase64Encoded"], true, "binary bodies are base64");
    assert_eq!(body_bytes(&r), site_file("/img/logo.png"), "PNG bytes");
}

#[test]
#[ignore = "needs the Runtime Interface Emulator: make test runs it"]
fn etag_from_a_previous_response_gets_304_with_no_body() {
    let shared = shared();
    let rie = shared.get();
    let first = rie.invoke(&load_event("asset-gzip.json"), "GET /css/site.css (gzip)");
    assert_eq!(status(&first), 200, "{first}");
    assert_eq!(header(&first, "content-encoding"), Some("gzip"));
    assert_eq!(
        header(&first, "content-type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(decoded_body(&first), site_file("/css/site.css"));
    let etag = header(&first, "etag").expect("an ETag").to_string();

    let mut again = load_event("asset-gzip.json");
    again["headers"]["if-none-match"] = Value::String(etag.clone());
    let r = rie.invoke(&again, "GET /css/site.css with If-None-Match");
    assert_eq!(status(&r), 304, "{r}");
    assert_eq!(r["body"], "", "a 304 has no body");
    assert_eq!(r["isBase64Encoded"], false);
    assert_eq!(header(&r, "etag"), Some(etag.as_str()));

    let mut other = again.clone();
    other["headers"]["if-none-match"] = Value::String("\"not-the-etag\"".into());
    let r = rie.invoke(&other, "GET /css/site.css with a stale If-None-Match");
    assert_eq!(status(&r), 200, "a different ETag gets the file: {r}");
}

#[test]
#[ignore = "needs the Runtime Interface Emulator: make test runs it"]
fn head_gets_the_get_headers_and_an_empty_body() {
    let shared = shared();
    let rie = shared.get();
    let head = rie.invoke(&load_event("head.json"), "HEAD /about");
    let mut get_event = load_event("head.json");
    get_event["httpMethod"] = Value::String("GET".into());
    let get = rie.invoke(&get_event, "GET /about");
    assert_eq!(status(&head), 200, "{head}");
    assert_eq!(head["body"], "", "HEAD has an empty body");
    assert_eq!(head["isBase64Encoded"], false);
    assert!(!get["body"].as_str().unwrap().is_empty());
    for name in ["content-type", "etag", "content-encoding", "cache-control"] {
        assert_eq!(
            header(&head, name),
            header(&get, name),
            "HEAD and GET agree on {name}"
        );
    }
}

#[test]
#[ignore = "needs the Runtime Interface Emulator: make test runs it"]
fn unknown_path_gets_404_with_the_sites_404_page() {
    let shared = shared();
    let rie = shared.get();
    let r = rie.invoke(&load_event("not-found.json"), "GET /no-such-page");
    assert_eq!(status(&r), 404, "{r}");
    assert_eq!(r["statusDescription"], "404 Not Found");
    assert_eq!(header(&r, "content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(decoded_body(&r), site_file("/404.html"));
}

#[test]
#[ignore = "needs the Runtime Interface Emulator: make test runs it"]
fn post_gets_405_with_allow_get_head() {
    let shared = shared();
    let rie = shared.get();
    let r = rie.invoke(&load_event("method-not-allowed.json"), "POST /");
    assert_eq!(status(&r), 405, "{r}");
    assert_eq!(r["statusDescription"], "405 Method Not Allowed");
    assert_eq!(header(&r, "allow"), Some("GET, HEAD"));
}

#[test]
#[ignore = "needs the Runtime Interface Emulator: make test runs it"]
fn malformed_events_get_400_responses_and_the_same_process_keeps_serving() {
    let shared = shared();
    let rie = shared.get();
    let ok = rie.invoke(
        &load_event("health.json"),
        "health check before the bad input",
    );
    assert_eq!(status(&ok), 200, "{ok}");
    let pid = rie
        .function_pid()
        .expect("the function process runs under the emulator");

    let r = rie.invoke(&load_event("malformed.json"), "event without httpMethod");
    assert_eq!(status(&r), 400, "missing httpMethod: {r}");
    assert!(
        r.get("headers").is_some(),
        "answered in the event's mode: {r}"
    );
    assert!(body_text(&r).contains("httpMethod"), "{r}");

    let mut multi = event_multi("GET", "/", &[("accept", "*/*")]);
    multi.as_object_mut().unwrap().remove("httpMethod");
    let r = rie.invoke(&multi, "multi-value event without httpMethod");
    assert_eq!(status(&r), 400, "{r}");
    assert!(
        r.get("multiValueHeaders").is_some(),
        "answered in multi-value mode: {r}"
    );

    let mut bad_body = event("POST", "/", &[]);
    bad_body["body"] = Value::String("this is *not* base64!".into());
    bad_body["isBase64Encoded"] = Value::Bool(true);
    let r = rie.invoke(&bad_body, "body flagged base64 that is not");
    assert_eq!(status(&r), 400, "{r}");
    assert!(body_text(&r).contains("base64"), "{r}");

    let r = rie.invoke_raw("[1, 2, 3]", "an event that is a JSON array");
    assert_eq!(status(&r), 400, "{r}");

    // Not JSON at all: ALB never sends this, and the handler still answers it with a 400.
    let r = rie.invoke_raw("this is not json", "an event that is not JSON");
    assert_eq!(status(&r), 400, "{r}");

    let r = rie.invoke(&load_event("get-index.json"), "GET / after the bad inputs");
    assert_eq!(status(&r), 200, "still serving after bad input: {r}");
    assert_eq!(decoded_body(&r), site_file("/index.html"));
    assert_eq!(
        rie.function_pid(),
        Some(pid),
        "the same function process answered (no crash and restart); emulator output:\n{}",
        rie.log_text()
    );
}

#[test]
#[ignore = "needs the Runtime Interface Emulator: make test runs it"]
fn by_default_the_request_log_line_is_json() {
    let shared = shared();
    let rie = shared.get();
    let before = rie.log_lines().len();
    let r = rie.invoke(
        &event("GET", "/no-such-page", &[("user-agent", "rie-test/1")]),
        "GET /no-such-page (JSON logs)",
    );
    assert_eq!(status(&r), 404, "{r}");
    let deadline = Instant::now() + Duration::from_secs(5);
    let line = loop {
        let found = rie.log_lines()[before..]
            .iter()
            .find(|l| l.contains("/no-such-page"))
            .cloned();
        if let Some(line) = found {
            break line;
        }
        assert!(
            Instant::now() < deadline,
            "no request log line within 5 s; emulator output:\n{}",
            rie.log_text()
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let log: Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("the request log line is not JSON ({e}): {line}"));
    assert_eq!(log["level"], "INFO", "{log}");
    let fields = &log["fields"];
    assert_eq!(fields["message"], "request", "{log}");
    assert_eq!(fields["method"], "GET", "{log}");
    assert_eq!(fields["path"], "/no-such-page", "{log}");
    assert_eq!(fields["status"], 404, "{log}");
    assert_eq!(fields["userAgent"], "rie-test/1", "{log}");
    assert!(fields["micros"].is_u64(), "{log}");
    assert!(log["span"]["requestId"].is_string(), "{log}");
    // The same line is the request's metrics, with Lambda's name for the function.
    common::check_emf(&line).unwrap_or_else(|e| panic!("{e}\n{line}"));
    assert_eq!(log["FunctionName"], "test_function", "{log}");
    assert_eq!(
        (log["Door"].as_str(), log["Status4xx"].as_u64()),
        (Some("alb"), Some(1))
    );
}

#[test]
#[ignore = "needs the Runtime Interface Emulator: make test runs it"]
fn text_log_format_makes_the_request_log_line_text() {
    // Its own emulator: the log format is fixed when the function starts.
    let rie = Rie::start(&[("AWS_LAMBDA_LOG_FORMAT", "Text")]);
    let r = rie.invoke(
        &event("GET", "/robots.txt", &[]),
        "GET /robots.txt (text logs)",
    );
    assert_eq!(status(&r), 200, "{r}");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let found = rie
            .log_lines()
            .iter()
            .find(|l| l.contains("/robots.txt"))
            .cloned();
        if let Some(line) = found {
            assert!(
                serde_json::from_str::<Value>(&line).is_err(),
                "text format when asked: {line}"
            );
            assert!(line.contains("status=200"), "{line}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no request log line within 5 s; emulator output:\n{}",
            rie.log_text()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
#[ignore = "needs the Runtime Interface Emulator: make test runs it"]
fn stopping_the_emulator_stops_the_function() {
    let rie = Rie::start(&[]);
    let r = rie.invoke(&load_event("health.json"), "health check");
    assert_eq!(status(&r), 200, "{r}");
    let pid = rie
        .function_pid()
        .expect("the function runs under the emulator");
    drop(rie);
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        // A zombie awaiting its reaper counts as stopped.
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if state.split(") ").nth(1).is_some_and(|s| s.starts_with('Z')) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "function process {pid} outlived the emulator"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
#[ignore = "needs the Runtime Interface Emulator: make test runs it"]
fn every_sample_event_comes_back_byte_for_byte_as_the_handler_wrote_it() {
    // The Runtime API client adds, drops and re-encodes nothing: what reaches the Lambda
    // service is the handler's response, serialized once.
    let shared = shared();
    let rie = shared.get();
    let dir = format!("{}/events", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 10,
        "the sample events are in {dir}: {names:?}"
    );
    for name in names {
        let event = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
        let expected = serde_json::to_string(&site_server::handler::handle_site(
            site_server::site::embedded().expect("the embedded site"),
            &event,
        ))
        .unwrap();
        let (code, body) = rie.post(&event);
        assert_eq!(code, 200, "{name}: {body}");
        assert!(
            body == expected,
            "{name}: the emulator got\n{body}\nthe handler wrote\n{expected}"
        );
    }
}
