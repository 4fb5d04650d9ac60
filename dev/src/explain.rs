//! `explain PATH`.

use std::process::ExitCode;

use crate::load::Source;

/// Explains the answer to one request.
pub fn run(
    _source: &Source,
    _path: &str,
    _method: &str,
    _headers: &[(String, String)],
    _multi_value: bool,
) -> ExitCode {
    ExitCode::SUCCESS
}
