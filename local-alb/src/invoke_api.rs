//! Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`): a raw event in, the
//! function's raw payload out, with no ALB in between. The same path and answers as AWS's
//! Runtime Interface Emulator, so tools written for it work here too, but every invocation
//! gets what real Lambda gives it and the RIE does not: a new request id and a new X-Ray trace
//! id (or the caller's `X-Amzn-Trace-Id`), and any number of invocations in flight at once,
//! queued for the instances like the HTTP front's.
//!
//! Answers, as the Invoke API gives them: 200 with the payload; 200 with
//! `X-Amz-Function-Error: Unhandled` and the error document when the function reported an
//! error; 502 when the invocation could not complete (the reason in the body).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::dispatch::{Invocation, Outcome, Queue};
use crate::{ids, listen};

/// Lambda's limit on a synchronous invocation's payload.
const MAX_EVENT: usize = 6 * 1024 * 1024;

type Body = Full<Bytes>;

pub struct InvokeConfig {
    pub queue: Arc<Queue>,
    pub max_wait: Duration,
}

pub async fn serve(listener: TcpListener, cfg: Arc<InvokeConfig>) {
    listen::serve_http(listener, "invoke API", false, move |req, _| {
        handle(req, Arc::clone(&cfg))
    })
    .await
}

/// Whether `path` names a function's invocations (any function name: there is one function).
fn is_invocations_path(path: &str) -> bool {
    path.strip_prefix("/2015-03-31/functions/")
        .and_then(|rest| rest.strip_suffix("/invocations"))
        .is_some_and(|name| !name.is_empty() && !name.contains('/'))
}

async fn handle(
    req: Request<Incoming>,
    cfg: Arc<InvokeConfig>,
) -> Result<Response<Body>, Infallible> {
    if !is_invocations_path(req.uri().path()) {
        return Ok(text(
            StatusCode::NOT_FOUND,
            "not an invocations path".into(),
        ));
    }
    if req.method() != Method::POST {
        return Ok(text(StatusCode::METHOD_NOT_ALLOWED, "POST an event".into()));
    }
    let trace_id = req
        .headers()
        .get("x-amzn-trace-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').find(|part| part.starts_with("Root=")))
        .map(str::to_string)
        .unwrap_or_else(ids::trace_root);
    let payload = match Limited::new(req.into_body(), MAX_EVENT).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            return Ok(text(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the event could not be read (over 6 MB?): {e}"),
            ))
        }
    };
    let (tx, rx) = oneshot::channel();
    cfg.queue.push(Invocation {
        id: ids::request_id(),
        payload,
        trace_id,
        reply: tx,
    });
    let outcome = match tokio::time::timeout(cfg.max_wait, rx).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(_)) => Outcome::Failed("the invocation was dropped".into()),
        Err(_) => Outcome::Failed("no function instance answered in time".into()),
    };
    Ok(match outcome {
        Outcome::Response(payload) => json(payload),
        Outcome::FunctionError { body, .. } => {
            let mut response = json(body);
            response.headers_mut().insert(
                "x-amz-function-error",
                HeaderValue::from_static("Unhandled"),
            );
            response
        }
        Outcome::Failed(why) => text(StatusCode::BAD_GATEWAY, why),
    })
}

fn json(payload: Bytes) -> Response<Body> {
    let mut response = Response::new(Body::new(payload));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn text(status: StatusCode, message: String) -> Response<Body> {
    let mut response = Response::new(Body::new(Bytes::from(message)));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::is_invocations_path;

    #[test]
    fn any_single_function_name_is_an_invocations_path() {
        assert!(is_invocations_path(
            "/2015-03-31/functions/function/invocations"
        ));
        assert!(is_invocations_path(
            "/2015-03-31/functions/my-site/invocations"
        ));
        for path in [
            "/",
            "/2015-03-31/functions//invocations",
            "/2015-03-31/functions/a/b/invocations",
            "/2015-03-31/functions/a/invocations/x",
        ] {
            assert!(!is_invocations_path(path), "{path}");
        }
    }
}
