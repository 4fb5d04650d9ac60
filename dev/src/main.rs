//! site-dev: `serve` (make dev), `check` (make check), `explain PATH` and `report`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use site_dev::load::Source;
use site_dev::serve::{self, Dev};

const USAGE: &str = "\
site-dev: a site folder served from disk through the Lambda handler behind ALB's rules,
re-planned on every change (make dev); its validation (make check); explain PATH;
the build report (make build's dist/report.html, and make dev's /_dev/report)

Usage:
  site-dev serve   [--listen ADDR] [--multi-value] [--poll] [SITE OPTIONS]
  site-dev check   [--multi-value] [SITE OPTIONS]
  site-dev explain PATH [-H 'Name: value']... [--method M] [--multi-value] [SITE OPTIONS]
  site-dev report  [--out FILE] [SITE OPTIONS]

Site options:
  --site DIR       the site folder [default: site]
  --config FILE    the settings file; a missing one means the defaults [default: site.toml]
  --cache DIR      the encode cache, kept between runs [default: target/dev-cache]
  --epoch SECS     SOURCE_DATE_EPOCH: every file's Last-Modified

serve:
  --listen ADDR    IP:PORT or PORT [default: 127.0.0.1:3000]; port 0 picks a free port
  --multi-value    the target group has multi-value headers on
  --poll           look for changes by a stat of every file (for a folder without file
                   events: a network or container mount) instead of file events

explain:
  PATH             a URL path, with an optional ?query
  -H 'Name: value' a request header (repeatable), e.g. -H 'Accept-Encoding: br'
  --method M       GET or HEAD (anything else gets 405, as from the Lambda) [default: GET]

report:
  --out FILE       where to write the page [default: standard output]; what the package
                   would hold goes to standard error, as `bootstrap info` names it";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("site-dev: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The options all commands share, and the rest of the arguments.
struct Options {
    source: Source,
    listen: SocketAddr,
    multi_value: bool,
    poll: bool,
    headers: Vec<(String, String)>,
    method: String,
    out: Option<PathBuf>,
    free: Vec<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        source: Source {
            site_dir: "site".into(),
            config: "site.toml".into(),
            cache_dir: "target/dev-cache".into(),
            epoch: None,
        },
        listen: "127.0.0.1:3000".parse().expect("an address"),
        multi_value: false,
        poll: false,
        headers: Vec::new(),
        method: "GET".into(),
        out: None,
        free: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--site" => o.source.site_dir = PathBuf::from(value(arg)?),
            "--config" => o.source.config = PathBuf::from(value(arg)?),
            "--cache" => o.source.cache_dir = PathBuf::from(value(arg)?),
            "--epoch" => {
                let v = value(arg)?;
                if !v.trim().is_empty() {
                    o.source.epoch = Some(
                        v.trim()
                            .parse()
                            .map_err(|_| format!("--epoch {v:?} is not a number of seconds"))?,
                    );
                }
            }
            "--listen" => {
                let v = value(arg)?;
                let v = if v.contains(':') {
                    v
                } else {
                    format!("127.0.0.1:{v}")
                };
                o.listen = v
                    .parse()
                    .map_err(|_| format!("--listen {v:?} is not IP:PORT or PORT"))?;
            }
            "--multi-value" => o.multi_value = true,
            "--poll" => o.poll = true,
            "-H" | "--header" => {
                let v = value(arg)?;
                let (n, val) = v
                    .split_once(':')
                    .ok_or_else(|| format!("-H {v:?} is not 'Name: value'"))?;
                o.headers
                    .push((n.trim().to_string(), val.trim().to_string()));
            }
            "--method" => o.method = value(arg)?.to_ascii_uppercase(),
            "--out" => o.out = Some(PathBuf::from(value(arg)?)),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            s if s.starts_with('-') && s.len() > 1 => return Err(format!("unknown option {s}")),
            s => o.free.push(s.to_string()),
        }
    }
    Ok(o)
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let Some(command) = args.first() else {
        return Err("a command is needed: serve, check, explain or report".into());
    };
    let o = parse(&args[1..])?;
    match command.as_str() {
        "serve" => {
            if !o.free.is_empty() {
                return Err(format!("serve takes no argument {:?}", o.free[0]));
            }
            // A server that cannot start is not a usage error: say why, without the usage.
            match serve_forever(o) {
                Ok(code) => Ok(code),
                Err(e) => {
                    eprintln!("site-dev: {e}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        "check" => {
            if !o.free.is_empty() {
                return Err(format!("check takes no argument {:?}", o.free[0]));
            }
            Ok(site_dev::check::run(&o.source, o.multi_value))
        }
        "explain" => {
            let [path] = o.free.as_slice() else {
                return Err("explain takes one URL path".into());
            };
            Ok(site_dev::explain::run(
                &o.source,
                path,
                &o.method,
                &o.headers,
                o.multi_value,
            ))
        }
        "report" => {
            if !o.free.is_empty() {
                return Err(format!("report takes no argument {:?}", o.free[0]));
            }
            Ok(report(&o))
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command {other:?}")),
    }
}

/// Plans the site as a build would and writes its report; says what the packed site holds
/// (its files, the bytes it embeds, the files kept in S3: what `bootstrap info` says of a
/// built one), so the page's totals can be checked against it.
fn report(o: &Options) -> ExitCode {
    let loaded = match site_dev::load::load(&o.source) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("site-dev: the site cannot be planned:\n{e}");
            return ExitCode::from(1);
        }
    };
    let started = std::time::Instant::now();
    let html =
        site_core::plan::report::render(&loaded.plan, &site_dev::load::shown(&o.source.site_dir));
    let took = started.elapsed();
    let written = match &o.out {
        Some(path) => {
            std::fs::write(path, &html).map_err(|e| format!("cannot write {}: {e}", path.display()))
        }
        None => std::io::Write::write_all(&mut std::io::stdout().lock(), html.as_bytes())
            .map_err(|e| format!("cannot write the page: {e}")),
    };
    if let Err(e) = written {
        eprintln!("site-dev: {e}");
        return ExitCode::from(1);
    }
    eprintln!(
        "site-dev: the report, {} KB, rendered in {} ms",
        html.len().div_ceil(1000),
        took.as_millis()
    );
    let site = &loaded.site;
    eprintln!("files: {}", site.files_len());
    eprintln!("embedded bytes: {}", site.stored_bodies().1);
    eprintln!("files kept in S3: {}", site.offloaded_files);
    ExitCode::SUCCESS
}

fn serve_forever(o: Options) -> Result<ExitCode, String> {
    if !o.listen.ip().is_loopback() {
        return Err(format!(
            "--listen {}: site-dev serves only on a loopback address",
            o.listen
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(o.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", o.listen))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("no local address: {e}"))?;
        let site = site_dev::load::shown(&o.source.site_dir);
        let config = site_dev::load::shown(&o.source.config);
        let watch = site_dev::watch::Watch::start(
            &o.source.site_dir,
            &o.source.config,
            &o.source.cache_dir,
            o.poll,
        );
        let dev = Dev::new(o.source, o.multi_value);
        dev.watch_in_background(watch);
        eprintln!(
            "site-dev: serving {site} (settings {config}{}) at http://{addr}/ through the Lambda handler and ALB's rules; \
             re-planned on every change, open pages reload (Ctrl-C to stop)",
            if o.multi_value { ", multi-value headers" } else { "" }
        );
        serve::serve(listener, dev).await;
        Ok(ExitCode::SUCCESS)
    })
}
