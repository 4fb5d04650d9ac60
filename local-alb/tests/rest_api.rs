//! `--front rest-api`: local-alb plays an API Gateway REST API (Lambda proxy integration on
//! `ANY /` and `ANY /{proxy+}`, stage `prod` by default, served under `/prod/` like the default
//! execute-api URL) in front of the project's real function. Set BOOTSTRAP=path/to/bootstrap to
//! run it (`make test-local` does).

mod common;

use common::Server;
use hyper::HeaderMap;
use local_alb::event::{self, Place, RequestLine};

fn start() -> Server {
    let bootstrap = common::bootstrap();
    Server::start_command(&["--instances", "1", "--front", "rest-api"], &[bootstrap])
}

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn the_event_it_builds_is_answered_in_the_rest_api_format() {
    let bootstrap = common::bootstrap();
    let line = RequestLine {
        method: "GET",
        path: "/prod/about",
        query: None,
    };
    let place = Place {
        region: "us-east-1",
        stage: "prod",
    };
    let e = event::build_rest_api(
        &line,
        &HeaderMap::new(),
        b"",
        &common::event_context("Root=1-00000000-000000000000000000000000"),
        &place,
    )
    .unwrap();
    let answer = common::invoke_raw(&bootstrap, &e.to_string());
    // Only the four fields API Gateway takes, every header in multiValueHeaders.
    assert_eq!(
        common::keys(&answer),
        ["body", "isBase64Encoded", "multiValueHeaders", "statusCode"],
        "{answer}"
    );
}

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn a_path_outside_the_stage_is_api_gateways_403() {
    let s = start();
    for target in ["/", "/about", "/production/", "/dev/about"] {
        let r = s.get(target);
        assert_eq!(r.status, 403, "{target}");
        assert_eq!(r.header("x-amzn-errortype"), Some("ForbiddenException"));
        assert_eq!(r.json(), serde_json::json!({"message": "Forbidden"}));
    }
}

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn another_stage_serves_under_its_own_name() {
    let bootstrap = common::bootstrap();
    let s = Server::start_command(
        &["--instances", "1", "--front", "rest-api", "--stage", "v1"],
        &[bootstrap],
    );
    assert_eq!(s.get("/v1/").status, 200);
    assert_eq!(s.get("/prod/").status, 403);
}

#[test]
fn a_function_error_is_api_gateways_502_internal_server_error() {
    // The fake function fails on purpose on /mode/error.
    let s = Server::start(&["--instances", "1", "--front", "rest-api"]);
    let r = s.get("/prod/mode/error");
    assert_eq!(r.status, 502);
    assert_eq!(
        r.json(),
        serde_json::json!({"message": "Internal server error"})
    );
}

#[test]
fn a_status_description_makes_the_response_malformed_for_api_gateway() {
    // The fake function's answers carry ALB's statusDescription, which API Gateway refuses.
    let s = Server::start(&["--instances", "1", "--front", "rest-api"]);
    let r = s.get("/prod/anything");
    assert_eq!(r.status, 502);
    assert!(s
        .log_line(
            &["statusDescription", "Malformed"],
            std::time::Duration::from_secs(2)
        )
        .is_some());
}

#[test]
fn a_flag_of_albs_or_a_stage_without_a_rest_api_is_refused() {
    for (args, expected) in [
        (
            &["--front", "rest-api", "--multi-value"][..],
            "--multi-value",
        ),
        (&["--front", "rest-api", "--login"][..], "--login"),
        (&["--stage", "v1"][..], "--stage"),
        (&["--front", "rest-api", "--stage", "a/b"][..], "--stage"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_local-alb"))
            .args(args)
            .args(["--", "true"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}
