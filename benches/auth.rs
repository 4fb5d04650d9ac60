//! What a login check costs per request with the key already cached (the common case: ALB's
//! keys are fetched once per process): verifying the token alone, and a whole request for a
//! small page, private against the same page served publicly. Run with `make bench-auth`.

use criterion::{criterion_group, criterion_main, Criterion};
use local_alb::kit::alb_event::AlbEvent;
use local_alb::kit::login::{user_claims, AlbSigner};
use site_core::plan::memory;
use site_server::auth::{self, Guard, Policy, PublicKey};
use site_server::handler;

const SIGNER: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/bench/0123456789abcdef";
const KID: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const NOW: u64 = 1_900_000_000;

fn bench(c: &mut Criterion) {
    let site = memory::from_files(
        &[("index.html", b"<!doctype html><h1>intranet</h1>".as_slice())],
        "spa = \"off\"",
    )
    .expect("the bench site plans");
    let signer = AlbSigner::from_seed(3, KID, SIGNER);
    let keys: Vec<(String, PublicKey)> = vec![(
        KID.into(),
        PublicKey::from_pem(&signer.public_pem()).unwrap(),
    )];
    // A typical IdP's claims (about 300 bytes), as ALB forwards them.
    let token = signer.token(
        &user_claims("alice@example.com", &["staff", "admins"], NOW + 60),
        NOW + 60,
    );
    let policy = Policy::from_settings(None, Some(SIGNER), None, Some("us-east-1"))
        .unwrap()
        .unwrap();
    let guard = Guard {
        policy: &policy,
        keys: &keys,
    };
    let signers = vec![SIGNER.to_string()];
    let public = AlbEvent::new("GET", "/")
        .header("accept", "text/html")
        .to_string();
    let private = AlbEvent::new("GET", "/")
        .header("accept", "text/html")
        .header("x-amzn-oidc-data", &token)
        .to_string();
    // Guard against measuring a refusal.
    assert!(auth::verify(&token, &signers, &keys, NOW).is_ok());
    let logged_in = handler::Shell {
        guard: Some(&guard),
        now: NOW,
        ..Default::default()
    };
    let public_site = handler::Shell {
        now: NOW,
        ..Default::default()
    };
    let (r, _) = handler::handle_with(&site, &private, &logged_in);
    assert_eq!(r.status.code(), 200);

    c.bench_function("verify_token_cached_key", |b| {
        b.iter(|| auth::verify(&token, &signers, &keys, NOW))
    });
    c.bench_function("small_page_public", |b| {
        b.iter(|| handler::handle_with(&site, &public, &public_site).0.status)
    });
    c.bench_function("small_page_private", |b| {
        b.iter(|| handler::handle_with(&site, &private, &logged_in).0.status)
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
