//! The handler's behaviour, one test per rule, through the real embedded sample site: one
//! module per behaviour, all in this one test binary.

#[path = "../common/mod.rs"]
mod common;

mod cache_control;
mod conditional_requests;
mod content_types;
mod cookies;
mod cors_preflight;
mod encodings;
mod health;
mod hidden_files;
mod hostile_paths;
mod malformed_events;
mod methods;
mod not_found;
mod paths;
mod ranges;
mod redirect_rules;
mod response_format;
mod response_headers;
