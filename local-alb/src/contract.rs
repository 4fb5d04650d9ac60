//! ALB's limits on a Lambda target's response, as the contract (AWS's "Lambda functions as
//! targets" and troubleshooting pages, written up in alb-contract.md) states them. Written out
//! here rather than taken from the server's own constants (`site_core::limits`), so the check
//! and the thing checked do not share a mistake: a wrong number on the server's side fails the
//! tests against this one.

/// The whole response JSON must stay under 1 MB, or ALB answers 502
/// (`LambdaResponseTooLarge`). Whether 1 MB is 10^6 or 2^20 bytes is not documented: the
/// smaller is taken.
pub const RESPONSE_JSON_LIMIT: usize = 1_000_000;

/// A response header block over 32 K gets 502.
pub const HEADER_BLOCK_LIMIT: usize = 32 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_plans_within_albs_limits() {
        assert!(site_core::limits::ALB_RESPONSE_LIMIT as usize <= RESPONSE_JSON_LIMIT);
        assert!(site_core::limits::ALB_HEADER_BLOCK_LIMIT as usize <= HEADER_BLOCK_LIMIT);
    }
}
