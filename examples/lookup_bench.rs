//! Per-request cost and memory against whatever site this build embeds (SITE_DIR), for the scale
//! benchmark (`tools/bench-scale.py`, `make bench-scale`): build it once per site and compare.
//!
//! usage: lookup_bench time [PATH...]   ns per `Site::route` and per `handler::handle` (+ serialize)
//!        lookup_bench rss              VmHWM before and after serving every file once
//!
//! Output is one `key value` pair per line, for the script to read.

use std::hint::black_box;
use std::time::{Duration, Instant};

use local_alb::kit::alb_event::AlbEvent;
use site_server::{handler, site};

/// A browser's GET through ALB.
fn event(path: &str, accept_encoding: &str) -> String {
    AlbEvent::new("GET", path)
        .headers(&[
            ("accept", "text/html,application/xhtml+xml,*/*;q=0.8"),
            ("accept-encoding", accept_encoding),
            ("host", "bench-123.us-east-1.elb.amazonaws.com"),
            ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0"),
            ("x-forwarded-for", "72.21.198.66"),
            ("x-forwarded-proto", "https"),
        ])
        .to_string()
}

fn time_ns(mut f: impl FnMut()) -> f64 {
    let batch = Duration::from_millis(40);
    let batches = 25;
    // Calibrate: calls per batch.
    let mut n: u64 = 1;
    loop {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        if t.elapsed() >= batch / 4 || n >= 1 << 30 {
            n = (n * 4).max(1);
            break;
        }
        n *= 2;
    }
    let mut means: Vec<f64> = (0..batches)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..n {
                f();
            }
            t.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    means.sort_by(|a, b| a.partial_cmp(b).unwrap());
    means[batches / 2]
}

fn status_kb(key: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn time(paths: &[String]) {
    let site = site::embedded().expect("the embedded site opens");
    let routes: Vec<_> = site.routes().collect();
    println!("files {}", site.files_len());
    println!("routes {}", routes.len());
    // Route lookups: the first, middle and last route, and a miss.
    let probes = [
        routes[0].0,
        routes[routes.len() / 2].0,
        routes[routes.len() - 1].0,
    ];
    let ns = time_ns(|| {
        for p in probes {
            black_box(site.route(black_box(p)));
        }
    }) / probes.len() as f64;
    println!("route_hit_ns {ns:.1}");
    let ns = time_ns(|| {
        black_box(site.route(black_box("/no/such/page/anywhere")));
    });
    println!("route_miss_ns {ns:.1}");
    for path in paths {
        let ev = event(path, "gzip, deflate, br");
        let r = handler::handle_site(
            site_server::site::embedded().expect("the embedded site"),
            &ev,
        );
        let bytes = serde_json::to_vec(&r).unwrap().len();
        println!("status {path} {} {bytes}", r.status.code());
        let ns = time_ns(|| {
            black_box(handler::handle_site(
                site_server::site::embedded().expect("the embedded site"),
                black_box(&ev),
            ));
        });
        println!("handle_ns {path} {ns:.1}");
        let ns = time_ns(|| {
            black_box(
                serde_json::to_vec(&handler::handle_site(
                    site_server::site::embedded().expect("the embedded site"),
                    black_box(&ev),
                ))
                .unwrap(),
            );
        });
        println!("handle_serialize_ns {path} {ns:.1}");
    }
}

fn rss() {
    let site = site::embedded().expect("the embedded site opens");
    println!("files {}", site.files_len());
    println!("rss_start_kb {}", status_kb("VmRSS:"));
    let first = event("/", "gzip, deflate, br");
    black_box(
        serde_json::to_vec(&handler::handle_site(
            site_server::site::embedded().expect("the embedded site"),
            &first,
        ))
        .unwrap(),
    );
    println!("hwm_after_one_kb {}", status_kb("VmHWM:"));
    // Every file once, at the URL that serves it, in the encoding a browser gets.
    let mut served = std::collections::HashSet::new();
    let mut bytes = 0u64;
    for (url, route) in site.routes() {
        if let site::Route::File(i) = route {
            if served.insert(i) {
                let r = handler::handle_site(
                    site_server::site::embedded().expect("the embedded site"),
                    &event(url, "gzip, deflate, br"),
                );
                bytes += serde_json::to_vec(&r).unwrap().len() as u64;
            }
        }
    }
    println!("served_files {}", served.len());
    println!("served_response_bytes {bytes}");
    println!("hwm_after_all_kb {}", status_kb("VmHWM:"));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("time") => {
            let paths: Vec<String> = if args.len() > 1 {
                args[1..].to_vec()
            } else {
                vec!["/".into()]
            };
            time(&paths);
        }
        Some("rss") => rss(),
        _ => {
            eprintln!("usage: lookup_bench time [PATH...] | lookup_bench rss");
            std::process::exit(2);
        }
    }
}
