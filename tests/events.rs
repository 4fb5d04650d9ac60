//! Golden tests: every sample event in events/ (ALB's at the top, each other front door's in a
//! folder of its own) and the exact response it gets, in that door's shape. Last-Modified is
//! masked (it follows file times unless SOURCE_DATE_EPOCH is set). After an intended change,
//! regenerate with `UPDATE_GOLDEN=1 cargo test --test events` and review the diff.

mod common;

use common::Front;
use serde_json::Value;

fn mask(mut v: Value) -> Value {
    for field in ["headers", "multiValueHeaders"] {
        if let Some(h) = v.get_mut(field).and_then(Value::as_object_mut) {
            let name = h
                .keys()
                .find(|k| k.eq_ignore_ascii_case("Last-Modified"))
                .cloned();
            if let Some(lm) = name.and_then(|n| h.get_mut(&n)) {
                *lm = if lm.is_array() {
                    serde_json::json!(["<date>"])
                } else {
                    Value::from("<date>")
                };
            }
        }
    }
    v
}

/// Checks every event of `events/<dir>` against `tests/golden/<dir>`, each response first
/// checked for the shape `front` reads.
fn check_goldens(dir: &str, front: Front) {
    if std::env::var_os("SITE_DIR").is_some() {
        // Past the harness's capture, so a passing run still says it checked nothing.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: golden responses of events/{dir}: SITE_DIR is set, and the goldens describe the sample site"
        );
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let (events, goldens) = (
        format!("{root}/events{dir}"),
        format!("{root}/tests/golden{dir}"),
    );
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut names: Vec<_> = std::fs::read_dir(&events)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() >= 5, "only {} events in {events}", names.len());
    if update {
        std::fs::create_dir_all(&goldens).unwrap();
    }
    let mut failures = Vec::new();
    for name in &names {
        let event = std::fs::read_to_string(format!("{events}/{name}")).unwrap();
        let text = serde_json::to_string(&site_server::handler::handle_site(
            site_server::site::embedded().expect("the embedded site"),
            &event,
        ))
        .unwrap();
        let got = mask(
            front
                .check(&text)
                .unwrap_or_else(|e| panic!("{dir}/{name}: {e}\nresponse: {text}")),
        );
        let path = format!("{goldens}/{name}");
        let pretty = serde_json::to_string_pretty(&got).unwrap() + "\n";
        if update {
            std::fs::write(&path, &pretty).unwrap();
            continue;
        }
        let want: Value = serde_json::from_str(
            &std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing golden {path}")),
        )
        .unwrap();
        if got != want {
            failures.push(format!("{name}:\n got  {got}\n want {want}"));
        }
    }
    assert!(
        failures.is_empty(),
        "responses changed:\n{}",
        failures.join("\n")
    );
    // A golden whose event is gone would otherwise never be checked again.
    let orphans: Vec<String> = std::fs::read_dir(&goldens)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !names.contains(n))
        .collect();
    assert!(
        orphans.is_empty(),
        "goldens with no event in {events}: {orphans:?}"
    );
}

#[test]
fn every_sample_alb_event_gets_its_golden_response() {
    check_goldens("", Front::Alb);
}

#[test]
fn every_sample_function_url_event_gets_its_golden_response_in_payload_2_format() {
    check_goldens("/function-url", Front::FunctionUrl);
}

#[test]
fn every_sample_rest_api_event_gets_its_golden_response_in_the_rest_api_format() {
    check_goldens("/rest-api", Front::RestApi);
}

#[test]
fn every_sample_vpc_lattice_event_gets_its_golden_response_in_the_lattice_format() {
    check_goldens("/vpc-lattice", Front::VpcLattice);
}
