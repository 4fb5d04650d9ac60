//! The test kit: one way to build ALB's events, call a function through Lambda's Invoke API,
//! run it under AWS's Runtime Interface Emulator, sign logins as ALB does and read its memory, shared by the root crate's
//! tests and benchmarks and by local-alb's own tests. Blocking std I/O only: its callers are
//! plain test functions and command-line benchmarks, not async code.
//!
//! Whether ALB would accept a response is [`crate::reply::parse`], not part of the kit: the
//! stand-in ALB and the tests must not disagree about it.

pub mod alb_event;
pub mod invoke;
pub mod login;
pub mod process;
pub mod rie;
