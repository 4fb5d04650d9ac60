//! A static site embedded in one binary, answering AWS Application Load Balancer events.
//!
//! Data flows one way: `site/` → build.rs → the static table ([`site`]) → [`resolve`] (what the
//! request gets) → [`render`] (the ALB response) → JSON. [`handler::handle`] is the whole
//! function; `main.rs` wraps it in the Lambda runtime or a command-line invoke.

pub mod alb;
pub mod handler;
pub mod negotiate;
pub mod preconditions;
pub mod range;
pub mod render;
pub mod resolve;
pub mod site;

pub use site_core::{limits, path, rules};
