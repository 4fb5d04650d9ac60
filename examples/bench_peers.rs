//! `make bench-peers`: this project's Lambda package measured beside its peers' packages (other
//! ways to serve the same site on Lambda), each run the way Lambda runs it, under AWS's Runtime
//! Interface Emulator (RIE), in one run on one machine, so the ratios between them hold even when
//! the machine is noisy.
//!
//! Each contender is a zip as it would be deployed (`NAME=ZIP`): unpacked into a private folder,
//! its `bootstrap` started by the RIE. The first contender is the one the others are compared to.
//!
//! - ALB acceptance: each event of the given folders (`*.json`), once, on a warm instance (a
//!   fresh one after any failure); a response passes when local-alb's `reply::parse` (what ALB
//!   accepts, in the event's header mode) takes it. Anything else is ALB's 502.
//! - Per request class: N sequential invocations per contender (concurrency 1: the RIE takes one
//!   at a time) on one keep-alive connection after 200 warm-up ones, in blocks of 100 rotating
//!   over the contenders, so machine noise hits them alike: p50 and invocations/s. The
//!   revalidation class sends each contender its own validator for `/` (If-None-Match with its
//!   ETag, or If-Modified-Since with its Last-Modified).
//! - Cold start: a fresh RIE and function per run, rotating over the contenders; median of the
//!   runs from the RIE listening to the first response (the RIE starts the function on the first
//!   invocation), and the RIE's INIT REPORT.
//! - Peak RSS: the sum of `VmHWM` over every process of the function (an adapter and its server
//!   are two), after serving every class.
//!
//! Usage: `bench_peers [--rie P] [-n N] [--cold RUNS] [--events DIR]... NAME=ZIP NAME=ZIP...`
//! (defaults: `.tools/aws-lambda-rie-x86_64`, N=4000, 20 runs, `tests/fixtures/alb` and
//! `events`). Prints a markdown report on stdout; progress goes to stderr.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use local_alb::kit::alb_event::AlbEvent;
use local_alb::kit::invoke::{self, Client};
use local_alb::kit::process;
use local_alb::kit::rie::{self, Emulator, Output};
use local_alb::reply;
use serde_json::Value;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

struct Contender {
    name: String,
    zip_bytes: u64,
    /// Bytes of every file unpacked from the zip.
    unpacked_bytes: u64,
    bootstrap: PathBuf,
}

struct Options {
    rie: PathBuf,
    n: usize,
    cold_runs: usize,
    event_dirs: Vec<PathBuf>,
    zips: Vec<(String, PathBuf)>,
}

fn options() -> Result<Options> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut o = Options {
        rie: std::env::var_os("RIE")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(rie::FETCHED_PATH)),
        n: 4000,
        cold_runs: 20,
        event_dirs: Vec::new(),
        zips: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--rie" => o.rie = value()?.into(),
            "-n" => o.n = value()?.parse()?,
            "--cold" => o.cold_runs = value()?.parse()?,
            "--events" => o.event_dirs.push(value()?.into()),
            _ => match arg.split_once('=') {
                Some((name, zip)) if !arg.starts_with('-') => {
                    o.zips.push((name.to_string(), zip.into()))
                }
                _ => {
                    return Err(format!(
                        "unknown argument {arg}; see the top of examples/bench_peers.rs"
                    )
                    .into())
                }
            },
        }
    }
    if o.event_dirs.is_empty() {
        o.event_dirs = vec![root.join("tests/fixtures/alb"), root.join("events")];
    }
    if o.zips.is_empty() {
        return Err("no contender: give NAME=ZIP for each".into());
    }
    if !o.rie.is_file() {
        return Err(format!("{} is missing: run `make rie`", o.rie.display()).into());
    }
    Ok(o)
}

/// A private folder for the unpacked packages, removed on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tree_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => tree_bytes(&e.path()),
            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}

fn unpack(scratch: &Scratch, name: &str, zip: &Path) -> Result<Contender> {
    let dir = scratch.0.join(name);
    std::fs::create_dir_all(&dir)?;
    let status = Command::new("unzip")
        .arg("-q")
        .arg(zip)
        .arg("-d")
        .arg(&dir)
        .status()?;
    if !status.success() {
        return Err(format!("unzip {} failed", zip.display()).into());
    }
    let bootstrap = dir.join("bootstrap");
    if !bootstrap.is_file() {
        return Err(format!("{} has no bootstrap at its root", zip.display()).into());
    }
    Ok(Contender {
        name: name.to_string(),
        zip_bytes: std::fs::metadata(zip)?.len(),
        unpacked_bytes: tree_bytes(&dir),
        bootstrap,
    })
}

/// The `*.json` events of each folder, sorted, named `folder/file`.
fn events(dirs: &[PathBuf]) -> Result<Vec<(String, String)>> {
    let mut all = Vec::new();
    for dir in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let folder = dir.file_name().unwrap_or_default().to_string_lossy();
        for f in files {
            let name = f.file_name().unwrap_or_default().to_string_lossy();
            all.push((format!("{folder}/{name}"), std::fs::read_to_string(&f)?));
        }
    }
    Ok(all)
}

fn is_multi_value(event: &str) -> bool {
    serde_json::from_str::<Value>(event)
        .ok()
        .and_then(|e| e.get("multiValueHeaders").map(|v| !v.is_null()))
        .unwrap_or(false)
}

/// What ALB makes of one invocation: the status it would send, or why it would answer 502.
fn verdict(answer: std::io::Result<(u16, Vec<u8>)>, multi_value: bool) -> Result<u16> {
    let (code, body) = answer?;
    if code != 200 {
        return Err(format!("the Invoke API answered {code}").into());
    }
    reply::parse(&body, multi_value)
        .map(|r| r.status)
        .map_err(|e| e.into())
}

/// Per contender, per event: the status ALB would send, or why not.
fn acceptance(
    rie: &Path,
    contenders: &[Contender],
    events: &[(String, String)],
) -> Result<Vec<Vec<std::result::Result<u16, String>>>> {
    let mut table = Vec::new();
    for c in contenders {
        eprintln!("bench_peers: ALB acceptance, {}", c.name);
        let mut emulator = Emulator::start(rie, &c.bootstrap, &[], Output::Discard)?;
        let mut column = Vec::new();
        for (_, event) in events {
            let result = verdict(emulator.invoke(event), is_multi_value(event));
            if result.is_err() {
                // A crashed or confused instance must not fail the events after it.
                drop(emulator);
                emulator = Emulator::start(rie, &c.bootstrap, &[], Output::Discard)?;
            }
            column.push(result.map_err(|e| e.to_string()));
        }
        table.push(column);
    }
    Ok(table)
}

/// A GET from a browser, through ALB, with `headers` besides the usual ones.
fn alb_event(path: &str, headers: &[(&str, &str)]) -> String {
    AlbEvent::browser_get(path, headers).to_json().to_string()
}

/// A request class: its name, the path and the headers besides a browser's usual ones.
type Class = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const CLASSES: &[Class] = &[
    (
        "small HTML `/` (identity)",
        "/",
        &[("accept", "text/html"), ("accept-encoding", "identity")],
    ),
    (
        "CSS (br)",
        "/css/site.css",
        &[("accept-encoding", "gzip, deflate, br")],
    ),
    (
        "JS (gzip)",
        "/assets/app.3f9a2c1b.js",
        &[("accept-encoding", "gzip")],
    ),
    (
        "PNG",
        "/img/logo.png",
        &[("accept", "image/avif,image/webp,*/*")],
    ),
    (
        "404 (missing page)",
        "/no-such-page",
        &[("accept-encoding", "identity")],
    ),
];
const REVALIDATE: &str = "revalidate `/` (its own validator)";

/// A response header, whatever its case and header mode.
fn header(response: &Value, name: &str) -> Option<String> {
    for field in ["headers", "multiValueHeaders"] {
        if let Some(map) = response[field].as_object() {
            for (k, v) in map {
                if k.eq_ignore_ascii_case(name) {
                    let v = v.as_array().and_then(|a| a.first()).unwrap_or(v);
                    return v.as_str().map(str::to_string);
                }
            }
        }
    }
    None
}

/// The event that revalidates `/` with the validator the contender sent for it.
fn revalidation(conn: &mut Client) -> Result<String> {
    let (_, body) = conn.invoke(&alb_event("/", &[("accept-encoding", "identity")]))?;
    let response: Value = serde_json::from_slice(&body)?;
    Ok(if let Some(etag) = header(&response, "etag") {
        alb_event(
            "/",
            &[("accept-encoding", "identity"), ("if-none-match", &etag)],
        )
    } else if let Some(date) = header(&response, "last-modified") {
        alb_event(
            "/",
            &[
                ("accept-encoding", "identity"),
                ("if-modified-since", &date),
            ],
        )
    } else {
        alb_event("/", &[("accept-encoding", "identity")])
    })
}

fn status_of(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["statusCode"].as_u64())
        .map_or("error".to_string(), |s| s.to_string())
}

struct Stats {
    per_sec: f64,
    p50_us: f64,
    status: String,
}

fn percentile(samples: &mut [Duration], q: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
    samples[i].as_secs_f64() * 1e6
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The RIE serving on `port`: its process id, found by its command line.
fn rie_pid(port: u16) -> Option<u32> {
    let needle = format!("127.0.0.1:{port}");
    std::fs::read_dir("/proc").ok()?.find_map(|e| {
        let pid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let mut args = cmdline.split(|b| *b == 0);
        args.position(|a| a == b"--runtime-interface-emulator-address")?;
        (args.next()? == needle.as_bytes()).then_some(pid)
    })
}

/// The sum of VmHWM over every descendant of the RIE: the function's processes.
fn function_peak_rss_kib(emulator: &Emulator) -> Option<u64> {
    let mut todo = process::children(rie_pid(emulator.port())?);
    let mut total = 0;
    while let Some(pid) = todo.pop() {
        total += process::peak_rss_kib(pid).unwrap_or(0);
        todo.extend(process::children(pid));
    }
    (total > 0).then_some(total)
}

/// Per class (its name), per contender: p50, inv/s and the status answered; then each
/// contender's peak RSS.
struct Warm {
    rows: Vec<(String, Vec<Stats>)>,
    rss: Vec<Option<u64>>,
}

fn warm(o: &Options, contenders: &[Contender]) -> Result<Warm> {
    let emulators = contenders
        .iter()
        .map(|c| Emulator::start(&o.rie, &c.bootstrap, &[], Output::Discard))
        .collect::<std::io::Result<Vec<_>>>()?;
    let mut conns = emulators
        .iter()
        .map(Emulator::connect)
        .collect::<std::io::Result<Vec<_>>>()?;
    let mut classes: Vec<(String, Vec<String>)> = CLASSES
        .iter()
        .map(|(name, path, headers)| {
            (
                name.to_string(),
                vec![alb_event(path, headers); contenders.len()],
            )
        })
        .collect();
    let own = conns
        .iter_mut()
        .map(revalidation)
        .collect::<Result<Vec<_>>>()?;
    classes.insert(4, (REVALIDATE.to_string(), own));

    let block = 100.min(o.n.max(1));
    let rounds = o.n.div_ceil(block);
    let mut body = Vec::new();
    let mut rows = Vec::new();
    for (name, events) in &classes {
        eprintln!("bench_peers: {name} ({rounds} x {block} invocations each)");
        let requests: Vec<Vec<u8>> = emulators
            .iter()
            .zip(events)
            .map(|(e, event)| invoke::request(e.port(), event))
            .collect();
        let mut statuses = Vec::new();
        for (conn, request) in conns.iter_mut().zip(&requests) {
            for _ in 0..200 {
                conn.send(request, &mut body)?;
            }
            statuses.push(status_of(&body));
        }
        let k = contenders.len();
        let mut samples = vec![Vec::with_capacity(o.n); k];
        let mut busy = vec![Duration::ZERO; k];
        for round in 0..rounds {
            for i in 0..k {
                let who = (round + i) % k;
                let start = Instant::now();
                for _ in 0..block {
                    let t = Instant::now();
                    let code = conns[who].send(&requests[who], &mut body)?;
                    if code != 200 {
                        return Err(format!("{}: Invoke API {code}", contenders[who].name).into());
                    }
                    samples[who].push(t.elapsed());
                }
                busy[who] += start.elapsed();
            }
        }
        let stats = samples
            .iter_mut()
            .zip(&busy)
            .zip(statuses)
            .map(|((s, b), status)| Stats {
                per_sec: s.len() as f64 / b.as_secs_f64(),
                p50_us: percentile(s, 0.5),
                status,
            })
            .collect();
        rows.push((name.clone(), stats));
    }
    let rss = emulators.iter().map(function_peak_rss_kib).collect();
    Ok(Warm { rows, rss })
}

/// Per contender: median ms from the RIE listening to the first response, its min and max, and
/// the median INIT REPORT.
fn cold(o: &Options, contenders: &[Contender]) -> Result<Vec<(f64, f64, f64, f64)>> {
    let event = alb_event("/", &[("accept-encoding", "identity")]);
    let k = contenders.len();
    let mut first = vec![Vec::new(); k];
    let mut init = vec![Vec::new(); k];
    eprintln!("bench_peers: cold start, {} runs each", o.cold_runs);
    for run in 0..o.cold_runs {
        for i in 0..k {
            let who = (run + i) % k;
            let emulator =
                Emulator::start(&o.rie, &contenders[who].bootstrap, &[], Output::Capture)?;
            let mut conn = emulator.connect()?;
            let request = invoke::request(emulator.port(), &event);
            let mut body = Vec::new();
            let listening = Instant::now();
            let code = conn.send(&request, &mut body)?;
            let ms = listening.elapsed().as_secs_f64() * 1e3;
            if code != 200 || status_of(&body) != "200" {
                return Err(format!(
                    "cold start of {}: {code} {}; emulator output:\n{}",
                    contenders[who].name,
                    String::from_utf8_lossy(&body),
                    emulator.log_text()
                )
                .into());
            }
            first[who].push(ms);
            if let Some(ms) = emulator.init_duration_ms() {
                init[who].push(ms);
            }
        }
    }
    Ok(first
        .into_iter()
        .zip(init)
        .map(|(f, i)| {
            let min = f.iter().copied().fold(f64::INFINITY, f64::min);
            let max = f.iter().copied().fold(0.0, f64::max);
            (median(f), min, max, median(i))
        })
        .collect())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("bench_peers: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let o = options()?;
    let scratch = Scratch(std::env::temp_dir().join(format!("bench-peers-{}", std::process::id())));
    let contenders = o
        .zips
        .iter()
        .map(|(name, zip)| unpack(&scratch, name, zip))
        .collect::<Result<Vec<_>>>()?;
    let events = events(&o.event_dirs)?;
    let wall = Instant::now();
    let accepted = acceptance(&o.rie, &contenders, &events)?;
    let warm = warm(&o, &contenders)?;
    let cold = cold(&o, &contenders)?;
    report(&o, &contenders, &events, &accepted, &warm, &cold)?;
    println!("\nBench wall time: {:.0} s.", wall.elapsed().as_secs_f64());
    Ok(())
}

fn report(
    o: &Options,
    contenders: &[Contender],
    events: &[(String, String)],
    accepted: &[Vec<std::result::Result<u16, String>>],
    warm: &Warm,
    cold: &[(f64, f64, f64, f64)],
) -> Result<()> {
    use std::fmt::Write as _;
    let Warm { rows, rss } = warm;
    let mut out = String::new();
    let names: Vec<&str> = contenders.iter().map(|c| c.name.as_str()).collect();
    let base = names[0];
    let others = &names[1..];
    let dirs: Vec<String> = o
        .event_dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect();

    writeln!(out, "Per function: the zip as deployed, cold start through the RIE (median of {} runs, RIE listening → first response), peak RSS after serving every class, and ALB acceptance of {} events ({}).\n", o.cold_runs, events.len(), dirs.join(", "))?;
    writeln!(out, "| function | zip bytes | unpacked bytes | cold start ms (min–max) | RIE INIT REPORT ms | peak RSS KiB | ALB accepts |\n|---|--:|--:|--:|--:|--:|--:|")?;
    for (i, c) in contenders.iter().enumerate() {
        let (f, min, max, init) = cold[i];
        let passed = accepted[i].iter().filter(|r| r.is_ok()).count();
        writeln!(
            out,
            "| {} | {} | {} | {f:.2} ({min:.2}–{max:.2}) | {init:.2} | {} | {passed}/{} ({:.0} %) |",
            c.name,
            c.zip_bytes,
            c.unpacked_bytes,
            rss[i].map_or("n/a".to_string(), |k| k.to_string()),
            events.len(),
            100.0 * passed as f64 / events.len() as f64
        )?;
    }
    let ratio = |i: usize| {
        format!(
            "cold start {:.2}x, zip {:.2}x",
            cold[i].0 / cold[0].0,
            contenders[i].zip_bytes as f64 / contenders[0].zip_bytes as f64
        )
    };
    for (i, name) in others.iter().enumerate() {
        writeln!(out, "\n{name} against {base}: {}.", ratio(i + 1))?;
    }

    writeln!(out, "\nPer request class: {} invocations per contender after 200 warm-up ones, one at a time over keep-alive HTTP, in blocks of 100 rotating over the contenders. Status: what each answered ({}).\n", o.n.div_ceil(100.min(o.n.max(1))) * 100.min(o.n.max(1)), names.join(" / "))?;
    let mut head = String::from("| class | status |");
    let mut rule = String::from("|---|---|");
    for n in &names {
        head += &format!(" {n} p50 µs |");
        rule += "--:|";
    }
    for n in others {
        head += &format!(" {n} / {base} p50 |");
        rule += "--:|";
    }
    for n in &names {
        head += &format!(" {n} inv/s |");
        rule += "--:|";
    }
    writeln!(out, "{head}\n{rule}")?;
    for (name, stats) in rows {
        let statuses: Vec<&str> = stats.iter().map(|s| s.status.as_str()).collect();
        let mut line = format!("| {name} | {} |", statuses.join(" / "));
        for s in stats {
            line += &format!(" {:.0} |", s.p50_us);
        }
        for s in &stats[1..] {
            line += &format!(" {:.2}x |", s.p50_us / stats[0].p50_us);
        }
        for s in stats {
            line += &format!(" {:.0} |", s.per_sec);
        }
        writeln!(out, "{line}")?;
    }

    writeln!(out, "\nALB acceptance per event: the status ALB would send, or 502 and why (local-alb's `reply::parse`, in the event's header mode).\n")?;
    let mut head = String::from("| event |");
    let mut rule = String::from("|---|");
    for n in &names {
        head += &format!(" {n} |");
        rule += "---|";
    }
    writeln!(out, "{head}\n{rule}")?;
    for (e, (event, _)) in events.iter().enumerate() {
        let mut line = format!("| {event} |");
        for column in accepted {
            let cell = match &column[e] {
                Ok(status) => status.to_string(),
                Err(why) => {
                    let short: String = why.chars().take(90).collect();
                    format!("**502**: {}", short.replace('|', "\\|").replace('\n', " "))
                }
            };
            line += &format!(" {cell} |");
        }
        writeln!(out, "{line}")?;
    }
    print!("{out}");
    Ok(())
}
