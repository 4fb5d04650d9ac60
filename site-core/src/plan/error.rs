//! The planner's one error type: what went wrong, with the file (and line) it is about.

use std::fmt;
use std::path::Path;

/// Why a site could not be planned. The message names the file, and the line where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError(String);

impl PlanError {
    pub fn new(message: impl Into<String>) -> PlanError {
        PlanError(message.into())
    }

    /// `path: reason`.
    pub fn at(path: &Path, reason: impl fmt::Display) -> PlanError {
        PlanError(format!("{}: {reason}", path.display()))
    }

    /// `path:line: reason`.
    pub fn at_line(path: &Path, line: usize, reason: impl fmt::Display) -> PlanError {
        PlanError(format!("{}:{line}: {reason}", path.display()))
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PlanError {}

/// Adds the path to an I/O error: `.map_err(io(path))`.
pub fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PlanError + '_ {
    move |e| PlanError::at(path, e)
}
