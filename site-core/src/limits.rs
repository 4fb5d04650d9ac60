//! ALB's size limits, defined once.

/// ALB rejects (with a 502) a Lambda response whose JSON is over 1 MB; staying under 10^6
/// bytes is safe whichever "MB" it means.
pub const ALB_RESPONSE_LIMIT: u64 = 1_000_000;

/// Room kept free in a full response for the headers added per request (Content-Range, HSTS,
/// Vary...) and a safety margin.
pub const RESPONSE_MARGIN: u64 = 2_048;

/// The longest `Location` a redirect may carry. ALB refuses (502) a response whose header block
/// passes 32 KB, and it refuses request lines over 16 KB, so no client can have sent a URL that
/// needs more: a redirect that would is answered 414 instead.
pub const MAX_LOCATION: usize = 16 * 1024;

/// Room kept free in a 206 for its status line, headers and the JSON around the body.
pub const RANGE_HEADROOM: u64 = 40_000;

/// The most bytes one 206 carries: sent as base64 (4 characters per 3 bytes) it still fits.
pub const MAX_RANGE: u64 = (ALB_RESPONSE_LIMIT - RANGE_HEADROOM) / 4 * 3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_range_in_base64_with_its_headroom_fits_one_response() {
        assert_eq!(MAX_RANGE, 720_000);
        assert!(MAX_RANGE.div_ceil(3) * 4 + RANGE_HEADROOM <= ALB_RESPONSE_LIMIT);
    }
}
