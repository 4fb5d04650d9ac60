//! local-alb as a library: the pieces of the stand-in ALB that the binary wires together, and
//! the ones other test code shares. [`reply::parse`] is the project's one answer to "would ALB
//! accept this response"; [`kit`] is what tests and benchmarks use to drive a function (ALB
//! events, the Invoke API, AWS's Runtime Interface Emulator).

pub mod contract;
pub mod dispatch;
pub mod event;
pub mod front;
pub mod ids;
pub mod instances;
pub mod invoke_api;
pub mod kit;
pub mod listen;
pub mod login;
pub mod objects;
pub mod reply;
pub mod runtime_api;
