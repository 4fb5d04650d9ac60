//! The cost floor of answering through `lambda_runtime`: a function that does no work but
//! hand back ready-made response bytes. `make bench-e2e` runs it beside `bootstrap`, fed with
//! `bootstrap`'s own responses, so the difference between the two is what the site server costs
//! on top of the runtime.
//!
//! At start it reads `$FLOOR_RESPONSES`, a JSON object mapping an event's `path` to the ALB
//! response to return for it; each invocation reads only the event's `path` and returns that
//! response as a `RawValue` (written out verbatim). An unknown path is an invocation error.
//!
//! Build: `cargo build --release --examples`; run under the RIE (see `examples/bench_e2e.rs`).

use std::collections::HashMap;

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde::Deserialize;
use serde_json::value::RawValue;

/// The only field read from the event.
#[derive(Deserialize)]
struct Key {
    path: String,
}

fn main() -> Result<(), Error> {
    let file = std::env::var("FLOOR_RESPONSES")
        .map_err(|_| "FLOOR_RESPONSES must name a JSON file of ready-made responses")?;
    let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let responses: HashMap<String, Box<RawValue>> = serde_json::from_str(&text)?;
    let responses: &'static HashMap<String, Box<RawValue>> = Box::leak(Box::new(responses));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Key>| async move {
            responses
                .get(&event.payload.path)
                .map(|r| &**r)
                .ok_or_else(|| Error::from(format!("no response for {}", event.payload.path)))
        },
    )))
}
