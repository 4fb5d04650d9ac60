//! Hello world for `lambda_runtime`: the cold-start reference for `make bench-e2e`.
//! It ignores the event and returns a tiny constant ALB response. Like `cargo lambda new`'s
//! template (and like `bootstrap`) it sets up the runtime's default tracing subscriber, so the
//! comparison isolates what the embedded site costs at start.
//!
//! Build: `cargo build --release --examples`.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

const HELLO: &str = r#"{"statusCode":200,"statusDescription":"200 OK","headers":{"Content-Type":"text/plain"},"body":"hello\n","isBase64Encoded":false}"#;

fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let response: &'static RawValue = Box::leak(RawValue::from_string(HELLO.to_string())?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(lambda_runtime::run(service_fn(
        move |_: LambdaEvent<IgnoredAny>| async move { Ok::<_, Error>(response) },
    )))
}
