//! The core of the static-site server, shared by the build script, the server, its tests and
//! the local tools: the site as a value ([`site`]), URL paths ([`path`]), the `_headers` /
//! `_redirects` rules ([`rules`]), the login settings ([`auth`]), ALB's limits ([`limits`]) and, with the `plan` feature, the
//! planner that turns a folder into a site ([`plan`]).

pub mod auth;
pub mod data;
pub mod limits;
pub mod path;
pub mod rules;
pub mod site;
pub mod status;

#[cfg(feature = "plan")]
pub mod plan;
