//! local-alb: serve a Lambda function locally the way an Application Load Balancer (or another
//! of Lambda's front doors) would, by hosting the Lambda Runtime API for the real executable.

use std::ffi::OsString;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use local_alb::dispatch::{Queue, Slot};
use local_alb::front::Front;
use local_alb::instances::FunctionSpec;
use local_alb::login::{LocalUser, Login};
use local_alb::{front, ids, instances, invoke_api, objects, runtime_api};

const USAGE: &str = "\
local-alb: run a Lambda function locally behind a stand-in Application Load Balancer
(or another of Lambda's front doors: see --front)

Usage: local-alb [OPTIONS] -- COMMAND [ARGS...]

COMMAND is the function executable (normally target/release/bootstrap). local-alb
hosts the Lambda Runtime API for it, turns each HTTP request into the event ALB
sends, and answers by ALB's rules (502 for responses ALB would reject); with
--front, by another door's events and rules instead.

Options:
  --listen ADDR           Address to serve HTTP on: IP:PORT or just PORT
                          [default: 127.0.0.1:3000]; port 0 picks a free port
  --allow-remote          Allow a non-loopback --listen address
  --front DOOR            The front door to play, each with its own events, response
                          rules and error pages; every door but alb takes bodies and
                          answers up to Lambda's 6 MB:
                            alb (default)  an Application Load Balancer (1 MB each way)
                            function-url   a Lambda Function URL (payload format 2.0:
                                           cookies in `cookies`)
                            http-api       an API Gateway HTTP API, $default route and
                                           stage (payload format 2.0; the path reaches
                                           the function percent-decoded, as reported of
                                           real HTTP APIs)
                            rest-api       an API Gateway REST API, Lambda proxy on
                                           ANY / and ANY /{proxy+}, served under
                                           /STAGE/ (elsewhere: API Gateway's 403);
                                           binaryMediaTypes assumed */* (as the
                                           project's deploy would set it), so request
                                           bodies go base64 and isBase64Encoded
                                           responses are decoded
                            vpc-lattice    a VPC Lattice service (event structure v2)
  --stage NAME            The REST API's stage (--front rest-api) [default: prod]
  --multi-value           Target group with lambda.multi_value_headers.enabled=true:
                          multiValueHeaders/multiValueQueryStringParameters (alb only)
  --instances N           Function instances to run (each takes one request at a time)
                          [default: 2]
  --timeout SECS          Function timeout; the client then gets a 502 [default: 30]
  --target-group-arn ARN  The target group in the events (alb: requestContext.elb,
                          vpc-lattice: requestContext.targetGroupArn)
  --function-name NAME    AWS_LAMBDA_FUNCTION_NAME for the function [default: local-function]
  --login                 (alb only) Play ALB's authenticate-oidc action: a request
                          without a session goes to a local login form; a logged-in one
                          reaches the function with x-amzn-oidc-data signed by
                          local-alb's own key, which the function fetches from local-alb
                          (SITE_AUTH_SIGNER and SITE_AUTH_KEY_URL are set for it)
  --login-as USER         As --login, with every request logged in as USER
                          (EMAIL or EMAIL:GROUP,GROUP), no form
  --offload-dir DIR       Serve the files the build kept out of the package (its
                          site-offload folder: manifest.json and objects/) at
                          /_local-alb/offload/KEY, as their S3 bucket would, and point
                          the function there (SITE_OFFLOAD_URL)
  --invoke-api ADDR       Also serve Lambda's Invoke API on ADDR (IP:PORT or PORT):
                          POST /2015-03-31/functions/NAME/invocations with a raw event
                          answers the function's raw payload, as AWS's Runtime Interface
                          Emulator does, but with a new request id and trace id per
                          invocation (or the caller's X-Amzn-Trace-Id), as Lambda gives
  -h, --help              Show this help

Each request is logged on stderr: method, path?query, status, bytes, milliseconds,
and the reason for any 502.";

struct Options {
    listen: SocketAddr,
    allow_remote: bool,
    multi_value: bool,
    instances: usize,
    timeout: Duration,
    target_group_arn: Option<String>,
    function_name: String,
    invoke_api: Option<SocketAddr>,
    login: bool,
    login_as: Option<LocalUser>,
    front: Front,
    stage: Option<String>,
    offload_dir: Option<PathBuf>,
    command: OsString,
    args: Vec<OsString>,
}

enum Parsed {
    Run(Box<Options>),
    Help,
}

fn parse_args(mut argv: impl Iterator<Item = OsString>) -> Result<Parsed, String> {
    let mut opts = Options {
        listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 3000),
        allow_remote: false,
        multi_value: false,
        instances: 2,
        timeout: Duration::from_secs(30),
        target_group_arn: None,
        function_name: "local-function".into(),
        invoke_api: None,
        login: false,
        login_as: None,
        front: Front::Alb,
        stage: None,
        offload_dir: None,
        command: OsString::new(),
        args: Vec::new(),
    };
    let mut command = None;
    while let Some(arg) = argv.next() {
        let arg = arg
            .into_string()
            .map_err(|a| format!("option {a:?} is not valid UTF-8"))?;
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => argv
                    .next()
                    .and_then(|v| v.into_string().ok())
                    .ok_or_else(|| format!("{name} needs a value")),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--" => {
                command = argv.next();
                opts.args = argv.by_ref().collect();
                break;
            }
            "--listen" => opts.listen = parse_listen(&value("--listen")?)?,
            "--allow-remote" => opts.allow_remote = true,
            "--multi-value" => opts.multi_value = true,
            "--instances" => {
                let v = value("--instances")?;
                opts.instances =
                    v.parse()
                        .ok()
                        .filter(|n| (1..=64).contains(n))
                        .ok_or_else(|| {
                            format!("--instances must be a number from 1 to 64, not {v:?}")
                        })?;
            }
            "--timeout" => {
                let v = value("--timeout")?;
                let secs: f64 = v
                    .parse()
                    .ok()
                    .filter(|s: &f64| *s > 0.0 && *s <= 900.0)
                    .ok_or_else(|| format!("--timeout must be seconds from 0 to 900, not {v:?}"))?;
                opts.timeout = Duration::from_secs_f64(secs);
            }
            "--target-group-arn" => opts.target_group_arn = Some(value("--target-group-arn")?),
            "--function-name" => opts.function_name = value("--function-name")?,
            "--invoke-api" => opts.invoke_api = Some(parse_listen(&value("--invoke-api")?)?),
            "--front" => {
                let v = value("--front")?;
                opts.front = Front::from_flag(&v)
                    .ok_or_else(|| format!("--front is {}, not {v:?}", Front::CHOICES))?;
            }
            "--stage" => opts.stage = Some(parse_stage(&value("--stage")?)?),
            "--login" => opts.login = true,
            "--offload-dir" => opts.offload_dir = Some(PathBuf::from(value("--offload-dir")?)),
            "--login-as" => {
                opts.login = true;
                opts.login_as = Some(LocalUser::parse(&value("--login-as")?)?);
            }
            other if other.starts_with('-') => return Err(format!("unknown option {other}")),
            // Tolerate a missing `--` before the command.
            _ => {
                command = Some(OsString::from(arg));
                opts.args = argv.by_ref().collect();
                break;
            }
        }
    }
    opts.command = command.ok_or("missing COMMAND (the function executable) after --")?;
    if opts.front != Front::Alb && (opts.multi_value || opts.login) {
        return Err(format!(
            "--multi-value and --login are an ALB's; {} has neither (drop --front {})",
            opts.front.title(),
            opts.front.flag()
        ));
    }
    if opts.front != Front::RestApi && opts.stage.is_some() {
        return Err("--stage is a REST API's (--front rest-api)".into());
    }
    for addr in std::iter::once(opts.listen).chain(opts.invoke_api) {
        if !opts.allow_remote && !addr.ip().is_loopback() {
            return Err(format!(
                "refusing to listen on non-loopback {addr}; pass --allow-remote to expose the site"
            ));
        }
    }
    Ok(Parsed::Run(Box::new(opts)))
}

/// A stage name as API Gateway allows it: letters, digits, `-` and `_`, at most 128.
fn parse_stage(v: &str) -> Result<String, String> {
    let valid = (1..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(v.to_string())
    } else {
        Err(format!(
            "--stage wants 1 to 128 letters, digits, '-' or '_', not {v:?}"
        ))
    }
}

fn parse_listen(v: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = v.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    if let Some(port) = v.strip_prefix("localhost:") {
        if let Ok(port) = port.parse::<u16>() {
            return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
        }
    }
    v.parse()
        .map_err(|_| format!("--listen wants IP:PORT or PORT, not {v:?}"))
}

/// Finds the executable now, so a missing build is one clear error instead of
/// an endless restart loop.
fn resolve_command(command: &OsString) -> Result<PathBuf, String> {
    let path = Path::new(command);
    let found = if path.components().count() > 1 {
        path.is_file().then(|| path.to_path_buf())
    } else {
        std::env::var_os("PATH").and_then(|dirs| {
            std::env::split_paths(&dirs)
                .map(|d| d.join(path))
                .find(|p| p.is_file())
        })
    };
    let found = found.ok_or_else(|| {
        format!(
            "function executable {} not found (build it first, e.g. cargo build --release)",
            path.display()
        )
    })?;
    std::path::absolute(&found).map_err(|e| format!("{}: {e}", found.display()))
}

fn lambda_env(opts: &Options, program: &Path, region: &str) -> Vec<(String, String)> {
    // Only a path-qualified command says where the "task root" is.
    let task_root = if Path::new(&opts.command).components().count() > 1 {
        program.parent().map(Path::to_path_buf)
    } else {
        std::env::current_dir().ok()
    }
    .unwrap_or_else(|| PathBuf::from("."));
    let name = &opts.function_name;
    vec![
        ("AWS_LAMBDA_FUNCTION_NAME".into(), name.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), "128".into()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME".into(),
            format!("/aws/lambda/{name}"),
        ),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME".into(),
            format!("local/[$LATEST]{}", ids::segment_id()),
        ),
        ("AWS_LAMBDA_INITIALIZATION_TYPE".into(), "on-demand".into()),
        ("LAMBDA_TASK_ROOT".into(), task_root.display().to_string()),
        ("_HANDLER".into(), "bootstrap".into()),
        ("AWS_REGION".into(), region.into()),
        ("AWS_DEFAULT_REGION".into(), region.into()),
        ("TZ".into(), ":UTC".into()),
    ]
}

fn main() -> ExitCode {
    let opts = match parse_args(std::env::args_os().skip(1)) {
        Ok(Parsed::Run(opts)) => opts,
        Ok(Parsed::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("local-alb: error: {e}\nRun 'local-alb --help' for usage.");
            return ExitCode::from(2);
        }
    };
    let program = match resolve_command(&opts.command) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("local-alb: error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("local-alb: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(*opts, program)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("local-alb: error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(opts: Options, program: PathBuf) -> Result<(), String> {
    // Listen first: a browser can connect at once and waits for an instance.
    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", opts.listen))?;
    let listen = listener.local_addr().map_err(|e| e.to_string())?;

    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into());
    let account = local_alb::event::ACCOUNT_ID;
    let function_arn = format!(
        "arn:aws:lambda:{region}:{account}:function:{}",
        opts.function_name
    );
    let target_group_arn = opts
        .target_group_arn
        .clone()
        .unwrap_or_else(|| match opts.front {
            Front::VpcLattice => {
                format!("arn:aws:vpc-lattice:{region}:{account}:targetgroup/tg-0123456789abcdef0")
            }
            _ => format!(
            "arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/local-alb/0123456789abcdef"
        ),
        });
    let stage = opts.stage.clone().unwrap_or_else(|| "prod".into());
    let login = if opts.login {
        Some(
            Login::new(opts.login_as.clone())
                .map_err(|e| format!("cannot make a signing key for --login: {e}"))?,
        )
    } else {
        None
    };
    let mut env = lambda_env(&opts, &program, &region);
    if let Some(login) = &login {
        env.extend(login.function_env(listen.port()));
    }
    let objects = match &opts.offload_dir {
        Some(dir) => Some(objects::Objects::load(dir)?),
        None => None,
    };
    if objects.as_ref().is_some_and(|o| !o.is_empty()) {
        env.push(objects::Objects::function_env(listen.port()));
        // A private site presigns its URLs with the function's credentials, which Lambda
        // always sets; these stand in for the role's (the stand-in bucket checks no signature).
        env.push(("AWS_ACCESS_KEY_ID".into(), "AKIALOCALALBEXAMPLE".into()));
        env.push((
            "AWS_SECRET_ACCESS_KEY".into(),
            "local-alb-example-secret".into(),
        ));
        env.push(("AWS_SESSION_TOKEN".into(), "local-alb".into()));
    }
    let spec = Arc::new(FunctionSpec {
        program: program.clone(),
        args: opts.args.clone(),
        env,
    });

    let queue = Arc::new(Queue::default());
    let api_cfg = Arc::new(runtime_api::ApiConfig {
        queue: Arc::clone(&queue),
        timeout: opts.timeout,
        function_arn,
    });
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let mut supervisors = Vec::new();
    for index in 0..opts.instances {
        let (slot, kill_rx) = Slot::new(index);
        let (api_listener, api_addr) = runtime_api::bind()
            .await
            .map_err(|e| format!("cannot bind the Runtime API on 127.0.0.1: {e}"))?;
        tokio::spawn(runtime_api::serve(
            api_listener,
            Arc::clone(&slot),
            Arc::clone(&api_cfg),
        ));
        supervisors.push(tokio::spawn(instances::supervise(
            slot,
            kill_rx,
            Arc::clone(&spec),
            Arc::clone(&queue),
            api_addr,
            shutdown_rx.clone(),
        )));
    }

    let max_wait = opts.timeout + Duration::from_secs(60);
    if let Some(addr) = opts.invoke_api {
        let invoke_listener = TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr} for the invoke API: {e}"))?;
        let bound = invoke_listener.local_addr().map_err(|e| e.to_string())?;
        let cfg = Arc::new(invoke_api::InvokeConfig {
            queue: Arc::clone(&queue),
            max_wait,
        });
        tokio::spawn(invoke_api::serve(invoke_listener, cfg));
        eprintln!(
            "local-alb: invoke API on http://{bound}/2015-03-31/functions/function/invocations"
        );
    }
    let front_cfg = Arc::new(front::FrontConfig {
        front: opts.front,
        queue,
        multi_value: opts.multi_value,
        target_group_arn,
        region: region.clone(),
        stage: stage.clone(),
        listen_port: listen.port(),
        max_wait,
        login,
        objects,
    });
    tokio::spawn(front::serve(listener, front_cfg));
    // The tests read the port from this line: it starts "listening on http://IP:PORT ".
    let mode = match (opts.front, opts.multi_value) {
        (Front::Alb, true) => "multi-value mode".to_string(),
        (Front::Alb, false) => "single-value mode".to_string(),
        (Front::RestApi, _) => format!(
            "{} mode, stage {stage} at http://{listen}/{stage}/",
            opts.front.title()
        ),
        (front, _) => format!("{} mode", front.title()),
    };
    eprintln!(
        "local-alb: listening on http://{listen} ({mode}, {} instance(s) of {}, timeout {} s)",
        opts.instances,
        program.display(),
        opts.timeout.as_secs_f64()
    );

    wait_for_stop_signal().await;
    eprintln!("local-alb: stopping");
    let _ = shutdown_tx.send(true);
    let all = futures_join(supervisors);
    let _ = tokio::time::timeout(Duration::from_secs(3), all).await;
    Ok(())
}

async fn futures_join(handles: Vec<tokio::task::JoinHandle<()>>) {
    for h in handles {
        let _ = h.await;
    }
}

async fn wait_for_stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
