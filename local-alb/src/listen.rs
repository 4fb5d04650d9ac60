//! The accept loop every listener of local-alb and the dev server runs (the HTTP front, the
//! Runtime API, the Invoke API, make dev's server): each connection on a task of its own, a
//! failed accept logged and retried, each request handed to one function.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// Serves HTTP/1.1 on `listener` forever, each request answered by `handle(request, peer)`.
/// `what` names the listener in the log line of a failed accept. `title_case` writes header
/// names in title case, as the real Runtime API does: some runtime clients look them up
/// case-sensitively. A connection's own errors (a client gone mid-request) are routine here and
/// not logged.
pub async fn serve_http<H, Fut, B>(listener: TcpListener, what: &str, title_case: bool, handle: H)
where
    H: Fn(Request<Incoming>, SocketAddr) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Response<B>, Infallible>> + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    accept_each(listener, what, |stream, peer| {
        let handle = handle.clone();
        async move {
            let service = service_fn(move |req| handle(req, peer));
            let _ = http1::Builder::new()
                .title_case_headers(title_case)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        }
    })
    .await
}

/// Accepts connections forever, spawning `serve(stream, peer)` for each. `what` names the
/// listener in the log line of a failed accept.
pub async fn accept_each<F, Fut>(listener: TcpListener, what: &str, serve: F)
where
    F: Fn(TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                tokio::spawn(serve(stream, peer));
            }
            Err(e) => {
                eprintln!("local-alb: {what} accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}
