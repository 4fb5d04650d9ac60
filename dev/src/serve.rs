//! The dev server: HTTP in, the event ALB would send, the Lambda handler (`handle_site`) on the
//! site planned in memory, ALB's checks on the answer (a response ALB would refuse is its 502
//! page here too), HTTP out — local-alb's own functions for each conversion, as `make local`.
//! Plus what only dev has: under `/_dev/` a server-sent events stream and the build report of
//! the site being edited, the reload script on HTML pages, and an error page while the site
//! cannot be planned.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::header::CONTENT_TYPE;
use hyper::header::{HeaderName, HeaderValue, CACHE_CONTROL};
use hyper::{Method, Request, Response, StatusCode};
use local_alb::front;
use local_alb::objects::{Objects, OBJECTS_PATH};
use local_alb::reply::{self, Reply};
use local_alb::{event, ids, listen};
use site_core::plan::{report, Memo, Plan};
use site_core::site::Site;
use site_server::offload::Offload;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::inject::{self, EVENTS, PREFIX, SCRIPT};
use crate::load::{self, Source};
use crate::watch::Watch;

/// The target group ARN in dev's events (as local-alb's default).
pub const TARGET_GROUP_ARN: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/site-dev/0123456789abcdef";

/// The build report of the site being edited (`make build` writes the same page to
/// dist/report.html).
pub const REPORT: &str = "/_dev/report";

/// What the server answers from: the site, or why it cannot be planned.
pub enum Current {
    Ready(Box<Site>),
    Broken(String),
}

/// The dev server's state, shared by the connections and the watcher.
pub struct Dev {
    source: Source,
    multi_value: bool,
    listen_port: RwLock<u16>,
    current: RwLock<Arc<Current>>,
    /// The files the plan keeps in S3, served from the encode cache as their bucket would.
    objects: RwLock<Option<Arc<Objects>>>,
    warnings: RwLock<Vec<String>>,
    /// The generation pages are told about; a new one makes them reload.
    generation: watch::Sender<String>,
    boot: u128,
    count: RwLock<u64>,
    /// Each file's results from the plans so far: a re-plan reads only the files that changed.
    memo: Mutex<Memo>,
    /// The last plan, for the report: handed to the memo when the next re-plan starts (and
    /// locked until it ends, so a report asked for meanwhile is of the new plan). None while
    /// the site cannot be planned.
    plan: Mutex<Option<Plan>>,
}

pub type Body = BoxBody<Bytes, Infallible>;

impl Dev {
    /// Plans the site (an error is kept and shown, not fatal) and prints what happened.
    pub fn new(source: Source, multi_value: bool) -> Arc<Dev> {
        let boot = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let (generation, _) = watch::channel(format!("{boot}-0"));
        let dev = Arc::new(Dev {
            source,
            multi_value,
            listen_port: RwLock::new(0),
            current: RwLock::new(Arc::new(Current::Broken("not planned yet".into()))),
            objects: RwLock::new(None),
            warnings: RwLock::new(Vec::new()),
            generation,
            boot,
            count: RwLock::new(0),
            memo: Mutex::new(Memo::default()),
            plan: Mutex::new(None),
        });
        dev.replan("planned");
        dev
    }

    /// Writes the objects the plan keeps in S3 beside the encode cache, as a build does, and
    /// reads them back for serving (None when there are none, or they cannot be written: then
    /// their URLs answer 503 and the terminal says why).
    fn write_objects(&self, plan: &site_core::plan::Plan) -> Option<Arc<Objects>> {
        if plan.files.iter().all(|f| !f.in_s3()) {
            return None;
        }
        let dir = self.source.cache_dir.join("site-offload");
        let written = site_core::plan::offload::write(plan, &dir)
            .map_err(|e| e.to_string())
            .and_then(|()| Objects::load(&dir));
        match written {
            Ok(objects) => Some(Arc::new(objects)),
            Err(e) => {
                eprintln!("site-dev: cannot keep the large files for serving: {e}");
                None
            }
        }
    }

    /// What requests are answered from now.
    pub fn current(&self) -> Arc<Current> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Plans the site again, swaps it in and tells the open pages to reload.
    pub fn reload(&self) {
        self.replan("re-planned");
    }

    fn replan(&self, what: &str) {
        let started = Instant::now();
        let previous = self.current();
        let previous = match &*previous {
            Current::Ready(site) => Some(&**site),
            Current::Broken(_) => None,
        };
        let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
        let mut last_plan = self.plan.lock().unwrap_or_else(|e| e.into_inner());
        // The next plan moves the unchanged files of the last one into place.
        if let Some(last) = last_plan.take() {
            memo.keep(last);
        }
        let loaded = load::load_again(&self.source, &mut memo, previous);
        let reuse = memo.last();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let next = match loaded {
            Ok(loaded) => {
                // How many files were read is what an edit costs (the rest were unchanged).
                let read = if reuse.read == reuse.files {
                    String::new()
                } else {
                    format!(" ({} read, the others unchanged)", reuse.read)
                };
                eprintln!(
                    "site-dev: {what} {} in {ms:.0} ms: {} files{read}, {} URLs",
                    load::shown(&self.source.site_dir),
                    loaded.site.files_len(),
                    loaded.site.routes_len()
                );
                let mut seen = self.warnings.write().unwrap_or_else(|e| e.into_inner());
                if *seen != loaded.plan.warnings {
                    for w in &loaded.plan.warnings {
                        eprintln!("warning: {}", load::shorten(w));
                    }
                    *seen = loaded.plan.warnings.clone();
                }
                let objects = self.write_objects(&loaded.plan);
                *self.objects.write().unwrap_or_else(|e| e.into_inner()) = objects;
                *last_plan = Some(loaded.plan);
                Current::Ready(Box::new(loaded.site))
            }
            Err(message) => {
                eprintln!(
                    "site-dev: the site cannot be planned; the browser shows this until it is fixed:\n{message}"
                );
                self.warnings
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .clear();
                Current::Broken(message)
            }
        };
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
        let mut count = self.count.write().unwrap_or_else(|e| e.into_inner());
        *count += 1;
        self.generation
            .send_replace(format!("{}-{}", self.boot, *count));
    }

    /// The build report of the last plan, with the reload script (it follows the edits as
    /// pages do); `Err` is why the site cannot be planned.
    pub fn report(&self) -> Result<String, String> {
        let plan = self.plan.lock().unwrap_or_else(|e| e.into_inner());
        let Some(plan) = plan.as_ref() else {
            return Err(match &*self.current() {
                Current::Broken(message) => message.clone(),
                Current::Ready(_) => "the site is being planned".into(),
            });
        };
        let mut page = report::render(plan, &load::shown(&self.source.site_dir));
        let at = page.rfind("</body>").unwrap_or(page.len());
        page.insert_str(at, SCRIPT);
        Ok(page)
    }

    /// Re-plans on a thread of its own after each change `watch` sees (a watch started before
    /// the first plan, so that nothing written while it was planned, or before the thread
    /// runs, is missed).
    pub fn watch_in_background(self: &Arc<Dev>, watch: Watch) {
        let dev = Arc::clone(self);
        std::thread::Builder::new()
            .name("site-dev-watch".into())
            .spawn(move || watch.run(|| dev.reload()))
            .expect("a thread for the watcher");
    }
}

/// Serves HTTP on `listener` until the process ends.
pub async fn serve(listener: TcpListener, dev: Arc<Dev>) {
    if let Ok(addr) = listener.local_addr() {
        *dev.listen_port.write().unwrap_or_else(|e| e.into_inner()) = addr.port();
    }
    listen::serve_http(listener, "HTTP", false, move |req, peer| {
        handle(req, peer, Arc::clone(&dev))
    })
    .await
}

async fn handle(
    req: Request<Incoming>,
    peer: SocketAddr,
    dev: Arc<Dev>,
) -> Result<Response<Body>, Infallible> {
    if req.uri().path() == REPORT {
        // Rendered off the request threads: it waits for a re-plan under way, and a large
        // site's page takes a moment.
        let page = tokio::task::spawn_blocking(move || dev.report()).await;
        let page = page.unwrap_or_else(|_| Err("the report could not be made".into()));
        return Ok(report_page(page, req.method() == Method::HEAD));
    }
    if req.uri().path().starts_with(PREFIX) {
        return Ok(dev_url(&req, &dev));
    }
    let log = front::RequestLog::start("site-dev", &req);
    let (response, why) = process(req, peer, &dev).await;
    log.finish(&response, why);
    Ok(response.map(BodyExt::boxed))
}

/// As local-alb's front: ALB's own refusals, the event, the function's answer checked by ALB's
/// rules. The function is the handler itself, on the site in memory.
async fn process(
    req: Request<Incoming>,
    peer: SocketAddr,
    dev: &Dev,
) -> (Response<reply::Body>, Option<String>) {
    let is_head = req.method() == Method::HEAD;
    let (parts, body) = match front::admit(req).await {
        Ok(admitted) => admitted,
        Err(refused) => return *refused,
    };
    let refuse = |status, why: &str| front::refusal(status, why, is_head);
    let objects = dev
        .objects
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if let Some(objects) = &objects {
        if let Some(answer) = objects.answer(&parts.method, parts.uri.path(), &parts.headers) {
            return (
                answer,
                Some("a file kept in S3, from the encode cache".into()),
            );
        }
    }
    let trace_id = ids::trace_root();
    let line = event::RequestLine {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
    };
    let listen_port = *dev.listen_port.read().unwrap_or_else(|e| e.into_inner());
    let ctx = event::Context {
        target_group_arn: TARGET_GROUP_ARN,
        multi_value: dev.multi_value,
        client_ip: peer.ip().to_string(),
        listen_port,
        trace_id: &trace_id,
    };
    let event = match event::build(&line, &parts.headers, &body, &ctx) {
        Ok(event) => event.to_string(),
        Err(why) => return refuse(StatusCode::BAD_REQUEST, &why),
    };
    let current = dev.current();
    let site = match &*current {
        Current::Ready(site) => site,
        Current::Broken(message) => {
            return (
                reply::into_http(error_page(message), is_head),
                Some("the site cannot be planned".into()),
            )
        }
    };
    let offload = objects.and_then(|_| {
        Offload::new(
            &format!(
                "http://127.0.0.1:{listen_port}{}",
                OBJECTS_PATH.trim_end_matches('/')
            ),
            None,
        )
        .ok()
    });
    match answer_with(site, &event, dev.multi_value, offload.as_ref()) {
        Ok(reply) => (reply::into_http(inject::dev_reply(reply), is_head), None),
        Err(why) => (reply::alb_page(StatusCode::BAD_GATEWAY, is_head), Some(why)),
    }
}

/// The handler's answer to one event, checked as ALB checks it; `Err` is why ALB would answer
/// 502 (an invalid response, or the function failing).
pub fn answer(site: &Site, event: &str, multi_value: bool) -> Result<Reply, String> {
    answer_with(site, event, multi_value, None)
}

/// [`answer`], with the files kept in S3 at `offload`.
pub fn answer_with(
    site: &Site,
    event: &str,
    multi_value: bool,
    offload: Option<&Offload>,
) -> Result<Reply, String> {
    let shell = site_server::handler::Shell {
        offload,
        ..Default::default()
    };
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        serde_json::to_vec(&site_server::handler::handle_with(site, event, &shell).0)
    }));
    match payload {
        Ok(Ok(payload)) => reply::parse(&payload, multi_value)
            .map_err(|why| format!("invalid function response: {why}")),
        Ok(Err(e)) => Err(format!(
            "function error: cannot serialize the response: {e}"
        )),
        Err(_) => Err("function error: the handler panicked".into()),
    }
}

/// The page shown while the site cannot be planned: the same text as the terminal, and the
/// reload script, so the page comes back by itself once the file is fixed.
pub fn error_page(message: &str) -> Reply {
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>site-dev: the site has an error</title>\
<style>body{{font:15px/1.5 system-ui,sans-serif;margin:2em}}pre{{background:#fee;border-left:4px solid #c00;padding:1em;white-space:pre-wrap}}</style></head>\
<body><h1>The site cannot be planned</h1><pre id=\"site-dev-error\">{escaped}</pre>\
<p>Fix the file and save it: this page reloads by itself. (site-dev; the Lambda binary would fail to build.)</p>{SCRIPT}</body></html>"
    );
    let header = |n: HeaderName, v: &str| (n, HeaderValue::from_str(v).expect("ASCII header"));
    Reply {
        status: 500,
        headers: vec![
            header(CONTENT_TYPE, "text/html; charset=utf-8"),
            header(CACHE_CONTROL, "no-store"),
            header(
                HeaderName::from_static("x-dev-error"),
                "the site cannot be planned",
            ),
        ],
        body: html.into_bytes(),
    }
}

/// The report, or the error page while the site cannot be planned.
fn report_page(page: Result<String, String>, is_head: bool) -> Response<Body> {
    let html = match page {
        Ok(html) => html,
        Err(message) => return reply::into_http(error_page(&message), is_head).map(BodyExt::boxed),
    };
    let body = if is_head {
        Bytes::new()
    } else {
        Bytes::from(html)
    };
    let mut response = Response::new(Full::new(body).boxed());
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// dev's own URLs, under `/_dev/`.
fn dev_url(req: &Request<Incoming>, dev: &Dev) -> Response<Body> {
    if req.uri().path() == EVENTS {
        return events(dev);
    }
    let mut response = Response::new(
        Full::new(Bytes::from_static(
            b"site-dev reserves /_dev/ for its own URLs: /_dev/events, /_dev/report\n",
        ))
        .boxed(),
    );
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

/// A server-sent events stream: the current generation at once, then each new one.
fn events(dev: &Dev) -> Response<Body> {
    let mut generations = dev.generation.subscribe();
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    tokio::spawn(async move {
        let first = format!("retry: 300\ndata: {}\n\n", *generations.borrow_and_update());
        if tx.send(first.into()).await.is_err() {
            return;
        }
        loop {
            let message = tokio::select! {
                changed = generations.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let generation = generations.borrow_and_update().clone();
                    format!("data: {generation}\n\n")
                }
                _ = tokio::time::sleep(Duration::from_secs(15)) => ": still here\n\n".to_string(),
            };
            if tx.send(message.into()).await.is_err() {
                return;
            }
        }
    });
    let mut response = Response::new(Events(rx).boxed());
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The body of the events stream: whatever the stream's task sends, until it stops.
struct Events(mpsc::Receiver<Bytes>);

impl hyper::body::Body for Events {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|m| m.map(|b| Ok(Frame::data(b))))
    }
}
