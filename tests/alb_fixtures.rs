//! Real-world ALB events (from aws-lambda-rust-runtime, see fixtures/alb/SOURCES.md): each one
//! parses and gets a valid ALB response in its own header mode.

mod common;

use common::*;
use serde_json::Value;

fn fixtures() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/alb");
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "json").then(|| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
        })
        .collect();
    out.sort();
    assert_eq!(out.len(), 8, "all eight fixtures are present");
    out
}

#[test]
fn every_fixture_gets_a_valid_response_in_its_header_mode() {
    for (name, text) in fixtures() {
        let event: Value = serde_json::from_str(&text).unwrap();
        let r = call_raw(&text);
        let multi = event.get("multiValueHeaders").is_some_and(|v| !v.is_null());
        assert_eq!(r.get("multiValueHeaders").is_some(), multi, "{name}");
        assert!(status(&r) < 500, "{name}: {r}");
    }
}

#[test]
fn every_fixture_parses_as_an_event_not_a_bad_request() {
    for (name, text) in fixtures() {
        let r = call_raw(&text);
        assert_ne!(status(&r), 400, "{name}: {}", r["body"]);
    }
}

#[test]
fn documented_health_check_fixture_is_served() {
    let r = call_raw(include_str!("fixtures/alb/alb_health_check.json"));
    assert_eq!(status(&r), 200);
}

#[test]
fn real_health_check_without_host_is_answered_not_crashed() {
    // Path /v1/health/ is not this site's health path: an honest 404, never a 5xx.
    let r = call_raw(include_str!("fixtures/alb/alb_no_host.json"));
    assert_eq!(status(&r), 404);
}
