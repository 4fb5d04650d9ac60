//! A static site embedded in one binary, answering AWS Application Load Balancer events.
//!
//! Data flows one way: `site/` → build.rs (`site_core::plan`, the site as bytes) →
//! [`site::embedded`] (a view of those bytes) →
//! `resolve` (what the request gets) → `render` (the ALB response) → JSON.
//! [`handler::handle_with`] is the whole function, for any [`site::Site`]; `main.rs` wraps it
//! in the Lambda invocation loop or a command-line invoke.

pub mod access_log;
pub mod auth;
pub mod body;
pub mod door;
pub mod handler;
pub mod metrics;
pub(crate) mod negotiate;
pub mod offload;
pub(crate) mod preconditions;
pub(crate) mod range;
pub(crate) mod render;
pub mod resolve;
pub mod site;

pub use site_core::{limits, path, rules};
