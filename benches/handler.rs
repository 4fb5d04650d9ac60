//! In-process cost of answering an ALB event, against a floor: serializing the very same
//! response when it is ready-made. Run through `make bench`, which embeds a generated site
//! (tools/gen-site.py: a small page, a 200 KB JS bundle, a 500 KB PNG).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use local_alb::kit::alb_event::AlbEvent;
use serde_json::json;
use site_server::handler;

/// A browser's GET through ALB, with `overrides` replacing or adding headers.
fn event(path: &str, overrides: serde_json::Value) -> String {
    let mut e = AlbEvent::new("GET", path).headers(&[
        ("accept", "*/*"),
        ("host", "bench-123.us-east-1.elb.amazonaws.com"),
        ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0"),
        (
            "x-amzn-trace-id",
            "Root=1-5bdb40ca-556d8b0c50dc66f0511bf520",
        ),
        ("x-forwarded-for", "72.21.198.66"),
        ("x-forwarded-port", "443"),
        ("x-forwarded-proto", "https"),
    ]);
    for (k, v) in overrides.as_object().unwrap() {
        e = e.header(k, v.as_str().unwrap());
    }
    e.to_string()
}

fn cases() -> Vec<(&'static str, String, u16)> {
    let png = event("/photo.png", json!({}));
    let etag = handler::handle_site(
        site_server::site::embedded().expect("the embedded site"),
        &event(
            "/assets/app.5d41402a.js",
            json!({"accept-encoding": "gzip"}),
        ),
    )
    .header("ETag")
    .map(str::to_string)
    .unwrap_or_default();
    vec![
        (
            "small_html",
            event(
                "/",
                json!({"accept": "text/html", "accept-encoding": "identity"}),
            ),
            200,
        ),
        (
            "js_200k_gzip",
            event(
                "/assets/app.5d41402a.js",
                json!({"accept-encoding": "gzip"}),
            ),
            200,
        ),
        ("png_500k_base64", png, 200),
        (
            "not_modified_304",
            event(
                "/assets/app.5d41402a.js",
                json!({"accept-encoding": "gzip", "if-none-match": etag}),
            ),
            304,
        ),
    ]
}

/// The floor: a ready-made response holding the same bytes in plain fields, as any handler
/// that has its response at hand would serialize it.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ReadyMade {
    status_code: u16,
    status_description: String,
    headers: serde_json::Map<String, serde_json::Value>,
    body: String,
    is_base64_encoded: bool,
}

fn ready_made(r: &site_server::door::Response<'_>) -> ReadyMade {
    let v: serde_json::Value = serde_json::to_value(r).unwrap();
    ReadyMade {
        status_code: r.status.code(),
        status_description: v["statusDescription"].as_str().unwrap().to_string(),
        headers: v["headers"].as_object().unwrap().clone(),
        body: v["body"].as_str().unwrap().to_string(),
        is_base64_encoded: r.base64,
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("handler");
    for (name, ev, want) in cases() {
        let response = handler::handle_site(
            site_server::site::embedded().expect("the embedded site"),
            &ev,
        );
        assert_eq!(
            response.status.code(),
            want,
            "{name}: the embedded site is not the bench site; run `make bench`"
        );
        let ready = ready_made(&response);
        let bytes = serde_json::to_vec(&ready).unwrap().len() as u64;
        assert_eq!(
            serde_json::to_vec(&response).unwrap().len() as u64,
            bytes,
            "{name}: same bytes"
        );
        group.throughput(Throughput::Bytes(bytes));
        group.bench_with_input(
            BenchmarkId::new("handle_and_serialize", name),
            &ev,
            |b, ev| {
                b.iter(|| {
                    serde_json::to_vec(&handler::handle_site(
                        site_server::site::embedded().expect("the embedded site"),
                        std::hint::black_box(ev),
                    ))
                    .unwrap()
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("serialize_ready_made", name),
            &ready,
            |b, r| b.iter(|| serde_json::to_vec(std::hint::black_box(r)).unwrap()),
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
