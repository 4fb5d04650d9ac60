//! A panic in the function, under AWS's Runtime Interface Emulator: the invocation that
//! panicked is answered with the invocation error `Runtime.Panic` (ALB answers 502), and the
//! same warm process serves the next one. The panic is induced through the `test-panic`
//! feature, which only a debug build takes (`make test-panic` runs this; a bare `cargo test`
//! does not build it, and the release build refuses the feature).

use std::path::PathBuf;

mod common;

use common::{event, rie_path};
use local_alb::kit::rie::{Emulator, Output};
use serde_json::Value;

fn invoke(rie: &Emulator, path: &str) -> Value {
    let (code, body) = rie
        .invoke(&event("GET", path, &[]).to_string())
        .unwrap_or_else(|e| panic!("invoking failed: {e}\n{}", rie.log_text()));
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

#[test]
#[ignore = "needs the Runtime Interface Emulator: make test runs it"]
fn a_panic_is_the_invocations_error_and_the_same_process_serves_the_next() {
    let bootstrap = PathBuf::from(env!("CARGO_BIN_EXE_bootstrap"));
    let rie = Emulator::start(&rie_path(), &bootstrap, &[], Output::Capture)
        .unwrap_or_else(|e| panic!("the emulator did not start: {e}"));
    let first = invoke(&rie, "/health");
    assert_eq!(first["statusCode"], 200, "{first}");
    let pid = rie.function_pid().expect("the function runs");

    let panicked = invoke(&rie, "/__test_panic");
    assert_eq!(panicked["errorType"], "Runtime.Panic", "{panicked}");
    assert!(
        panicked["errorMessage"]
            .as_str()
            .unwrap()
            .contains("induced on purpose"),
        "{panicked}"
    );

    let next = invoke(&rie, "/health");
    assert_eq!(next["statusCode"], 200, "{next}");
    assert_eq!(
        rie.function_pid(),
        Some(pid),
        "the same process, still warm, served the next invocation"
    );
}
