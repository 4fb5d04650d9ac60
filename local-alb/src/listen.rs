//! The accept loop every listener of local-alb runs (the HTTP front, the Runtime API, the
//! Invoke API): each connection on a task of its own, a failed accept logged and retried.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

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
