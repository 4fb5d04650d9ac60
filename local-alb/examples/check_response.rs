//! `reply::parse` for callers outside Rust (tests/sites/harness.py): reads a function's response
//! payload on stdin; exits 0 when ALB would accept it, 1 with ALB's reason on stderr when it
//! would answer 502 instead, 2 on a usage error.
//!
//! Usage: check_response [--multi-value] < response.json

use std::io::Read;
use std::process::ExitCode;

const USAGE: &str = "usage: check_response [--multi-value] < response.json";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let multi_value = match args.as_slice() {
        [] => false,
        [flag] if flag == "--multi-value" => true,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut payload = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut payload) {
        eprintln!("check_response: cannot read stdin: {e}");
        return ExitCode::from(2);
    }
    match local_alb::reply::parse(&payload, multi_value) {
        Ok(_) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("ALB would answer 502: {why}");
            ExitCode::FAILURE
        }
    }
}
