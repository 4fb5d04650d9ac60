//! Files too large for one ALB response, kept in S3 (`limits.too_large = "s3"`): what the build
//! leaves out and lists for the deploy, the redirect the function answers with, and, for a
//! private site, a presigned URL that a real S3 API (moto, started here on 127.0.0.1) serves.
//! Files under Lambda's 6 MB stay in the package too, for the front doors that take them whole.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use common::{body_bytes, check_response, decoded_body, header, status, AlbEvent, Front};
use local_alb::kit::login::{user_claims, AlbSigner};
use serde_json::Value;
use site_core::plan::memory::{self, noise};
use site_core::plan::{self, Config, Input, Placement, Plan};
use site_core::site::Site;
use site_server::auth::{Guard, Policy, PublicKey};
use site_server::handler::{self, Shell, Tally};
use site_server::metrics::{Sample, METRICS};
use site_server::offload::{Offload, Signer};

const NOW: u64 = 1_900_000_000;
const BASE: &str = "https://site-offload.s3.eu-west-1.amazonaws.com";
const SIGNER_ARN: &str =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/intranet/50dc6c495c0c9188";
const KID: &str = "5d1c0b2a-0000-4000-8000-000000000001";

/// JSON of random hex strings: compresses to about half, still over 1 MB in any encoding.
fn big_json() -> Vec<u8> {
    let hex: String = noise(1_000_000, 3)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let items: Vec<String> = hex
        .as_bytes()
        .chunks(64)
        .map(|c| format!("\"{}\"", std::str::from_utf8(c).unwrap()))
        .collect();
    format!("{{\"values\":[{}]}}", items.join(",")).into_bytes()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("offload-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The fixture: a 3 MB video, a 2 MB JSON and a 900 KB PNG beside a small page.
fn site_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch("site");
        for (path, bytes) in [
            ("index.html", b"<h1>media</h1>".to_vec()),
            ("media/video.mp4", noise(3_000_000, 1)),
            ("data/big.json", big_json()),
            ("img/photo.png", noise(900_000, 2)),
        ] {
            let file = dir.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, bytes).unwrap();
        }
        dir
    })
}

fn plan_with(settings: &str, cache: &str) -> Plan {
    let input = Input {
        site_dir: site_dir().to_path_buf(),
        config: PathBuf::new(),
        cache_dir: scratch(cache),
        epoch: Some(1_700_000_000),
    };
    plan::plan_with(&input, Config::parse(settings).unwrap()).expect("the site plans")
}

fn plan_small() -> Plan {
    let dir = scratch("small-site");
    std::fs::write(dir.join("index.html"), "<h1>x</h1>").unwrap();
    let input = Input {
        site_dir: dir,
        config: PathBuf::new(),
        cache_dir: scratch("small-cache"),
        epoch: None,
    };
    plan::plan_with(&input, Config::default()).unwrap()
}

fn public_plan() -> &'static Plan {
    static PLAN: OnceLock<Plan> = OnceLock::new();
    PLAN.get_or_init(|| plan_with("", "cache-public"))
}

fn public_site() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(|| memory::into_site(public_plan()).unwrap())
}

/// The object key the plan gives `path`'s variant in `encoding` ("identity", "gzip", "br").
fn key_of(plan: &Plan, path: &str, encoding: &str) -> String {
    plan.offloaded()
        .into_iter()
        .find(|(f, v, _)| f.site_path == path && v.encoding.token() == encoding)
        .map(|(_, _, key)| key)
        .unwrap_or_else(|| panic!("{path} {encoding} is not offloaded"))
}

fn ask(site: &Site, shell: &Shell<'_, '_>, event: AlbEvent) -> Value {
    let json = event.to_json().to_string();
    let (response, _) = handler::handle_with(site, &json, shell);
    let text = serde_json::to_string(&response).unwrap();
    check_response(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The answer to `event` sent through `front`, checked for the shape that door reads.
fn ask_through(front: Front, site: &Site, shell: &Shell<'_, '_>, event: AlbEvent) -> Value {
    front.ask_site(site, shell, &event)
}

fn public_offload() -> Offload {
    Offload::new(BASE, None).unwrap()
}

#[test]
fn the_build_keeps_in_s3_exactly_the_files_no_alb_response_can_carry() {
    let plan = public_plan();
    let mut offloaded: Vec<(String, &str)> = plan
        .offloaded()
        .into_iter()
        .map(|(f, v, _)| (f.site_path.clone(), v.encoding.token()))
        .collect();
    offloaded.sort();
    assert_eq!(
        offloaded,
        [
            ("/data/big.json".to_string(), "br"),
            ("/data/big.json".to_string(), "gzip"),
            ("/data/big.json".to_string(), "identity"),
            ("/img/photo.png".to_string(), "identity"),
            ("/media/video.mp4".to_string(), "identity"),
        ]
    );
    let site = public_site();
    assert_eq!(site.offloaded_files, 3);
    let index = site.files().find(|f| f.path == "/index.html").unwrap();
    assert!(site.body_json(&index.identity()).is_some());
    assert!(!index.in_s3());
}

#[test]
fn files_under_lambdas_6_mb_stay_in_the_package_too_for_the_other_front_doors() {
    let plan = public_plan();
    for path in ["/media/video.mp4", "/data/big.json", "/img/photo.png"] {
        let f = plan.files.iter().find(|f| f.site_path == path).unwrap();
        assert_eq!(f.placement, Placement::PackageAndS3, "{path}");
    }
    assert!(
        plan.embedded_bytes() > 3_000_000,
        "{}",
        plan.embedded_bytes()
    );
}

#[test]
fn with_lambda_sized_s3_nothing_of_a_file_in_s3_is_in_the_package() {
    let plan = plan_with("[limits]\nlambda_sized = \"s3\"\n", "cache-s3-only");
    assert_eq!(plan.offloaded().len(), 5);
    assert!(plan
        .files
        .iter()
        .filter(|f| f.in_s3())
        .all(|f| f.offloaded()));
    assert!(plan.embedded_bytes() < 10_000, "{}", plan.embedded_bytes());
}

#[test]
fn every_front_door_but_an_alb_serves_a_file_under_6_mb_whole_from_the_package() {
    let (site, offload) = (public_site(), public_offload());
    let shell = Shell {
        offload: Some(&offload),
        ..Shell::default()
    };
    for front in [Front::FunctionUrl, Front::RestApi, Front::VpcLattice] {
        for (path, accept) in [
            ("/media/video.mp4", "gzip, br"),
            ("/data/big.json", "gzip"),
            ("/img/photo.png", "identity"),
        ] {
            let r = ask_through(
                front,
                site,
                &shell,
                AlbEvent::new("GET", path).header("accept-encoding", accept),
            );
            assert_eq!(status(&r), 200, "{front:?} {path}");
            let original = std::fs::read(site_dir().join(&path[1..])).unwrap();
            assert!(
                decoded_body(&r) == original,
                "{front:?} {path}: the whole file"
            );
        }
    }
}

#[test]
fn a_range_through_another_front_door_is_answered_here_up_to_lambdas_cap() {
    let (site, offload) = (public_site(), public_offload());
    let shell = Shell {
        offload: Some(&offload),
        ..Shell::default()
    };
    // Over four times what one ALB response can carry (720,000 bytes).
    let r = ask_through(
        Front::FunctionUrl,
        site,
        &shell,
        AlbEvent::new("GET", "/media/video.mp4").header("range", "bytes=100-2999999"),
    );
    assert_eq!(status(&r), 206);
    assert_eq!(
        header(&r, "content-range"),
        Some("bytes 100-2999999/3000000")
    );
    let original = std::fs::read(site_dir().join("media/video.mp4")).unwrap();
    assert!(body_bytes(&r) == original[100..]);
}

#[test]
fn a_file_over_lambdas_6_mb_is_sent_to_s3_through_every_front_door() {
    let dir = scratch("huge-site");
    std::fs::write(dir.join("index.html"), "<h1>x</h1>").unwrap();
    std::fs::write(dir.join("huge.mp4"), noise(7_000_000, 5)).unwrap();
    let input = Input {
        site_dir: dir,
        config: PathBuf::new(),
        cache_dir: scratch("huge-cache"),
        epoch: None,
    };
    let plan = plan::plan_with(&input, Config::default()).unwrap();
    let huge = plan
        .files
        .iter()
        .find(|f| f.site_path == "/huge.mp4")
        .unwrap();
    assert_eq!(huge.placement, Placement::S3);
    let site = memory::into_site(&plan).unwrap();
    let offload = public_offload();
    let shell = Shell {
        offload: Some(&offload),
        ..Shell::default()
    };
    for front in Front::ALL {
        let r = ask_through(front, &site, &shell, AlbEvent::new("GET", "/huge.mp4"));
        assert_eq!(status(&r), 307, "{front:?}");
        assert_eq!(
            header(&r, "location").unwrap(),
            format!("{BASE}/{}", key_of(&plan, "/huge.mp4", "identity")),
            "{front:?}"
        );
    }
}

#[test]
fn the_manifest_lists_each_object_with_its_type_encoding_and_bytes() {
    let plan = public_plan();
    let dir = scratch("manifest");
    plan::offload::write(plan, &dir).unwrap();
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["format"], 1);
    assert_eq!(manifest["private"], false);
    let objects = manifest["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 5);
    for o in objects {
        let bytes = std::fs::read(dir.join("objects").join(o["key"].as_str().unwrap())).unwrap();
        assert_eq!(bytes.len() as u64, o["bytes"].as_u64().unwrap());
        assert_eq!(
            plan::encode::sha256_hex(&bytes),
            o["sha256"].as_str().unwrap()
        );
        let key = o["key"].as_str().unwrap();
        assert!(
            key.starts_with(&o["sha256"].as_str().unwrap()[..32]),
            "{key}"
        );
        let (path, encoding) = (o["path"].as_str().unwrap(), &o["content_encoding"]);
        let expected_type = match path {
            "/media/video.mp4" => "video/mp4",
            "/img/photo.png" => "image/png",
            "/data/big.json" => "application/json",
            other => panic!("{other} should not be in S3"),
        };
        assert!(
            o["content_type"]
                .as_str()
                .unwrap()
                .starts_with(expected_type),
            "{o}"
        );
        assert!(!o["cache_control"].as_str().unwrap().is_empty());
        if let Some(token) = encoding.as_str() {
            assert_eq!(path, "/data/big.json");
            let original = std::fs::read(site_dir().join("data/big.json")).unwrap();
            let mut decoded = Vec::new();
            match token {
                "gzip" => flate2::read::GzDecoder::new(&bytes[..])
                    .read_to_end(&mut decoded)
                    .unwrap(),
                "br" => brotli::Decompressor::new(&bytes[..], 4096)
                    .read_to_end(&mut decoded)
                    .unwrap(),
                other => panic!("unexpected encoding {other}"),
            };
            assert_eq!(decoded, original, "{token}");
        }
    }
    // The folder is replaced by each build: one with nothing in S3 leaves an empty list.
    let small = plan_small();
    plan::offload::write(&small, &dir).unwrap();
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["objects"], serde_json::json!([]));
    assert_eq!(std::fs::read_dir(dir.join("objects")).unwrap().count(), 0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_redirect_to_s3_counts_as_an_offload_redirect_and_a_revalidation_does_not() {
    let (site, offload) = (public_site(), public_offload());
    let shell = Shell {
        offload: Some(&offload),
        now: NOW,
        ..Shell::default()
    };
    let json = AlbEvent::new("GET", "/media/video.mp4")
        .to_json()
        .to_string();
    let (response, line) = handler::handle_with(site, &json, &shell);
    assert_eq!(response.status.code(), 307);
    assert_eq!(line.tally, Tally::Offloaded);
    let video = site.files().find(|f| f.path == "/media/video.mp4").unwrap();
    let json = AlbEvent::new("GET", "/media/video.mp4")
        .header("if-none-match", video.identity().etag)
        .to_json()
        .to_string();
    let (response, line) = handler::handle_with(site, &json, &shell);
    assert_eq!(response.status.code(), 304);
    let sample = Sample {
        status: 304,
        bytes: 0,
        micros: 0,
        tally: line.tally,
    };
    let counted: Vec<&str> = METRICS
        .iter()
        .zip(sample.values())
        .filter(|((name, _), v)| *v == 1 && name.starts_with("Offload"))
        .map(|((name, _), _)| *name)
        .collect();
    assert!(counted.is_empty(), "{counted:?}");
}

#[test]
fn a_public_sites_file_in_s3_is_a_307_to_the_object_of_the_encoding_the_client_takes() {
    let (plan, site, offload) = (public_plan(), public_site(), public_offload());
    let shell = Shell {
        offload: Some(&offload),
        now: NOW,
        ..Shell::default()
    };
    for (path, accept, encoding) in [
        ("/media/video.mp4", "gzip, br", "identity"),
        ("/img/photo.png", "br", "identity"),
        ("/data/big.json", "gzip, deflate, br", "br"),
        ("/data/big.json", "gzip", "gzip"),
        ("/data/big.json", "identity", "identity"),
    ] {
        let r = ask(
            site,
            &shell,
            AlbEvent::new("GET", path).header("accept-encoding", accept),
        );
        assert_eq!(status(&r), 307, "{path} {accept}");
        assert_eq!(
            header(&r, "location").unwrap(),
            format!("{BASE}/{}", key_of(plan, path, encoding)),
            "{path} {accept}"
        );
        assert_eq!(header(&r, "cache-control"), Some("no-cache"));
        assert_eq!(r["body"], "");
    }
    let r = ask(
        site,
        &shell,
        AlbEvent::new("GET", "/data/big.json").header("accept-encoding", "br"),
    );
    assert_eq!(header(&r, "vary"), Some("Accept-Encoding"));
}

#[test]
fn a_range_of_a_file_in_s3_goes_to_the_identity_object_where_s3_answers_it() {
    let (plan, site, offload) = (public_plan(), public_site(), public_offload());
    let shell = Shell {
        offload: Some(&offload),
        ..Shell::default()
    };
    let r = ask(
        site,
        &shell,
        AlbEvent::new("GET", "/data/big.json")
            .header("accept-encoding", "gzip, br")
            .header("range", "bytes=0-99"),
    );
    assert_eq!(status(&r), 307);
    assert_eq!(
        header(&r, "location").unwrap(),
        format!("{BASE}/{}", key_of(plan, "/data/big.json", "identity"))
    );
}

#[test]
fn a_revalidation_of_a_file_in_s3_is_answered_here_with_304() {
    let (site, offload) = (public_site(), public_offload());
    let shell = Shell {
        offload: Some(&offload),
        ..Shell::default()
    };
    let video = site.files().find(|f| f.path == "/media/video.mp4").unwrap();
    let r = ask(
        site,
        &shell,
        AlbEvent::new("GET", "/media/video.mp4").header("if-none-match", video.identity().etag),
    );
    assert_eq!(status(&r), 304);
    assert_eq!(header(&r, "etag"), Some(video.identity().etag));
}

#[test]
fn without_an_offload_url_a_file_in_s3_is_a_503_never_a_502() {
    let r = ask(
        public_site(),
        &Shell::default(),
        AlbEvent::new("GET", "/media/video.mp4"),
    );
    assert_eq!(status(&r), 503);
    // The rest of the site is served as usual.
    let r = ask(public_site(), &Shell::default(), AlbEvent::new("GET", "/"));
    assert_eq!(status(&r), 200);
}

#[test]
fn the_package_budget_sends_the_largest_files_to_s3_until_the_package_fits() {
    let dir = scratch("budget-site");
    for (k, size) in [300_000usize, 200_000, 100_000, 50_000]
        .into_iter()
        .enumerate()
    {
        std::fs::write(dir.join(format!("f{k}.bin")), noise(size, k as u64 + 10)).unwrap();
    }
    std::fs::write(dir.join("index.html"), "<h1>x</h1>").unwrap();
    let input = Input {
        site_dir: dir.clone(),
        config: PathBuf::new(),
        cache_dir: scratch("budget-cache"),
        epoch: None,
    };
    let config = Config::parse("[limits]\npackage_budget = 500000\n").unwrap();
    let plan = plan::plan_with(&input, config).unwrap();
    let mut offloaded: Vec<&str> = plan
        .files
        .iter()
        .filter(|f| f.offloaded())
        .map(|f| f.site_path.as_str())
        .collect();
    offloaded.sort();
    assert_eq!(
        offloaded,
        ["/f0.bin"],
        "the largest file alone brings it under"
    );
    assert!(plan.embedded_bytes() <= 500_000);

    // Without S3 the budget is a build error that says what to do.
    let config =
        Config::parse("[limits]\npackage_budget = 500000\ntoo_large = \"fail\"\n").unwrap();
    let e = plan::plan_with(&input, config).unwrap_err().to_string();
    assert!(e.contains("package_budget") && e.contains("\"s3\""), "{e}");
}

// ---- A private site: presigned URLs, checked against a real S3 API ----

/// moto's S3 on a free port of 127.0.0.1, stopped when dropped.
struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start() -> Moto {
        let exe = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
        assert!(
            exe.exists(),
            "{} is missing: `make venv` installs it (make test does)",
            exe.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(exe)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let moto = Moto { child, port };
        for _ in 0..200 {
            if http(moto.port, "GET", "/moto-api/", &[]).is_ok() {
                return moto;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("moto_server did not start in 10 s");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.0 exchange with 127.0.0.1:`port`: the status and the body.
fn http(port: u16, method: &str, target: &str, body: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    write!(
        s,
        "{method} {target} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )?;
    s.write_all(body)?;
    let mut reply = Vec::new();
    s.read_to_end(&mut reply)?;
    let split = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end"))?;
    let status = std::str::from_utf8(&reply[9..12])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    Ok((status, reply[split + 4..].to_vec()))
}

fn private_plan() -> &'static (Plan, Site) {
    static PLAN: OnceLock<(Plan, Site)> = OnceLock::new();
    PLAN.get_or_init(|| {
        let settings = format!("[auth]\nsigner = \"{SIGNER_ARN}\"\n");
        let plan = plan_with(&settings, "cache-private");
        let site = memory::into_site(&plan).unwrap();
        (plan, site)
    })
}

fn alb_signer() -> AlbSigner {
    AlbSigner::from_seed(9, KID, SIGNER_ARN)
}

/// The private site's login settings and the key of [`alb_signer`].
fn login(site: &Site) -> (Vec<(String, PublicKey)>, Policy) {
    let keys = vec![(
        KID.to_string(),
        PublicKey::from_pem(&alb_signer().public_pem()).unwrap(),
    )];
    let policy = Policy::from_settings(site.options.auth.as_ref(), None, None, Some("eu-west-1"))
        .unwrap()
        .unwrap();
    (keys, policy)
}

#[test]
fn a_private_site_never_sends_an_unsigned_url_to_a_file_in_s3() {
    let (_, site) = private_plan();
    let alb = alb_signer();
    let (keys, policy) = login(site);
    let guard = Guard {
        policy: &policy,
        keys: &keys,
    };
    let unsigned = public_offload();
    let shell = Shell {
        guard: Some(&guard),
        offload: Some(&unsigned),
        now: NOW,
    };
    let token = alb.token(&user_claims("ana@example.com", &[], NOW + 60), NOW + 60);
    let r = ask(
        site,
        &shell,
        AlbEvent::new("GET", "/media/video.mp4").header("x-amzn-oidc-data", &token),
    );
    assert_eq!(status(&r), 503);
    assert!(header(&r, "location").is_none());
}

#[test]
#[ignore = "needs moto (S3): make test runs it"]
fn a_private_sites_file_in_s3_is_a_presigned_url_that_s3_serves() {
    let (plan, site) = private_plan();
    let dir = scratch("private-objects");
    plan::offload::write(plan, &dir).unwrap();

    let moto = Moto::start();
    assert_eq!(http(moto.port, "PUT", "/site-offload", &[]).unwrap().0, 200);
    for (_, _, key) in plan.offloaded() {
        let bytes = std::fs::read(dir.join("objects").join(&key)).unwrap();
        let put = http(moto.port, "PUT", &format!("/site-offload/{key}"), &bytes).unwrap();
        assert_eq!(put.0, 200, "{key}");
    }

    let alb = alb_signer();
    let (keys, policy) = login(site);
    let guard = Guard {
        policy: &policy,
        keys: &keys,
    };
    let base = format!("http://127.0.0.1:{}/site-offload", moto.port);
    let signer = Signer::new(
        "AKIDEXAMPLE",
        "secret",
        Some("session"),
        "eu-west-1",
        std::time::Duration::from_secs(300),
    );
    let offload = Offload::new(&base, Some(signer)).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let shell = Shell {
        guard: Some(&guard),
        offload: Some(&offload),
        now,
    };
    let token = alb.token(&user_claims("ana@example.com", &[], now + 60), now + 60);

    // No login: no URL at all.
    let r = ask(site, &shell, AlbEvent::new("GET", "/media/video.mp4"));
    assert_eq!(status(&r), 401);
    assert!(header(&r, "location").is_none());

    for path in ["/media/video.mp4", "/img/photo.png", "/data/big.json"] {
        let r = ask(
            site,
            &shell,
            AlbEvent::new("GET", path)
                .header("x-amzn-oidc-data", &token)
                .header("accept-encoding", "identity"),
        );
        assert_eq!(status(&r), 307, "{path}");
        assert!(header(&r, "cache-control").unwrap().contains("private"));
        let location = header(&r, "location").unwrap();
        let target = location
            .strip_prefix(&format!("http://127.0.0.1:{}", moto.port))
            .unwrap_or_else(|| panic!("{location}"));
        assert!(
            target.contains("X-Amz-Signature=")
                && target.contains("X-Amz-Expires=300")
                && target.contains("X-Amz-Security-Token=session"),
            "{location}"
        );
        let (code, bytes) = http(moto.port, "GET", target, &[]).unwrap();
        assert_eq!(code, 200, "{location}");
        assert_eq!(
            bytes,
            std::fs::read(site_dir().join(&path[1..])).unwrap(),
            "{path}"
        );
    }
}
