//! Golden tests: every sample event in events/ and the exact response it gets. Last-Modified is
//! masked (it follows file times unless SOURCE_DATE_EPOCH is set). After an intended change,
//! regenerate with `UPDATE_GOLDEN=1 cargo test --test events` and review the diff.

mod common;

use serde_json::Value;

fn mask(mut v: Value) -> Value {
    for field in ["headers", "multiValueHeaders"] {
        if let Some(h) = v.get_mut(field).and_then(Value::as_object_mut) {
            if let Some(lm) = h.get_mut("Last-Modified") {
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

#[test]
fn every_sample_event_gets_its_golden_response() {
    if std::env::var_os("SITE_DIR").is_some() {
        // Past the harness's capture, so a passing run still says it checked nothing.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: every_sample_event_gets_its_golden_response: SITE_DIR is set, and the goldens describe the sample site"
        );
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut names: Vec<_> = std::fs::read_dir(format!("{root}/events"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() >= 10);
    let mut failures = Vec::new();
    for name in &names {
        let event = std::fs::read_to_string(format!("{root}/events/{name}")).unwrap();
        let got = mask(common::call_raw(&event));
        let path = format!("{root}/tests/golden/{name}");
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
    let orphans: Vec<String> = std::fs::read_dir(format!("{root}/tests/golden"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !names.contains(n))
        .collect();
    assert!(
        orphans.is_empty(),
        "goldens with no event in events/: {orphans:?}"
    );
}
