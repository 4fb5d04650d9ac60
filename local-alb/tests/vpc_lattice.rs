//! `--front vpc-lattice`: local-alb plays a VPC Lattice service (a Lambda target group of event
//! structure version 2) in front of the project's real function. Set
//! BOOTSTRAP=path/to/bootstrap to run it (`make test-local` does). What every door does alike is
//! in doors.rs.

mod common;

use hyper::HeaderMap;
use local_alb::event::{self, Place, RequestLine};

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn the_event_it_builds_is_answered_in_the_lattice_format() {
    let bootstrap = common::bootstrap();
    let line = RequestLine {
        method: "GET",
        path: "/about",
        query: None,
    };
    let place = Place {
        region: "us-east-1",
        stage: "prod",
    };
    let e = event::build_lattice(
        &line,
        &HeaderMap::new(),
        b"",
        &common::event_context("Root=1-00000000-000000000000000000000000"),
        &place,
    )
    .unwrap();
    let answer = common::invoke_raw(&bootstrap, &e.to_string());
    assert_eq!(
        common::keys(&answer),
        [
            "body",
            "headers",
            "isBase64Encoded",
            "statusCode",
            "statusDescription"
        ],
        "{answer}"
    );
    assert!(answer["headers"]
        .as_object()
        .unwrap()
        .values()
        .all(serde_json::Value::is_string));
}
