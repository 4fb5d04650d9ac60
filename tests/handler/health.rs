//! Health checks: the ALB's checker gets 200, whatever the mode or method.

use crate::common::*;

#[test]
fn alb_health_check_event_gets_200() {
    let r = call(&event(
        "GET",
        "/health",
        &[("user-agent", "ELB-HealthChecker/2.0")],
    ));
    assert_eq!(status(&r), 200);
    assert_eq!(header(&r, "cache-control"), Some("no-store"));
}

#[test]
fn health_check_in_multi_value_mode_gets_200() {
    let r = call(&event_multi(
        "GET",
        "/health",
        &[("user-agent", "ELB-HealthChecker/2.0")],
    ));
    assert_eq!(status(&r), 200);
    assert!(r.get("multiValueHeaders").is_some());
}

#[test]
fn seed_page_sample_event_gets_200() {
    let r = call_raw(include_str!("../../events/health.json"));
    assert_eq!(status(&r), 200);
}

#[test]
fn health_check_with_head_gets_200_without_body() {
    let r = call(&event("HEAD", "/health", &[]));
    assert_eq!(status(&r), 200);
    assert_eq!(r["body"], "");
}
