use super::*;

fn entry<'a>(path: &'a str) -> Entry<'a> {
    Entry {
        message: "request",
        method: "GET",
        path,
        status: 200,
        bytes: 12,
        encoding: "br",
        micros: 7,
        query: "",
        host: None,
        user_agent: None,
        client_ip: None,
        alb_trace_id: None,
        user: None,
        email: None,
        refused: None,
        door: "alb",
        tally: Tally::Plain,
        millis: 1_765_000_000_000,
    }
}

fn line(log: AccessLog, path: &str, span: Option<&Span<'_>>) -> String {
    let (mut out, mut buf) = (Vec::new(), Vec::new());
    log.write(&mut out, &mut buf, &entry(path), span).unwrap();
    String::from_utf8(out).unwrap()
}

const SPAN: Span<'static> = Span {
    request_id: "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
    xray_trace_id: "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
    name: "Lambda runtime invoke",
};

#[test]
fn json_is_the_default_and_text_is_had_by_asking() {
    assert_eq!(AccessLog::new("", "").format, Format::Json);
    assert_eq!(AccessLog::new("JSON", "").format, Format::Json);
    assert_eq!(AccessLog::new("Text", "").format, Format::Text);
    assert_eq!(AccessLog::new(" text ", "").format, Format::Text);
}

#[test]
fn a_line_names_what_an_operator_needs_to_find_the_request() {
    let mut e = entry("/a");
    e.query = "q=1&x=%0A";
    e.host = Some("site.example.com");
    e.user_agent = Some("Mozilla/5.0");
    e.client_ip = Some("203.0.113.9");
    e.alb_trace_id = Some("Root=1-67891233-abcdef012345678912345678");
    let (mut out, mut buf) = (Vec::new(), Vec::new());
    AccessLog::new("", "")
        .write(&mut out, &mut buf, &e, Some(&SPAN))
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let f = &v["fields"];
    assert_eq!(f["query"], "q=1&x=%0A");
    assert_eq!(f["host"], "site.example.com");
    assert_eq!(f["userAgent"], "Mozilla/5.0");
    assert_eq!(f["clientIp"], "203.0.113.9");
    assert_eq!(f["albTraceId"], "Root=1-67891233-abcdef012345678912345678");
    assert_eq!(v["span"]["requestId"], SPAN.request_id);
}

#[test]
fn json_format_keeps_the_level_fields_and_span_keys() {
    let text = line(AccessLog::new("JSON", ""), "/", Some(&SPAN));
    assert!(
        text.ends_with('\n') && text.matches('\n').count() == 1,
        "{text}"
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["level"], "INFO");
    assert_eq!(v["fields"]["message"], "request");
    assert_eq!(v["fields"]["status"], 200);
    assert_eq!(v["span"]["requestId"], SPAN.request_id);
    assert_eq!(v["span"]["xrayTraceId"], SPAN.xray_trace_id);
}

#[test]
fn text_format_names_the_request_and_trace_ids() {
    let text = line(AccessLog::new("Text", ""), "/a", Some(&SPAN));
    assert!(
        text.starts_with("INFO Lambda runtime invoke{requestId=\"8476a536"),
        "{text}"
    );
    assert!(text.contains("xrayTraceId=\"Root=1-5bef4de7"), "{text}");
    assert!(
        text.ends_with(
            "request method=GET path=/a status=200 bytes=12 encoding=br micros=7 door=alb\n"
        ),
        "{text}"
    );
}

#[test]
fn a_private_sites_line_names_the_verified_user_or_the_refusal() {
    let mut granted = entry("/docs/");
    granted.user = Some("sub-123");
    granted.email = Some("alice@example.com");
    let (mut out, mut buf) = (Vec::new(), Vec::new());
    AccessLog::new("json", "")
        .write(&mut out, &mut buf, &granted, None)
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["fields"]["user"], "sub-123");
    assert_eq!(v["fields"]["email"], "alice@example.com");
    assert!(v["fields"].get("refused").is_none());

    let mut refused = entry("/docs/");
    refused.refused = Some("token expired at 1 (now 99)");
    out.clear();
    AccessLog::new("text", "")
        .write(&mut out, &mut buf, &refused, None)
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.ends_with(" refused=\"token expired at 1 (now 99)\"\n"),
        "{text}"
    );
    assert!(!text.contains("user="), "{text}");
}

#[test]
fn control_characters_in_a_path_cannot_start_a_new_line() {
    for format in ["text", "json"] {
        let text = line(
            AccessLog::new(format, ""),
            "/x\n{\"level\":\"ERROR\"}\r",
            Some(&SPAN),
        );
        assert_eq!(text.matches('\n').count(), 1, "{format}: {text}");
        assert!(!text.contains('\r'), "{format}: {text}");
    }
}

#[test]
fn control_characters_in_any_field_a_client_sends_cannot_start_a_new_line() {
    let forged = "x\n{\"level\":\"ERROR\",\"message\":\"forged\"}\r\u{2028}";
    let mut e = entry("/a");
    e.query = forged;
    e.host = Some(forged);
    e.user_agent = Some(forged);
    e.client_ip = Some(forged);
    e.alb_trace_id = Some(forged);
    e.user = Some(forged);
    e.email = Some(forged);
    e.refused = Some(forged);
    for format in ["text", "json"] {
        let (mut out, mut buf) = (Vec::new(), Vec::new());
        AccessLog::new(format, "")
            .write(&mut out, &mut buf, &e, Some(&SPAN))
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches('\n').count(), 1, "{format}: {text}");
        assert!(text.ends_with('\n'), "{format}: {text}");
        assert!(!text.contains('\r'), "{format}: {text}");
        if format == "json" {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v["fields"]["userAgent"], forged, "{text}");
            assert_eq!(v["level"], "INFO", "{text}");
        }
    }
}

#[test]
fn a_log_level_above_info_turns_the_line_off() {
    for level in ["WARN", "error", "FATAL", " off "] {
        assert_eq!(
            line(AccessLog::new("json", level), "/", None),
            "",
            "{level}"
        );
    }
    for level in ["", "INFO", "debug", "TRACE", "bootstrap=debug"] {
        assert_ne!(
            line(AccessLog::new("json", level), "/", None),
            "",
            "{level}"
        );
    }
}
