//! `_headers` and `_redirects`: the file grammar (build time) and the pattern matcher (run time).

pub mod apply;
pub mod grammar;
pub mod pattern;

pub use apply::{HeaderSet, HstsInRule};
pub use grammar::{parse_headers, parse_redirects, HeaderOp, HeaderRule, RedirectRule, RuleError};
pub use pattern::{
    check_pattern, encode_path, is_field_value, is_token, match_pattern, safe_location, substitute,
};
