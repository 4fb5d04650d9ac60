//! The HTTP side: what a browser talks to. Each request becomes one invocation;
//! the answer comes back by ALB's rules; one log line per request.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONNECTION, CONTENT_LENGTH, UPGRADE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::dispatch::{Invocation, Outcome, Queue};
use crate::login::{Login, Step};
use crate::reply::{self, Body};
use crate::{event, ids, listen};

/// ALB refuses request bodies over 1 MB with 413 (LambdaRequestTooLarge).
pub const MAX_REQUEST_BODY: usize = 1024 * 1024;

/// Which front door local-alb plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Front {
    /// An Application Load Balancer with a Lambda target group (the default).
    Alb,
    /// A Lambda Function URL (payload format 2.0).
    FunctionUrl,
}

pub struct FrontConfig {
    pub front: Front,
    pub queue: Arc<Queue>,
    pub multi_value: bool,
    pub target_group_arn: String,
    pub listen_port: u16,
    /// How long a client waits in all, including waiting for a free instance.
    pub max_wait: Duration,
    /// `--login`: ALB's authenticate action in front of every path.
    pub login: Option<Login>,
    /// `--offload-dir`: the stand-in S3 bucket for the files kept out of the package.
    pub objects: Option<crate::objects::Objects>,
}

pub async fn serve(listener: TcpListener, cfg: Arc<FrontConfig>) {
    listen::accept_each(listener, "HTTP", |stream, peer| {
        let cfg = Arc::clone(&cfg);
        async move {
            let service = service_fn(move |req| handle(req, peer, Arc::clone(&cfg)));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        }
    })
    .await
}

async fn handle(
    req: Request<Incoming>,
    peer: SocketAddr,
    cfg: Arc<FrontConfig>,
) -> Result<Response<Body>, Infallible> {
    let log = RequestLog::start("local-alb", &req);
    let (response, why) = process(req, peer, &cfg).await;
    log.finish(&response, why);
    Ok(response)
}

/// One log line per request, as local-alb and the dev server print it on stderr:
/// `TOOL: METHOD PATH?QUERY STATUS BYTESB MSms (reason)`.
pub struct RequestLog {
    tool: &'static str,
    method: Method,
    target: String,
    started: Instant,
}

impl RequestLog {
    pub fn start<B>(tool: &'static str, req: &Request<B>) -> RequestLog {
        RequestLog {
            tool,
            method: req.method().clone(),
            target: req
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str().to_string())
                .unwrap_or_else(|| req.uri().to_string()),
            started: Instant::now(),
        }
    }

    /// Writes the line for `response`; `why` is the reason when the answer is not the
    /// function's own.
    pub fn finish<B: hyper::body::Body>(self, response: &Response<B>, why: Option<String>) {
        let bytes = response.body().size_hint().exact().unwrap_or(0);
        let why = why.map(|w| format!(" ({w})")).unwrap_or_default();
        eprintln!(
            "{}: {} {} {} {bytes}B {:.1}ms{why}",
            self.tool,
            self.method,
            self.target,
            response.status().as_u16(),
            self.started.elapsed().as_secs_f64() * 1000.0
        );
    }
}

/// What a refused request gets: ALB's page and the reason for the log.
pub type Refused = (Response<Body>, Option<String>);

/// ALB's page for a refused request. A refused request may leave unread bytes (an upgrade, a
/// body) on the connection, so it is closed rather than reused.
pub fn refusal(status: StatusCode, why: &str, is_head: bool) -> Refused {
    let mut page = reply::alb_page(status, is_head);
    page.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    (page, Some(why.to_string()))
}

/// ALB's own refusals, before any event is built (TRACE, a WebSocket upgrade, a body over
/// 1 MB, an unreadable body); otherwise the request's parts and its whole body. Shared with
/// the dev server, which stands in for the same ALB.
pub async fn admit(
    req: Request<Incoming>,
) -> Result<(hyper::http::request::Parts, hyper::body::Bytes), Box<Refused>> {
    let is_head = req.method() == Method::HEAD;
    let refuse = |status, why: &str| Err(Box::new(refusal(status, why, is_head)));
    if req.method() == Method::TRACE {
        return refuse(StatusCode::METHOD_NOT_ALLOWED, "ALB answers TRACE itself");
    }
    let upgrade = req
        .headers()
        .get(UPGRADE)
        .map(|v| v.as_bytes().to_ascii_lowercase());
    if upgrade.is_some_and(|v| v.windows(9).any(|w| w == b"websocket")) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "WebSocket upgrades are not forwarded to Lambda",
        );
    }
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_REQUEST_BODY as u64) {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, "request body over 1 MB");
    }
    let (parts, body) = req.into_parts();
    match Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(collected) => Ok((parts, collected.to_bytes())),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            refuse(StatusCode::PAYLOAD_TOO_LARGE, "request body over 1 MB")
        }
        Err(e) => refuse(StatusCode::BAD_REQUEST, &format!("unreadable body: {e}")),
    }
}

/// The response and, when it is not the function's own, the reason for the log.
async fn process(
    req: Request<Incoming>,
    peer: SocketAddr,
    cfg: &FrontConfig,
) -> (Response<Body>, Option<String>) {
    let is_head = req.method() == Method::HEAD;
    let (mut parts, body) = match admit(req).await {
        Ok(admitted) => admitted,
        Err(refused) => return *refused,
    };
    let refuse = |status, why: &str| refusal(status, why, is_head);
    // The bucket is not behind the load balancer's login: a private site presigns its URLs.
    if let Some(objects) = &cfg.objects {
        if let Some(answer) = objects.answer(&parts.method, parts.uri.path(), &parts.headers) {
            return (answer, Some("a file kept in S3, from --offload-dir".into()));
        }
    }
    if let Some(login) = &cfg.login {
        let step = login.step(
            &parts.method,
            parts.uri.path(),
            parts.uri.query(),
            &parts.headers,
            &body,
        );
        match step {
            Step::Answer(mut page) => {
                if is_head {
                    *page.body_mut() = Body::default();
                }
                return (page, None);
            }
            Step::Forward(signed) => {
                // ALB replaces whatever the client sent under these names.
                let forged: Vec<_> = parts
                    .headers
                    .keys()
                    .filter(|n| n.as_str().starts_with("x-amzn-oidc-"))
                    .cloned()
                    .collect();
                for name in forged {
                    parts.headers.remove(name);
                }
                for (name, value) in signed {
                    parts.headers.insert(name, value);
                }
            }
        }
    }

    let trace_id = ids::trace_root();
    let line = event::RequestLine {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
    };
    let ctx = event::Context {
        target_group_arn: &cfg.target_group_arn,
        multi_value: cfg.multi_value,
        client_ip: peer.ip().to_string(),
        listen_port: cfg.listen_port,
        trace_id: &trace_id,
    };
    let built = match cfg.front {
        Front::Alb => event::build(&line, &parts.headers, &body, &ctx),
        Front::FunctionUrl => event::build_function_url(&line, &parts.headers, &body, &ctx),
    };
    let event = match built {
        Ok(event) => event,
        Err(why) => return refuse(StatusCode::BAD_REQUEST, &why),
    };

    let (tx, rx) = oneshot::channel();
    cfg.queue.push(Invocation {
        id: ids::request_id(),
        payload: serde_json::to_vec(&event).unwrap_or_default().into(),
        trace_id,
        reply: tx,
    });
    let outcome = match tokio::time::timeout(cfg.max_wait, rx).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(_)) => Outcome::Failed("the invocation was dropped".into()),
        Err(_) => {
            return refuse(
                StatusCode::GATEWAY_TIMEOUT,
                "no function instance answered in time (is the function starting?)",
            );
        }
    };

    let bad_gateway = |why: String| (reply::alb_page(StatusCode::BAD_GATEWAY, is_head), Some(why));
    match outcome {
        Outcome::Response(payload) => match match cfg.front {
            Front::Alb => reply::parse(&payload, cfg.multi_value),
            Front::FunctionUrl => reply::parse_function_url(&payload),
        } {
            Ok(reply) => (reply::into_http(reply, is_head), None),
            Err(why) => bad_gateway(format!("invalid function response: {why}")),
        },
        Outcome::FunctionError { error_type, body } => bad_gateway(format!(
            "function error ({error_type}): {}",
            String::from_utf8_lossy(&body)
        )),
        Outcome::Failed(why) => bad_gateway(why),
    }
}
