//! Compares compression policies on a site folder: bytes a client receives per Accept-Encoding,
//! and the CPU time of encoding, for the policy before (brotli 11 for every file) and the
//! policy now (`plan::compress::Policy::DEFAULT`), plus fixed settings for reference.
//!
//! usage: compress_policies DIR [--sample PERCENT] [--policies NAME,...] [--json]
//! (e.g. `cargo run --release -p site-core --features plan --example compress_policies -- DIR`)
//!
//! Each compressible file (by its type, as the planner decides without `_headers`) is
//! compressed once per policy, on one thread, so times are CPU seconds of one core (the build
//! runs files on every core). A variant is kept when at most 95 % of the file (the default
//! `max_ratio`), and a client gets the smallest kept variant it accepts, as the server sends.
//! `--sample P` takes a fixed P % of the files (chosen by a hash of the path).
//! Policies (default `before,now,now-big`): `before`; `now` (as it decides for this site);
//! `now-big` (as for a site over the small-file budget: small files at the small quality);
//! `qN` or `qNwW` (brotli quality N, window W, default 22, for every file; gzip 9); `gzL`
//! (gzip level L; brotli 11).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use site_core::plan::compress::{self, Policy, Settings, BROTLI_WINDOW, GZIP_LEVEL};
use site_core::plan::{encode, media, walk};
use site_core::site::Encoding;

const MAX_RATIO: f64 = 0.95;
/// Accept-Encoding headers, and the encodings each accepts.
const CLIENTS: [(&str, &[Encoding]); 4] = [
    ("identity", &[]),
    ("gzip", &[Encoding::Gzip]),
    ("br", &[Encoding::Brotli]),
    ("gzip, deflate, br", &[Encoding::Gzip, Encoding::Brotli]),
];

struct File {
    path: String,
    bytes: Vec<u8>,
    compressible: bool,
}

#[derive(Default)]
struct Outcome {
    gzip_time: Duration,
    brotli_time: Duration,
    /// Per client, body bytes received.
    received: [u64; CLIENTS.len()],
    brotli_bytes: u64,
    gzip_bytes: u64,
}

/// What a policy name stands for: brotli's quality and window for a file of a length, and
/// gzip's level.
struct Candidate {
    brotli: Box<dyn Fn(u64) -> (u32, u32)>,
    gzip_level: u32,
}

fn candidate(name: &str, small_bytes: u64) -> Candidate {
    let policy = |s: Settings| Candidate {
        brotli: Box::new(move |len| (s.brotli_quality(len), BROTLI_WINDOW)),
        gzip_level: GZIP_LEVEL,
    };
    let fixed = |q: u32, w: u32, gzip_level| Candidate {
        brotli: Box::new(move |_| (q, w)),
        gzip_level,
    };
    let number = |s: &str| -> u32 {
        s.parse()
            .unwrap_or_else(|_| panic!("unknown policy {name}"))
    };
    match name {
        "before" => policy(Policy::ALWAYS_11.for_site(small_bytes)),
        "now" => policy(Policy::DEFAULT.for_site(small_bytes)),
        "now-big" => policy(Policy::DEFAULT.for_site(u64::MAX)),
        _ => {
            if let Some(level) = name.strip_prefix("gz") {
                fixed(11, BROTLI_WINDOW, number(level))
            } else if let Some(q) = name.strip_prefix('q') {
                match q.split_once('w') {
                    Some((q, w)) => fixed(number(q), number(w), GZIP_LEVEL),
                    None => fixed(number(q), BROTLI_WINDOW, GZIP_LEVEL),
                }
            } else {
                panic!("unknown policy {name}")
            }
        }
    }
}

/// This thread's CPU time (Linux: /proc/thread-self/schedstat), else wall time since start.
fn cpu_time(start: Instant) -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map(Duration::from_nanos)
        .unwrap_or_else(|| start.elapsed())
}

fn run(files: &[File], c: &Candidate) -> Outcome {
    let start = Instant::now();
    let mut out = Outcome::default();
    // Per file, the compressed lengths; each encoding in one pass, timed as a whole.
    let mut sizes: Vec<Vec<(Encoding, u64)>> = files
        .iter()
        .map(|f| vec![(Encoding::Identity, f.bytes.len() as u64)])
        .collect();
    for encoding in [Encoding::Gzip, Encoding::Brotli] {
        let before = cpu_time(start);
        let mut total = 0;
        for (f, sizes) in files.iter().zip(&mut sizes) {
            let len = f.bytes.len() as u64;
            if !f.compressible || len == 0 {
                continue;
            }
            let compressed = match encoding {
                Encoding::Gzip => compress::gzip(&f.bytes, c.gzip_level),
                _ => {
                    let (quality, window) = (c.brotli)(len);
                    compress::brotli(&f.bytes, quality, window)
                }
            };
            let n = compressed.expect("compress").len() as u64;
            total += n;
            if n <= (len as f64 * MAX_RATIO) as u64 {
                sizes.push((encoding, n));
            }
        }
        let took = cpu_time(start) - before;
        if encoding == Encoding::Gzip {
            (out.gzip_time, out.gzip_bytes) = (took, total);
        } else {
            (out.brotli_time, out.brotli_bytes) = (took, total);
        }
    }
    for sizes in &sizes {
        for (k, (_, accepts)) in CLIENTS.iter().enumerate() {
            out.received[k] += sizes
                .iter()
                .filter(|(e, _)| *e == Encoding::Identity || accepts.contains(e))
                .map(|&(_, n)| n)
                .min()
                .unwrap_or(0);
        }
    }
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut sample = 100u64;
    let mut policies = "before,now,now-big".to_string();
    let mut json = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--sample" => {
                sample = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .expect("--sample P")
            }
            "--policies" => policies = args.next().expect("--policies a,b"),
            "--json" => json = true,
            _ if dir.is_none() => dir = Some(a),
            _ => panic!("usage: compress_policies DIR [--sample P] [--policies a,b] [--json]"),
        }
    }
    let dir = std::path::PathBuf::from(dir.expect("usage: compress_policies DIR"));
    let root = dir.canonicalize().expect("DIR");
    let (walked, _) = walk::walk(&root).expect("walk");
    let files: Vec<File> = walked
        .into_iter()
        .filter(|f| {
            let h = encode::sha256_hex(f.site_path.as_bytes());
            u64::from_str_radix(&h[..8], 16).unwrap() % 100 < sample
        })
        .map(|f| {
            let bytes = std::fs::read(&f.abs).expect("read");
            let ct = media::content_type_for(&f.site_path, &bytes);
            File {
                compressible: media::is_compressible(&ct),
                path: f.site_path,
                bytes,
            }
        })
        .collect();
    let total: u64 = files.iter().map(|f| f.bytes.len() as u64).sum();
    // The planner decides on the whole site; a sample stands for its share of it.
    let small_bytes = Policy::DEFAULT.small_bytes(
        files
            .iter()
            .map(|f| (f.path.as_str(), f.bytes.len() as u64)),
    ) * 100
        / sample.max(1);
    let names: Vec<&str> = policies.split(',').collect();
    let outcomes: Vec<(&str, Outcome)> = names
        .iter()
        .map(|&name| {
            eprintln!("compress_policies: {name}...");
            (name, run(&files, &candidate(name, small_bytes)))
        })
        .collect();

    if json {
        let mut s = String::from("{");
        let _ = write!(
            s,
            "\"dir\":{:?},\"files\":{},\"bytes\":{total},\"sample_percent\":{sample},\
             \"small_bytes\":{small_bytes},\"gzip_level\":{GZIP_LEVEL},\"policies\":{{",
            dir.display().to_string(),
            files.len()
        );
        for (i, (name, o)) in outcomes.iter().enumerate() {
            let received: Vec<String> = CLIENTS
                .iter()
                .zip(o.received)
                .map(|((h, _), n)| format!("{h:?}:{n}"))
                .collect();
            let _ = write!(
                s,
                "{}{name:?}:{{\"brotli_cpu_s\":{:.3},\"gzip_cpu_s\":{:.3},\"brotli_bytes\":{},\
                 \"gzip_bytes\":{},\"received\":{{{}}}}}",
                if i > 0 { "," } else { "" },
                o.brotli_time.as_secs_f64(),
                o.gzip_time.as_secs_f64(),
                o.brotli_bytes,
                o.gzip_bytes,
                received.join(",")
            );
        }
        s.push_str("}}");
        println!("{s}");
        return;
    }
    println!(
        "{}: {} files, {total} bytes ({sample} % sample); small compressible files {small_bytes} bytes\n",
        dir.display(),
        files.len()
    );
    let base = &outcomes[0].1;
    print!("| Accept-Encoding |");
    for (name, _) in &outcomes {
        print!(" {name} |");
    }
    println!("\n|---|{}", "--:|".repeat(outcomes.len()));
    for (k, (header, _)) in CLIENTS.iter().enumerate() {
        print!("| {header} |");
        for (_, o) in &outcomes {
            let pct = (o.received[k] as f64 / base.received[k] as f64 - 1.0) * 100.0;
            print!(" {} ({pct:+.2} %) |", o.received[k]);
        }
        println!();
    }
    for (label, f) in [
        (
            "brotli",
            (|o: &Outcome| o.brotli_time) as fn(&Outcome) -> Duration,
        ),
        ("gzip", |o: &Outcome| o.gzip_time),
    ] {
        print!("| {label}, CPU seconds of one core (speed-up) |");
        for (_, o) in &outcomes {
            let ratio = f(base).as_secs_f64() / f(o).as_secs_f64().max(1e-9);
            print!(" {:.2} ({ratio:.2}x) |", f(o).as_secs_f64());
        }
        println!();
    }
}
