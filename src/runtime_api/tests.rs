use super::*;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::thread;

/// A scripted Runtime API: for each expected request, checks its first line and answers
/// with the given raw bytes; returns every request it read (head and body).
fn serve(script: Vec<(&'static str, Vec<u8>)>) -> (String, thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let handle = thread::spawn(move || {
        let mut seen = Vec::new();
        let (mut stream, _) = listener.accept().unwrap();
        for (first_line, answer) in script {
            let request = read_request(&mut stream);
            assert!(
                request.starts_with(first_line),
                "expected {first_line:?}, got {request:?}"
            );
            seen.push(request);
            if answer.is_empty() {
                // Close: the client must reconnect.
                drop(stream);
                stream = listener.accept().unwrap().0;
                let request = read_request(&mut stream);
                seen.push(request);
                stream.write_all(&next_answer("id-2", "", b"{}")).unwrap();
                continue;
            }
            stream.write_all(&answer).unwrap();
        }
        seen
    });
    (addr, handle)
}

fn read_request(stream: &mut TcpStream) -> String {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut text = String::new();
    let mut len = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
        text.push_str(&line);
        if line == "\r\n" || line.is_empty() {
            break;
        }
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    text.push_str(&String::from_utf8(body).unwrap());
    text
}

fn next_answer(id: &str, trace: &str, event: &[u8]) -> Vec<u8> {
    let mut a = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: {id}\r\n\
         Lambda-Runtime-Deadline-Ms: 1700000000000\r\nLambda-Runtime-Trace-Id: {trace}\r\n\
         Content-Length: {}\r\n\r\n",
        event.len()
    )
    .into_bytes();
    a.extend_from_slice(event);
    a
}

const ACCEPTED: &[u8] =
    b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}";

#[test]
fn reads_the_event_request_id_and_trace_id_then_posts_the_response_on_one_connection() {
    let (addr, server) = serve(vec![
        (
            "GET /2018-06-01/runtime/invocation/next HTTP/1.1",
            next_answer("abc-1", "Root=1-2-3", b"{\"a\":1}"),
        ),
        (
            "POST /2018-06-01/runtime/invocation/abc-1/response HTTP/1.1",
            ACCEPTED.to_vec(),
        ),
    ]);
    let mut api = RuntimeApi::new(&addr).unwrap();
    let mut inv = Invocation::default();
    api.next(&mut inv).unwrap();
    assert_eq!(inv.request_id, "abc-1");
    assert_eq!(inv.trace_id, "Root=1-2-3");
    assert_eq!(inv.event, b"{\"a\":1}");
    assert_eq!(
        api.respond("abc-1", b"{\"statusCode\":200}").unwrap(),
        Ok(())
    );
    let seen = server.join().unwrap();
    assert!(
        seen[1].ends_with("\r\n\r\n{\"statusCode\":200}"),
        "{:?}",
        seen[1]
    );
    assert!(seen[1].contains("Content-Length: 18\r\n"), "{:?}", seen[1]);
}

#[test]
fn header_names_are_matched_in_any_case() {
    let answer = b"HTTP/1.1 200 OK\r\nlambda-runtime-aws-request-id: x\r\nLAMBDA-RUNTIME-TRACE-ID: t\r\ncontent-length: 2\r\n\r\n{}".to_vec();
    let (addr, server) = serve(vec![("GET ", answer)]);
    let mut api = RuntimeApi::new(&addr).unwrap();
    let mut inv = Invocation::default();
    api.next(&mut inv).unwrap();
    assert_eq!((inv.request_id.as_str(), inv.trace_id.as_str()), ("x", "t"));
    server.join().unwrap();
}

#[test]
fn a_chunked_event_is_reassembled() {
    let answer = b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: c\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4;ext=1\r\n\":1}\r\n0\r\n\r\n".to_vec();
    let (addr, server) = serve(vec![("GET ", answer)]);
    let mut api = RuntimeApi::new(&addr).unwrap();
    let mut inv = Invocation::default();
    api.next(&mut inv).unwrap();
    assert_eq!(inv.event, b"{\"a\":1}");
    server.join().unwrap();
}

#[test]
fn buffers_are_refilled_not_appended_across_invocations() {
    let (addr, server) = serve(vec![
        (
            "GET ",
            next_answer("first-id", "Root=1-aaaa", b"{\"long\":\"event\"}"),
        ),
        ("GET ", next_answer("2", "", b"{}")),
    ]);
    let mut api = RuntimeApi::new(&addr).unwrap();
    let mut inv = Invocation::default();
    api.next(&mut inv).unwrap();
    api.next(&mut inv).unwrap();
    assert_eq!(inv.request_id, "2");
    assert_eq!(inv.trace_id, "");
    assert_eq!(inv.event, b"{}");
    server.join().unwrap();
}

#[test]
fn a_connection_the_service_closed_is_reopened_and_the_request_sent_again() {
    let (addr, server) = serve(vec![
        ("GET ", next_answer("id-1", "", b"{}")),
        // The service drops the keep-alive connection before the next request's answer.
        ("GET ", Vec::new()),
    ]);
    let mut api = RuntimeApi::new(&addr).unwrap();
    let mut inv = Invocation::default();
    api.next(&mut inv).unwrap();
    api.next(&mut inv).unwrap();
    assert_eq!(inv.request_id, "id-2");
    assert_eq!(server.join().unwrap().len(), 3);
}

#[test]
fn an_error_report_carries_the_error_type_header_and_a_json_body() {
    let (addr, server) = serve(vec![(
        "POST /2018-06-01/runtime/invocation/r1/error HTTP/1.1",
        ACCEPTED.to_vec(),
    )]);
    let mut api = RuntimeApi::new(&addr).unwrap();
    assert_eq!(
        api.report_error("r1", "Runtime.Panic", "it said \"no\"")
            .unwrap(),
        Ok(())
    );
    let seen = server.join().unwrap();
    assert!(seen[0].contains("Lambda-Runtime-Function-Error-Type: Runtime.Panic\r\n"));
    assert!(seen[0].ends_with(r#"{"errorType":"Runtime.Panic","errorMessage":"it said \"no\""}"#));
}

#[test]
fn a_refused_response_is_reported_and_the_runtime_can_go_on() {
    let refused = b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 7\r\n\r\ntoo big".to_vec();
    let (addr, server) = serve(vec![
        ("POST ", refused),
        ("GET ", next_answer("n", "", b"{}")),
    ]);
    let mut api = RuntimeApi::new(&addr).unwrap();
    let refused = api.respond("r", b"{}").unwrap().unwrap_err();
    assert_eq!((refused.status, refused.body.as_str()), (413, "too big"));
    api.next(&mut Invocation::default()).unwrap();
    server.join().unwrap();
}

#[test]
fn a_500_from_next_is_an_error_the_runtime_exits_on() {
    let answer = b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nboom".to_vec();
    let (addr, server) = serve(vec![("GET ", answer)]);
    let mut api = RuntimeApi::new(&addr).unwrap();
    let err = api.next(&mut Invocation::default()).unwrap_err();
    assert!(
        matches!(err, ClientError::Status { status: 500, .. }),
        "{err}"
    );
    server.join().unwrap();
}

#[test]
fn a_request_id_that_could_change_the_url_is_refused() {
    for id in ["../init/error", "a b", "a?b", "a/b"] {
        let (addr, server) = serve(vec![("GET ", next_answer(id, "", b"{}"))]);
        let mut api = RuntimeApi::new(&addr).unwrap();
        let err = api.next(&mut Invocation::default()).unwrap_err();
        assert!(matches!(err, ClientError::Protocol(_)), "{id}: {err}");
        server.join().unwrap();
    }
}

#[test]
fn a_malformed_endpoint_is_a_configuration_error() {
    for bad in [
        "",
        "localhost",
        "127.0.0.1:x",
        ":9001",
        "127.0.0.1:9001/path",
        "a b:1",
    ] {
        assert!(
            matches!(RuntimeApi::new(bad), Err(ClientError::Config(_))),
            "{bad:?}"
        );
    }
    assert!(RuntimeApi::new("127.0.0.1:9001").is_ok());
}

#[test]
fn an_event_over_the_payload_limit_is_refused_without_reading_it_all() {
    let answer = format!(
        "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: big\r\nContent-Length: {}\r\n\r\n",
        MAX_BODY + 1
    )
    .into_bytes();
    let (addr, server) = serve(vec![("GET ", answer)]);
    let mut api = RuntimeApi::new(&addr).unwrap();
    let err = api.next(&mut Invocation::default()).unwrap_err();
    assert!(matches!(err, ClientError::Protocol(_)), "{err}");
    server.join().unwrap();
}
