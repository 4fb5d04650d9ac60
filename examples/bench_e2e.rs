//! `make bench-e2e`: the built `bootstrap` measured end to end through AWS's Runtime Interface
//! Emulator (RIE), beside a floor that returns the same response bytes ready-made.
//!
//! - Per file class: N sequential invocations (concurrency 1: the RIE takes one at a time)
//!   against `bootstrap` and against `examples/floor` (fed with `bootstrap`'s own responses,
//!   captured first and checked byte-identical), interleaved in blocks (ABAB) so machine noise
//!   hits both alike. Reports invocations/s, p50 and p99, and the bootstrap/floor ratio.
//! - Cold start: RIE + function spawned fresh, timed from spawn to the first response, median
//!   of several runs, `bootstrap` vs `examples/hello`, alternating. The RIE's own `Init
//!   Duration` (function exec to first poll of the Runtime API) is reported too.
//! - Peak RSS (`VmHWM`) of the function process after it has served every class.
//!
//! Usage: `bench_e2e [--bootstrap P] [--floor P] [--hello P] [--rie P] [-n N] [--cold RUNS]`
//! (defaults: `target/release/...`, `.tools/aws-lambda-rie-x86_64`, N=8000, 40 runs).
//! Prints a markdown report on stdout; progress goes to stderr.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use local_alb::kit::alb_event::AlbEvent;
use local_alb::kit::invoke::{self, Client};
use local_alb::kit::rie::{self, Emulator, Output};
use serde_json::Value;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

struct Options {
    bootstrap: PathBuf,
    floor: PathBuf,
    hello: PathBuf,
    rie: PathBuf,
    n: usize,
    cold_runs: usize,
}

fn options() -> Result<Options> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut o = Options {
        bootstrap: root.join("target/release/bootstrap"),
        floor: root.join("target/release/examples/floor"),
        hello: root.join("target/release/examples/hello"),
        rie: std::env::var_os("RIE")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(rie::FETCHED_PATH)),
        n: 8000,
        cold_runs: 40,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--bootstrap" => o.bootstrap = value()?.into(),
            "--floor" => o.floor = value()?.into(),
            "--hello" => o.hello = value()?.into(),
            "--rie" => o.rie = value()?.into(),
            "-n" => o.n = value()?.parse()?,
            "--cold" => o.cold_runs = value()?.parse()?,
            _ => {
                return Err(format!(
                    "unknown argument {flag}; see the top of examples/bench_e2e.rs"
                )
                .into())
            }
        }
    }
    for p in [&o.bootstrap, &o.floor, &o.hello] {
        if !p.is_file() {
            return Err(format!(
                "{} is missing: cargo build --release --bin bootstrap --examples",
                p.display()
            )
            .into());
        }
    }
    if !o.rie.is_file() {
        return Err(format!("{} is missing: run `make rie`", o.rie.display()).into());
    }
    // Absolute: the emulators run in the temp directory.
    o.rie = o.rie.canonicalize()?;
    Ok(o)
}

/// A GET from a browser, through ALB, with `headers` besides the usual ones.
fn alb_event(path: &str, headers: &[(&str, &str)]) -> Value {
    AlbEvent::browser_get(path, headers).to_json()
}

/// A file class: a name, the event (its `path` is unique: the floor keys on it) and the status
/// `bootstrap` must answer with.
struct Class {
    name: &'static str,
    event: String,
    status: u64,
}

fn classes(etag_of_about_br: &str) -> Vec<Class> {
    let c = |name, event: Value, status| Class {
        name,
        event: event.to_string(),
        status,
    };
    vec![
        c(
            "small HTML `/` (identity)",
            alb_event(
                "/",
                &[("accept", "text/html"), ("accept-encoding", "identity")],
            ),
            200,
        ),
        c(
            "CSS (br, base64)",
            alb_event("/css/site.css", &[("accept-encoding", "gzip, deflate, br")]),
            200,
        ),
        c(
            "JS (gzip, base64)",
            alb_event("/assets/app.3f9a2c1b.js", &[("accept-encoding", "gzip")]),
            200,
        ),
        c(
            "PNG (base64)",
            alb_event("/img/logo.png", &[("accept", "image/avif,image/webp,*/*")]),
            200,
        ),
        c(
            "304 (If-None-Match)",
            alb_event(
                "/about",
                &[
                    ("accept-encoding", "br"),
                    ("if-none-match", etag_of_about_br),
                ],
            ),
            304,
        ),
        c(
            "404 (site 404.html)",
            alb_event("/no-such-page", &[("accept-encoding", "identity")]),
            404,
        ),
    ]
}

/// One invocation; checks the HTTP status and that the reply is not a function error.
fn invoke_once(conn: &mut Client, request: &[u8], body: &mut Vec<u8>) -> Result<()> {
    let code = conn.send(request, body)?;
    if code != 200 || body.starts_with(br#"{"errorType""#) {
        return Err(format!(
            "invocation failed: HTTP {code}: {}",
            String::from_utf8_lossy(body)
        )
        .into());
    }
    Ok(())
}

struct Stats {
    per_sec: f64,
    p50_us: f64,
    p99_us: f64,
}

fn stats(mut samples: Vec<Duration>, busy: Duration) -> Stats {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i].as_secs_f64() * 1e6
    };
    Stats {
        per_sec: samples.len() as f64 / busy.as_secs_f64(),
        p50_us: at(0.50),
        p99_us: at(0.99),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// One cold start, in ms.
struct Cold {
    /// Spawn of the RIE to the first response: what a first request waits for, here.
    total: f64,
    /// The RIE listening to the first response: the function's exec, init and first invoke
    /// (the RIE starts the function on the first invocation).
    function: f64,
    /// The RIE's own INIT REPORT duration.
    init: Option<f64>,
}

/// Spawns a fresh RIE + function and times the first invocation.
fn cold_start(rie: &Path, function: &Path, payload: &str) -> Result<Cold> {
    let started = Instant::now();
    let emulator = Emulator::start(rie, function, &[], Output::Capture)?;
    let mut conn = emulator.connect()?;
    let request = invoke::request(emulator.port(), payload);
    let mut body = Vec::new();
    let listening = Instant::now();
    if let Err(e) = invoke_once(&mut conn, &request, &mut body) {
        std::thread::sleep(Duration::from_millis(100));
        return Err(format!(
            "cold start of {}: {e}; emulator output:\n{}",
            function.display(),
            emulator.log_text()
        )
        .into());
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    Ok(Cold {
        total: ms(started.elapsed()),
        function: ms(listening.elapsed()),
        init: emulator.init_duration_ms(),
    })
}

fn main() {
    if let Err(e) = run() {
        eprintln!("bench_e2e: {e}");
        std::process::exit(1);
    }
}

/// A private directory holding copies of the functions, removed on drop: a build running
/// beside the bench (target/ is shared) cannot swap a binary in the middle of it.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch> {
        let dir = std::env::temp_dir().join(format!("bench-e2e-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }

    fn copy(&self, binary: &mut PathBuf, name: &str) -> Result<()> {
        let to = self.0.join(name);
        std::fs::copy(&*binary, &to)?;
        *binary = to;
        Ok(())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run() -> Result<()> {
    let mut o = options()?;
    let scratch = Scratch::new()?;
    scratch.copy(&mut o.bootstrap, "bootstrap")?;
    scratch.copy(&mut o.floor, "floor")?;
    scratch.copy(&mut o.hello, "hello")?;
    let wall = Instant::now();
    let mut body = Vec::new();

    // 1. bootstrap's own responses, captured for the floor.
    let boot = Emulator::start(&o.rie, &o.bootstrap, &[], Output::Discard)?;
    let mut boot_conn = boot.connect()?;
    let about = alb_event("/about", &[("accept-encoding", "br")]).to_string();
    invoke_once(
        &mut boot_conn,
        &invoke::request(boot.port(), &about),
        &mut body,
    )?;
    let about: Value = serde_json::from_slice(&body)?;
    let etag = about["headers"]["ETag"]
        .as_str()
        .ok_or("GET /about has no ETag")?
        .to_string();
    let classes = classes(&etag);
    // The floor's input, written by hand so each response keeps bootstrap's exact bytes.
    let mut ready = String::from("{");
    for class in &classes {
        invoke_once(
            &mut boot_conn,
            &invoke::request(boot.port(), &class.event),
            &mut body,
        )?;
        let response: Value = serde_json::from_slice(&body)?;
        if response["statusCode"].as_u64() != Some(class.status) {
            return Err(
                format!("{}: expected {}, got {response}", class.name, class.status).into(),
            );
        }
        let event: Value = serde_json::from_str(&class.event)?;
        if ready.len() > 1 {
            ready.push(',');
        }
        ready.push_str(&event["path"].to_string());
        ready.push(':');
        ready.push_str(std::str::from_utf8(&body)?);
    }
    ready.push('}');
    let ready_file =
        std::env::temp_dir().join(format!("bench-e2e-floor-{}.json", std::process::id()));
    std::fs::write(&ready_file, &ready)?;

    // 2. The floor, checked to return the very same bytes.
    let floor = Emulator::start(
        &o.rie,
        &o.floor,
        &[(
            "FLOOR_RESPONSES",
            ready_file.to_str().ok_or("temp path not UTF-8")?,
        )],
        Output::Discard,
    )?;
    let mut floor_conn = floor.connect()?;
    let mut other = Vec::new();
    for class in &classes {
        invoke_once(
            &mut boot_conn,
            &invoke::request(boot.port(), &class.event),
            &mut body,
        )?;
        invoke_once(
            &mut floor_conn,
            &invoke::request(floor.port(), &class.event),
            &mut other,
        )?;
        if body != other {
            return Err(
                format!("{}: the floor's bytes differ from bootstrap's", class.name).into(),
            );
        }
    }

    // 3. Throughput and latency per class, ABAB in blocks.
    let block = 100.min(o.n.max(1));
    let rounds = o.n.div_ceil(block);
    let warmup = 200;
    let mut rows = Vec::new();
    for class in &classes {
        eprintln!(
            "bench_e2e: {} ({} x {} invocations each)",
            class.name, rounds, block
        );
        let reqs = [
            invoke::request(boot.port(), &class.event),
            invoke::request(floor.port(), &class.event),
        ];
        let mut conns = [&mut boot_conn, &mut floor_conn];
        for (conn, req) in conns.iter_mut().zip(&reqs) {
            for _ in 0..warmup {
                invoke_once(conn, req, &mut body)?;
            }
        }
        let mut samples = [Vec::with_capacity(o.n), Vec::with_capacity(o.n)];
        let mut busy = [Duration::ZERO; 2];
        for round in 0..rounds {
            // Alternate who goes first, too: A B B A A B ...
            let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            for who in order {
                let block_start = Instant::now();
                for _ in 0..block {
                    let t = Instant::now();
                    invoke_once(&mut *conns[who], &reqs[who], &mut body)?;
                    samples[who].push(t.elapsed());
                }
                busy[who] += block_start.elapsed();
            }
        }
        let [sb, sf] = samples;
        rows.push((class.name, stats(sb, busy[0]), stats(sf, busy[1])));
    }
    let boot_rss = boot.function_peak_rss_kib();
    let floor_rss = floor.function_peak_rss_kib();
    drop(boot_conn);
    drop(floor_conn);
    drop(boot);
    drop(floor);

    // 4. Cold start, bootstrap vs hello, alternating.
    let cold_event = alb_event("/", &[("accept-encoding", "identity")]).to_string();
    let mut cold = [Vec::new(), Vec::new()];
    let mut func = [Vec::new(), Vec::new()];
    let mut init = [Vec::new(), Vec::new()];
    let functions = [&o.bootstrap, &o.hello];
    for run in 0..o.cold_runs {
        let order = if run % 2 == 0 { [0, 1] } else { [1, 0] };
        for who in order {
            let c = cold_start(&o.rie, functions[who], &cold_event)?;
            cold[who].push(c.total);
            func[who].push(c.function);
            if let Some(ms) = c.init {
                init[who].push(ms);
            }
        }
    }
    let hello_rss = {
        let e = Emulator::start(&o.rie, &o.hello, &[], Output::Discard)?;
        let mut c = e.connect()?;
        invoke_once(&mut c, &invoke::request(e.port(), &cold_event), &mut body)?;
        e.function_peak_rss_kib()
    };

    // 5. Report.
    use std::fmt::Write as _;
    let mut out = String::new();
    writeln!(
        out,
        "Through AWS's Runtime Interface Emulator on 127.0.0.1, one invocation at a time over \
         keep-alive HTTP: {} invocations per class per contender after {warmup} warm-up ones, \
         in blocks of {block} alternating bootstrap and floor (ABBA...).\n",
        rounds * block
    )?;
    writeln!(
        out,
        "| class | bootstrap inv/s | floor inv/s | bootstrap p50 µs | floor p50 µs | p50 ratio \
         | bootstrap p99 µs | floor p99 µs | p99 ratio |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|"
    )?;
    let mut worst_p50: f64 = 0.0;
    for (name, b, f) in &rows {
        worst_p50 = worst_p50.max(b.p50_us / f.p50_us);
        writeln!(
            out,
            "| {name} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2}x | {:.0} | {:.0} | {:.2}x |",
            b.per_sec,
            f.per_sec,
            b.p50_us,
            f.p50_us,
            b.p50_us / f.p50_us,
            b.p99_us,
            f.p99_us,
            b.p99_us / f.p99_us
        )?;
    }
    let med = |v: &Vec<f64>| {
        if v.is_empty() {
            f64::NAN
        } else {
            median(v.clone())
        }
    };
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    writeln!(
        out,
        "\nCold start: a fresh RIE and function per run, median of {} runs each, alternating. \
         The RIE starts the function on the first invocation, so \"listening → response\" is the \
         function's exec, init and first invoke; \"spawn → response\" adds the RIE's own start.\n",
        o.cold_runs
    )?;
    writeln!(
        out,
        "| function | binary bytes | spawn → response ms | listening → response ms (min–max) \
         | RIE INIT REPORT ms |\n|---|--:|--:|--:|--:|"
    )?;
    for (who, name) in [(0, "bootstrap"), (1, "hello (lambda_runtime hello world)")] {
        let f = &func[who];
        writeln!(
            out,
            "| {name} | {} | {:.2} | {:.2} ({:.2}–{:.2}) | {:.2} |",
            size(functions[who]),
            med(&cold[who]),
            med(f),
            f.iter().copied().fold(f64::INFINITY, f64::min),
            f.iter().copied().fold(0.0, f64::max),
            med(&init[who])
        )?;
    }
    let mib = |v: Option<u64>| {
        v.map_or("n/a".to_string(), |k| {
            format!("{:.1} MiB", k as f64 / 1024.0)
        })
    };
    writeln!(
        out,
        "\nPeak RSS (VmHWM of the function process): bootstrap {} after serving every class; \
         floor {} after the same; hello {} after one invocation.\n",
        mib(boot_rss),
        mib(floor_rss),
        mib(hello_rss)
    )?;
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    let cold_ratio = med(&func[0]) / med(&func[1]);
    writeln!(
        out,
        "Goals: p50 latency within 1.1x of the floor: worst class {worst_p50:.2}x ({}). \
         Cold start within 1.2x of hello: {cold_ratio:.2}x listening → response ({}); \
         {:.2}x spawn → response; {:.2}x RIE INIT REPORT.",
        verdict(worst_p50 <= 1.1),
        verdict(cold_ratio <= 1.2),
        med(&cold[0]) / med(&cold[1]),
        med(&init[0]) / med(&init[1]),
    )?;
    writeln!(
        out,
        "\nBench wall time: {:.0} s.",
        wall.elapsed().as_secs_f64()
    )?;
    print!("{out}");
    Ok(())
}
