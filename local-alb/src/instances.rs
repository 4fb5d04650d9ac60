//! Runs the function executable: one supervised process per slot, restarted when
//! it exits, with the environment a real Lambda execution environment provides.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::process::Command;
use tokio::sync::{mpsc, watch};

use crate::dispatch::{Queue, Slot};

pub struct FunctionSpec {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// Lambda's variables except `AWS_LAMBDA_RUNTIME_API`, which differs per instance.
    pub env: Vec<(String, String)>,
}

/// A process that dies sooner than this after starting is failing at start-up,
/// so restarts back off instead of spinning.
const HEALTHY_LIFETIME: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub async fn supervise(
    slot: Arc<Slot>,
    mut kill_rx: mpsc::UnboundedReceiver<u64>,
    spec: Arc<FunctionSpec>,
    queue: Arc<Queue>,
    api: SocketAddr,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_millis(200);
    loop {
        if *shutdown.borrow() {
            return;
        }
        let gen = slot.generation();
        let started = Instant::now();
        let mut command = Command::new(&spec.program);
        command
            .args(&spec.args)
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .env("AWS_LAMBDA_RUNTIME_API", api.to_string())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            // Own process group: a terminal's Ctrl-C reaches only local-alb, which
            // then stops the instances itself instead of racing their restarts.
            .process_group(0);
        let why = match command.spawn() {
            Err(e) => format!("could not be started: {e}"),
            Ok(mut child) => loop {
                tokio::select! {
                    status = child.wait() => {
                        break match status {
                            Ok(status) => describe(status),
                            Err(e) => format!("could not be waited for: {e}"),
                        };
                    }
                    kill = kill_rx.recv() => {
                        if kill == Some(gen) {
                            let _ = child.kill().await;
                            break "was killed (timeout or init error)".to_string();
                        }
                    }
                    _ = shutdown.changed() => {
                        let _ = child.kill().await;
                        slot.process_ended("was stopped because local-alb is shutting down", &queue);
                        return;
                    }
                }
            },
        };
        slot.process_ended(&why, &queue);
        eprintln!("local-alb: instance {} {why}; restarting", slot.index);
        if started.elapsed() < HEALTHY_LIFETIME {
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = shutdown.changed() => return,
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        } else {
            backoff = Duration::from_millis(200);
        }
    }
}

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(sig)) => format!("was killed by signal {sig}"),
        _ => "exited".to_string(),
    }
}
