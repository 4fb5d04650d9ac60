//! The HTTP side: what a browser talks to. Each request becomes one invocation, in the event
//! shape of the front door being played; the answer comes back by that door's rules; one log
//! line per request.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, UPGRADE};
use hyper::{Method, Request, Response, StatusCode};
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
    /// An API Gateway HTTP API's `$default` route and stage (payload format 2.0).
    HttpApi,
    /// An API Gateway REST API's Lambda proxy integration on one stage (payload 1.0).
    RestApi,
    /// A VPC Lattice service's Lambda target group (event structure version 2).
    VpcLattice,
}

impl Front {
    /// The `--front` values, as the help and its errors list them.
    pub const CHOICES: &'static str = "alb, function-url, http-api, rest-api or vpc-lattice";

    /// The door named by a `--front` value.
    pub fn from_flag(name: &str) -> Option<Front> {
        Some(match name {
            "alb" => Front::Alb,
            "function-url" => Front::FunctionUrl,
            "http-api" => Front::HttpApi,
            "rest-api" => Front::RestApi,
            "vpc-lattice" => Front::VpcLattice,
            _ => return None,
        })
    }

    /// Its `--front` value.
    pub fn flag(self) -> &'static str {
        match self {
            Front::Alb => "alb",
            Front::FunctionUrl => "function-url",
            Front::HttpApi => "http-api",
            Front::RestApi => "rest-api",
            Front::VpcLattice => "vpc-lattice",
        }
    }

    /// Its name in the startup line and the log.
    pub fn title(self) -> &'static str {
        match self {
            Front::Alb => "ALB",
            Front::FunctionUrl => "Function URL",
            Front::HttpApi => "API Gateway HTTP API",
            Front::RestApi => "API Gateway REST API",
            Front::VpcLattice => "VPC Lattice",
        }
    }

    /// The largest request body it passes on: ALB's own 1 MB; every other door is bound by
    /// Lambda's 6 MB invoke payload instead (which the whole event must also fit, see
    /// [`process`]).
    pub fn max_request_body(self) -> usize {
        match self {
            Front::Alb => MAX_REQUEST_BODY,
            _ => reply::LAMBDA_PAYLOAD_LIMIT,
        }
    }

    /// What it puts in `Server` when the function sets none. A Function URL keeps ALB's, as
    /// it did before the other doors came: what a real one sends has not been checked here.
    fn server(self) -> Option<&'static str> {
        match self {
            Front::Alb | Front::FunctionUrl => Some("awselb/2.0"),
            Front::HttpApi | Front::RestApi | Front::VpcLattice => None,
        }
    }

    /// Reads the function's response payload by this door's rules.
    pub fn parse_reply(self, payload: &[u8], multi_value: bool) -> Result<reply::Reply, String> {
        match self {
            Front::Alb => reply::parse(payload, multi_value),
            Front::FunctionUrl | Front::HttpApi => reply::parse_function_url(payload),
            Front::RestApi => reply::parse_rest_api(payload),
            Front::VpcLattice => reply::parse_lattice(payload),
        }
    }

    /// The door's own answer when it, not the function, answers `status`.
    pub fn page(self, status: StatusCode, is_head: bool) -> Response<Body> {
        match self {
            // A Function URL keeps ALB's pages, as it did before the other doors came.
            Front::Alb | Front::FunctionUrl => reply::alb_page(status, is_head),
            Front::HttpApi | Front::RestApi => gateway_page(self, status, is_head),
            Front::VpcLattice => lattice_page(status, is_head),
        }
    }

    /// The door's page for a request it refuses, closing the connection: a refused request
    /// may leave unread bytes (an upgrade, a body) on it.
    pub fn refusal(self, status: StatusCode, why: &str, is_head: bool) -> Refused {
        let mut page = self.page(status, is_head);
        page.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        (page, Some(why.to_string()))
    }
}

/// API Gateway's own error answers: JSON `{"message": ...}`. Lambda's guide ("Handling Lambda
/// errors with an API Gateway API") gives one rule for both kinds of API: a function error or a
/// malformed response is a 502, a refused invocation a 500, both "Internal server error"; an
/// HTTP API is commonly seen to capitalise the message, which is kept. Statuses the guide does
/// not cover get their reason phrase. A REST API's 403 for a path outside its stage names its
/// error type, as API Gateway does.
fn gateway_page(front: Front, status: StatusCode, is_head: bool) -> Response<Body> {
    let message = match (front, status.as_u16()) {
        (Front::RestApi, 500 | 502) => "Internal server error",
        (_, 500 | 502) => "Internal Server Error",
        (_, 403) => "Forbidden",
        _ => status.canonical_reason().unwrap_or("Error"),
    };
    let json = serde_json::json!({ "message": message }).to_string();
    let mut response = small_page(status, "application/json", json, is_head);
    if front == Front::RestApi && status == StatusCode::FORBIDDEN {
        response.headers_mut().insert(
            "x-amzn-errortype",
            HeaderValue::from_static("ForbiddenException"),
        );
    }
    response
}

/// VPC Lattice's own error answers. AWS documents no body for them; the reason phrase stands in.
fn lattice_page(status: StatusCode, is_head: bool) -> Response<Body> {
    let text = status.canonical_reason().unwrap_or("Error").to_string();
    small_page(status, "text/plain", text, is_head)
}

fn small_page(
    status: StatusCode,
    content_type: &'static str,
    body: String,
    is_head: bool,
) -> Response<Body> {
    let mut response = Response::new(Body::default());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    if !is_head {
        *response.body_mut() = Body::new(Bytes::from(body));
    }
    response
}

pub struct FrontConfig {
    pub front: Front,
    pub queue: Arc<Queue>,
    pub multi_value: bool,
    /// The target group in ALB's and VPC Lattice's events.
    pub target_group_arn: String,
    /// The region in the stand-in API's and service's names.
    pub region: String,
    /// The REST API's stage (`--stage`), the first segment of every path it serves.
    pub stage: String,
    pub listen_port: u16,
    /// How long a client waits in all, including waiting for a free instance.
    pub max_wait: Duration,
    /// `--login`: ALB's authenticate action in front of every path.
    pub login: Option<Login>,
    /// `--offload-dir`: the stand-in S3 bucket for the files kept out of the package.
    pub objects: Option<crate::objects::Objects>,
}

pub async fn serve(listener: TcpListener, cfg: Arc<FrontConfig>) {
    listen::serve_http(listener, "HTTP", false, move |req, peer| {
        handle(req, peer, Arc::clone(&cfg))
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

/// What a refused request gets: the front door's page and the reason for the log.
pub type Refused = (Response<Body>, Option<String>);

/// ALB's page for a refused request, closing the connection (see [`Front::refusal`]).
pub fn refusal(status: StatusCode, why: &str, is_head: bool) -> Refused {
    Front::Alb.refusal(status, why, is_head)
}

/// ALB's own refusals, before any event is built (TRACE, a WebSocket upgrade, a body over
/// 1 MB, an unreadable body); otherwise the request's parts and its whole body. Shared with
/// the dev server, which stands in for the same ALB.
pub async fn admit(
    req: Request<Incoming>,
) -> Result<(hyper::http::request::Parts, hyper::body::Bytes), Box<Refused>> {
    admit_to(Front::Alb, req).await
}

/// [`admit`] for any front door: the same refusals, with the door's own body limit and pages.
pub async fn admit_to(
    front: Front,
    req: Request<Incoming>,
) -> Result<(hyper::http::request::Parts, hyper::body::Bytes), Box<Refused>> {
    let is_head = req.method() == Method::HEAD;
    let refuse = |status, why: &str| Err(Box::new(front.refusal(status, why, is_head)));
    if req.method() == Method::TRACE {
        let why = format!("{} answers TRACE itself", front.title());
        return refuse(StatusCode::METHOD_NOT_ALLOWED, &why);
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
    let limit = front.max_request_body();
    let too_large = format!("request body over {} MB", limit / (1024 * 1024));
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, &too_large);
    }
    let (parts, body) = req.into_parts();
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok((parts, collected.to_bytes())),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            refuse(StatusCode::PAYLOAD_TOO_LARGE, &too_large)
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
    let front = cfg.front;
    let is_head = req.method() == Method::HEAD;
    let (mut parts, body) = match admit_to(front, req).await {
        Ok(admitted) => admitted,
        Err(refused) => return *refused,
    };
    let refuse = |status, why: &str| front.refusal(status, why, is_head);
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
    // The default execute-api URL serves the API under its stage's name, and nothing else.
    if front == Front::RestApi && event::stage_path(parts.uri.path(), &cfg.stage).is_none() {
        let why = format!("outside the stage /{}/: API Gateway's own 403", cfg.stage);
        return (front.page(StatusCode::FORBIDDEN, is_head), Some(why));
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
    let place = event::Place {
        region: &cfg.region,
        stage: &cfg.stage,
    };
    let (headers, body) = (&parts.headers, &body[..]);
    let built = match front {
        Front::Alb => event::build(&line, headers, body, &ctx),
        Front::FunctionUrl => event::build_function_url(&line, headers, body, &ctx),
        Front::HttpApi => event::build_http_api(&line, headers, body, &ctx, &place),
        Front::RestApi => event::build_rest_api(&line, headers, body, &ctx, &place),
        Front::VpcLattice => event::build_lattice(&line, headers, body, &ctx, &place),
    };
    let event = match built {
        Ok(event) => event,
        Err(why) => return refuse(StatusCode::BAD_REQUEST, &why),
    };
    let payload = serde_json::to_vec(&event).unwrap_or_default();
    // A body under the door's limit can still make an event over Lambda's (base64 adds a
    // third): Lambda refuses that invocation, which API Gateway answers with a 500 (Lambda's
    // guide, "Handling Lambda errors with an API Gateway API") and the others with a 413.
    // ALB's 1 MB body limit keeps its events far below.
    if payload.len() > reply::LAMBDA_PAYLOAD_LIMIT {
        let why = format!(
            "the event is {} bytes, over Lambda's 6 MB invoke payload limit",
            payload.len()
        );
        let status = match front {
            Front::HttpApi | Front::RestApi => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::PAYLOAD_TOO_LARGE,
        };
        return refuse(status, &why);
    }

    let (tx, rx) = oneshot::channel();
    cfg.queue.push(Invocation {
        id: ids::request_id(),
        payload: payload.into(),
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

    let bad_gateway = |why: String| (front.page(StatusCode::BAD_GATEWAY, is_head), Some(why));
    match outcome {
        Outcome::Response(payload) => match front.parse_reply(&payload, cfg.multi_value) {
            Ok(reply) => (reply::into_http_as(reply, is_head, front.server()), None),
            Err(why) => bad_gateway(format!("invalid function response: {why}")),
        },
        Outcome::FunctionError { error_type, body } => bad_gateway(format!(
            "function error ({error_type}): {}",
            String::from_utf8_lossy(&body)
        )),
        Outcome::Failed(why) => bad_gateway(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Front; 5] = [
        Front::Alb,
        Front::FunctionUrl,
        Front::HttpApi,
        Front::RestApi,
        Front::VpcLattice,
    ];

    #[test]
    fn each_front_is_named_by_its_flag() {
        for front in ALL {
            assert_eq!(Front::from_flag(front.flag()), Some(front));
            assert!(Front::CHOICES.contains(front.flag()));
        }
        assert_eq!(Front::from_flag("nlb"), None);
    }

    #[test]
    fn alb_takes_1_mb_of_request_body_and_every_other_door_6_mb() {
        for front in ALL {
            let expected = if front == Front::Alb { 1 } else { 6 };
            assert_eq!(
                front.max_request_body(),
                expected * 1024 * 1024,
                "{front:?}"
            );
        }
    }

    /// A door's page for `status`: its headers and its body as text.
    fn page_text(front: Front, status: StatusCode) -> (hyper::HeaderMap, String) {
        let (parts, body) = front.page(status, false).into_parts();
        let bytes = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(body.collect())
            .unwrap()
            .to_bytes();
        (parts.headers, String::from_utf8(bytes.to_vec()).unwrap())
    }

    use hyper::body::Body as _;

    #[test]
    fn a_rest_apis_own_403_and_502_are_its_json_messages() {
        let (headers, text) = page_text(Front::RestApi, StatusCode::FORBIDDEN);
        assert_eq!(text, r#"{"message":"Forbidden"}"#);
        assert_eq!(headers["x-amzn-errortype"], "ForbiddenException");
        assert_eq!(headers["content-type"], "application/json");
        let (_, text) = page_text(Front::RestApi, StatusCode::BAD_GATEWAY);
        assert_eq!(text, r#"{"message":"Internal server error"}"#);
    }

    #[test]
    fn an_http_apis_502_is_its_json_message_and_lattices_a_plain_one() {
        let (headers, text) = page_text(Front::HttpApi, StatusCode::BAD_GATEWAY);
        assert_eq!(text, r#"{"message":"Internal Server Error"}"#);
        assert!(headers.get("server").is_none());
        let (headers, text) = page_text(Front::VpcLattice, StatusCode::BAD_GATEWAY);
        assert_eq!(text, "Bad Gateway");
        assert_eq!(headers["content-type"], "text/plain");
    }

    #[test]
    fn a_head_request_gets_a_doors_page_without_its_body() {
        for front in ALL {
            let page = front.page(StatusCode::BAD_GATEWAY, true);
            assert_eq!(page.body().size_hint().exact(), Some(0), "{front:?}");
            assert!(page.headers().contains_key(CONTENT_LENGTH), "{front:?}");
        }
    }
}
