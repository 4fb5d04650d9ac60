//! The `bootstrap` executable: a thin shell around [`site_server::handler`].
//!
//! - Under Lambda (`AWS_LAMBDA_RUNTIME_API` set) it serves invocations through the project's own
//!   Runtime API client ([`runtime_api`]), one at a time, on one keep-alive connection.
//! - `bootstrap invoke FILE` answers one ALB event from a file (`-` for stdin) and prints the
//!   response JSON: local use with no AWS and no network.
//! - `bootstrap info` prints what is embedded.

mod key_fetch;
mod runtime_api;

use std::io::{Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use key_fetch::HttpKeys;
use runtime_api::{Invocation, RuntimeApi};
use site_server::access_log::{AccessLog, Entry, Span};
use site_server::auth::{Guard, Policy, PolicyError};
use site_server::door::Response;
use site_server::handler::Shell;
use site_server::offload::Offload;
use site_server::site::Site;
use site_server::{handler, site};

// The test-panic feature makes the function panic on purpose (tests/panic.rs): never in a
// build that could ship.
#[cfg(all(feature = "test-panic", not(debug_assertions)))]
compile_error!("the test-panic feature makes bootstrap panic on purpose: debug test builds only");

const USAGE: &str = "\
usage: bootstrap                 serve ALB events as a Lambda function (needs AWS_LAMBDA_RUNTIME_API)
       bootstrap invoke FILE     answer one ALB event from FILE (- for stdin), print the response JSON
       bootstrap info            show what the binary embeds";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    if matches!(args.as_slice(), ["-h" | "--help" | "help"]) {
        println!("{USAGE}");
        std::process::exit(0);
    }
    // The embedded bytes are opened before anything else: an index this server cannot read
    // stops it here with the reason (Lambda reports the init error), never a wrong answer.
    let site = match site::embedded() {
        Ok(site) => site,
        Err(e) => {
            eprintln!("cannot start: {e}");
            std::process::exit(1);
        }
    };
    let code = match args.as_slice() {
        [] if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() => run_lambda(site),
        ["invoke", file] => invoke(site, file),
        ["info"] => {
            info(site);
            0
        }
        [] => {
            eprintln!("AWS_LAMBDA_RUNTIME_API is not set, so this is not running as a Lambda function.\n{USAGE}");
            2
        }
        _ => {
            eprintln!("{USAGE}");
            2
        }
    };
    std::process::exit(code);
}

/// The login settings in force for the embedded site and this environment (`SITE_AUTH_SIGNER`,
/// `SITE_AUTH_KEY_URL`, `AWS_REGION`), and the key fetcher they need; None for a public site.
fn login(site: &Site) -> Result<Option<(Policy, HttpKeys)>, PolicyError> {
    let var = |name: &str| std::env::var(name).ok();
    let policy = Policy::from_settings(
        site.options.auth.as_ref(),
        var("SITE_AUTH_SIGNER").as_deref(),
        var("SITE_AUTH_KEY_URL").as_deref(),
        var("AWS_REGION").as_deref(),
    )?;
    match policy {
        None => Ok(None),
        Some(p) => {
            let keys = HttpKeys::new(&p.key_url).map_err(PolicyError)?;
            Ok(Some((p, keys)))
        }
    }
}

/// Where the site's files kept in S3 are (None: it keeps none). A site that keeps some and
/// cannot send clients to them does not start.
fn offload(site: &Site, private: bool) -> Result<Option<Offload>, String> {
    if site.offloaded_files == 0 {
        return Ok(None);
    }
    let lifetime = std::time::Duration::from_secs(site.options.presign_seconds.into());
    Offload::from_env(|name| std::env::var(name).ok(), private, lifetime)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Milliseconds since the epoch (0 if the clock is before it).
fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// What the function needs besides the site, set up once before the first event: the access
/// log, the login check of a private site, and where the files kept in S3 are.
struct Started {
    log: AccessLog,
    login: Option<(Policy, HttpKeys)>,
    offload: Option<Offload>,
}

/// Sets up what every event needs. A private site that cannot check logins, or a site that
/// keeps files in S3 and cannot send clients to them, does not start (Lambda reports the init
/// error and the deploy's pre-traffic check sees it), rather than serve unchecked.
fn start(site: &Site) -> Result<Started, String> {
    let log = AccessLog::from_env().map_err(|e| e.to_string())?;
    let login = login(site).map_err(|e| e.to_string())?;
    let offload = offload(site, login.is_some())?;
    Ok(Started {
        log,
        login,
        offload,
    })
}

/// Handles one event; returns the response with its access-log entry written to `out`.
fn answer(
    site: &'static Site,
    event: &str,
    started: &Started,
    span: Option<&Span<'_>>,
    out: &mut impl Write,
    line: &mut Vec<u8>,
) -> Response<'static> {
    let clock = Instant::now();
    #[cfg(feature = "test-panic")]
    if event.contains("\"/__test_panic\"") {
        panic!("test-panic: a panic induced on purpose");
    }
    let millis = now_millis();
    let guard = started
        .login
        .as_ref()
        .map(|(policy, keys)| Guard { policy, keys });
    let shell = Shell {
        guard: guard.as_ref(),
        offload: started.offload.as_ref(),
        now: millis / 1000,
    };
    let (response, request) = handler::handle_with(site, event, &shell);
    let entry = Entry::new(
        &request,
        &response,
        clock.elapsed().as_micros() as u64,
        millis,
    );
    // A log that cannot be written must not cost the client its answer.
    let _ = started.log.write(out, line, &entry, span);
    response
}

/// The invocation loop. Returns only when the Runtime API cannot be used any more: Lambda then
/// starts a new instance.
fn run_lambda(site: &'static Site) -> i32 {
    let started = match start(site) {
        Ok(started) => started,
        Err(e) => {
            eprintln!("cannot start: {e}");
            return 1;
        }
    };
    let mut api = match RuntimeApi::from_env() {
        Ok(api) => api,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    // Buffers kept for the life of the process and refilled per invocation.
    let mut inv = Invocation::default();
    let mut json = Vec::new();
    let mut line = Vec::new();
    let stdout = std::io::stdout();
    loop {
        if let Err(e) = api.next(&mut inv) {
            eprintln!("cannot get the next invocation: {e}");
            return 1;
        }
        let span = Span {
            request_id: &inv.request_id,
            xray_trace_id: &inv.trace_id,
            name: "Lambda runtime invoke",
        };
        // Lambda sends the event as JSON text, so UTF-8; anything else gets the handler's 400.
        let event = std::str::from_utf8(&inv.event).unwrap_or("");
        // The handler never fails on input; a panic would be a bug. It is reported as this
        // invocation's error (ALB answers 502) and the instance stays warm.
        let answered = catch_unwind(AssertUnwindSafe(|| {
            let response = answer(
                site,
                event,
                &started,
                Some(&span),
                &mut stdout.lock(),
                &mut line,
            );
            json.clear();
            serde_json::to_writer(&mut json, &response)
        }));
        let sent = match answered {
            Ok(Ok(())) => api.respond(&inv.request_id, &json),
            Ok(Err(e)) => api.report_error(
                &inv.request_id,
                "Runtime.SerializationError",
                &e.to_string(),
            ),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "the handler panicked".into());
                api.report_error(&inv.request_id, "Runtime.Panic", &message)
            }
        };
        match sent {
            Ok(Ok(())) => {}
            Ok(Err(refused)) => eprintln!(
                "the Runtime API refused the answer to {}: HTTP {}: {}",
                inv.request_id, refused.status, refused.body
            ),
            Err(e) => {
                eprintln!("cannot send the answer to {}: {e}", inv.request_id);
                return 1;
            }
        }
    }
}

fn invoke(site: &'static Site, file: &str) -> i32 {
    let mut event = String::new();
    let read = if file == "-" {
        std::io::stdin().read_to_string(&mut event).map(|_| ())
    } else {
        std::fs::read_to_string(file).map(|s| event = s)
    };
    if let Err(e) = read {
        eprintln!("cannot read the event {file}: {e}");
        return 2;
    }
    let started = match start(site) {
        Ok(started) => started,
        Err(e) => {
            eprintln!("cannot answer: {e}");
            return 2;
        }
    };
    let response = answer(
        site,
        &event,
        &started,
        None,
        &mut std::io::stderr(),
        &mut Vec::new(),
    );
    match serde_json::to_string_pretty(&response) {
        Ok(json) => {
            println!("{json}");
            0
        }
        Err(e) => {
            eprintln!("cannot write the response: {e}");
            1
        }
    }
}

fn info(site: &Site) {
    // Identical bodies are one blob in the package, counted once.
    let (_, stored) = site.stored_bodies();
    println!("files: {}", site.files_len());
    println!("routes: {}", site.routes_len());
    println!(
        "variants: {} (identity, gzip, br kept where smaller; an identity with a gzip variant is not stored)",
        site.variant_count()
    );
    println!("site bytes: {}", site.site_bytes);
    println!("embedded bytes: {stored}");
    println!("files kept in S3: {}", site.offloaded_files);
    println!("health path: {}", site.options.health_path);
    match &site.options.auth {
        Some(a) => println!(
            "auth: private (signers in the settings: {}; SITE_AUTH_SIGNER may add them at start)",
            a.signers.len()
        ),
        None => {
            println!("auth: public (SITE_AUTH_SIGNER makes every path but the health path private)")
        }
    }
    println!(
        "spa fallback: {}",
        if site.options.spa_fallback {
            "On"
        } else {
            "Off"
        }
    );
    // The same facts a deploy reads from the binary's bytes (and a reference that keeps them in).
    print!(
        "{}",
        String::from_utf8_lossy(&site::DEPLOY_INFO).trim_start()
    );
}
