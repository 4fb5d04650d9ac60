//! The Lambda Runtime API (2018-06-01), one listener per instance.
//!
//! A separate port per instance is how a request on the API is tied to the process
//! that made it, without needing a path in `AWS_LAMBDA_RUNTIME_API` (which Node's
//! runtime client rejects).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::json;
use tokio::net::TcpListener;

use crate::dispatch::{Outcome, Queue, Slot};
use crate::{ids, listen};

/// Lambda's own limit on a synchronous response payload.
const MAX_RUNTIME_RESPONSE: usize = 6 * 1024 * 1024;

type Body = Full<Bytes>;

pub struct ApiConfig {
    pub queue: Arc<Queue>,
    pub timeout: Duration,
    pub function_arn: String,
}

/// Binds a fresh loopback port for one instance's Runtime API.
pub async fn bind() -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

pub async fn serve(listener: TcpListener, slot: Arc<Slot>, cfg: Arc<ApiConfig>) {
    // A runtime that dies mid-request is routine here (the supervisor reports its exit). The
    // real service sends `Lambda-Runtime-Aws-Request-Id` etc. in title case.
    listen::serve_http(listener, "runtime API", true, move |req, _| {
        handle(req, Arc::clone(&slot), Arc::clone(&cfg))
    })
    .await
}

async fn handle(
    req: Request<Incoming>,
    slot: Arc<Slot>,
    cfg: Arc<ApiConfig>,
) -> Result<Response<Body>, Infallible> {
    let path = req.uri().path().to_string();
    let Some(route) = path.strip_prefix("/2018-06-01/runtime/") else {
        return Ok(error(StatusCode::NOT_FOUND, "NotFound", "unknown path"));
    };
    let response = match (req.method(), route) {
        (&Method::GET, "invocation/next") => next(&slot, &cfg).await,
        (&Method::POST, "init/error") => init_error(req, &slot).await,
        (&Method::POST, route) => match route.strip_prefix("invocation/") {
            Some(rest) => {
                if let Some(id) = rest.strip_suffix("/response") {
                    respond(req, id, &slot).await
                } else if let Some(id) = rest.strip_suffix("/error") {
                    invocation_error(req, id, &slot).await
                } else {
                    error(StatusCode::NOT_FOUND, "NotFound", "unknown path")
                }
            }
            None => error(StatusCode::NOT_FOUND, "NotFound", "unknown path"),
        },
        _ => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "bad method",
        ),
    };
    Ok(response)
}

async fn next(slot: &Arc<Slot>, cfg: &ApiConfig) -> Response<Body> {
    let mut generation = slot.watch_generation();
    let gen = *generation.borrow_and_update();
    slot.mark_initialized(gen);
    let inv = tokio::select! {
        inv = cfg.queue.pop() => inv,
        // The process that asked is gone; leave the work for its replacement.
        _ = generation.changed() => {
            return error(StatusCode::GONE, "InstanceReplaced", "this instance has exited");
        }
    };
    let deadline = ids::epoch_millis() + cfg.timeout.as_millis() as u64;
    let payload = inv.payload.clone();
    let id = inv.id.clone();
    let trace = format!("{};Parent={};Sampled=0", inv.trace_id, ids::segment_id());
    if let Err(inv) = slot.start(gen, inv, cfg.timeout) {
        cfg.queue.push_front(inv);
        return error(
            StatusCode::GONE,
            "InstanceReplaced",
            "this instance has exited",
        );
    }
    let mut response = Response::new(Body::new(payload));
    let h = response.headers_mut();
    // Without Content-Type, awslambdaric (the Python runtime client) segfaults.
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let pairs = [
        ("lambda-runtime-aws-request-id", id),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            cfg.function_arn.clone(),
        ),
        ("lambda-runtime-trace-id", trace),
    ];
    for (name, value) in pairs {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    response
}

async fn respond(req: Request<Incoming>, id: &str, slot: &Slot) -> Response<Body> {
    let body = match read_body(req).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            slot.finish(
                id,
                Outcome::Failed("the function's response is over Lambda's 6 MB limit".into()),
            );
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                "response payload over 6 MB",
            );
        }
        Err(BodyError::Unreadable) => {
            return error(StatusCode::BAD_REQUEST, "InvalidRequest", "unreadable body")
        }
    };
    if slot.finish(id, Outcome::Response(body)) {
        accepted()
    } else {
        unknown_id(id)
    }
}

async fn invocation_error(req: Request<Incoming>, id: &str, slot: &Slot) -> Response<Body> {
    let error_type = req
        .headers()
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("Unhandled")
        .to_string();
    let body = read_body(req).await.unwrap_or_default();
    if slot.finish(id, Outcome::FunctionError { error_type, body }) {
        accepted()
    } else {
        unknown_id(id)
    }
}

async fn init_error(req: Request<Incoming>, slot: &Slot) -> Response<Body> {
    let body = read_body(req).await.unwrap_or_default();
    let message = String::from_utf8_lossy(&body).into_owned();
    eprintln!(
        "local-alb: instance {} reported an init error: {message}",
        slot.index
    );
    slot.init_failed(message);
    accepted()
}

/// Why a body posted to the Runtime API was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyError {
    /// Over Lambda's 6 MB response limit.
    TooLarge,
    /// The connection failed mid-body.
    Unreadable,
}

async fn read_body(req: Request<Incoming>) -> Result<Bytes, BodyError> {
    match Limited::new(req.into_body(), MAX_RUNTIME_RESPONSE)
        .collect()
        .await
    {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge),
        Err(_) => Err(BodyError::Unreadable),
    }
}

fn accepted() -> Response<Body> {
    json_response(StatusCode::ACCEPTED, json!({"status": "OK"}))
}

fn unknown_id(id: &str) -> Response<Body> {
    error(
        StatusCode::BAD_REQUEST,
        "InvalidRequestID",
        &format!("{id} is not the invocation in flight on this instance"),
    )
}

fn error(status: StatusCode, error_type: &str, message: &str) -> Response<Body> {
    json_response(
        status,
        json!({"errorType": error_type, "errorMessage": message}),
    )
}

fn json_response(status: StatusCode, value: serde_json::Value) -> Response<Body> {
    let mut response = Response::new(Body::new(Bytes::from(value.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
