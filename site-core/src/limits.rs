//! ALB's size limits, defined once.

/// ALB rejects (with a 502) a Lambda response whose JSON is over 1 MB; staying under 10^6
/// bytes is safe whichever "MB" it means.
pub const ALB_RESPONSE_LIMIT: u64 = 1_000_000;

/// Room kept free in a full response for the headers added per request (Content-Range, HSTS,
/// Vary...) and a safety margin.
pub const RESPONSE_MARGIN: u64 = 2_048;

/// ALB refuses (502) a response whose header block (`Name: value` lines) passes 32 KB.
pub const ALB_HEADER_BLOCK_LIMIT: u64 = 32 * 1024;

/// The longest `Location` a redirect may carry. ALB refuses (502) a response whose header block
/// passes 32 KB, and it refuses request lines over 16 KB, so no client can have sent a URL that
/// needs more: a redirect that would is answered 414 instead.
pub const MAX_LOCATION: usize = 16 * 1024;

/// Room kept free in a 206 for its status line, headers and the JSON around the body.
pub const RANGE_HEADROOM: u64 = 40_000;

/// The most bytes one 206 carries: sent as base64 (4 characters per 3 bytes) it still fits. A
/// file whose own headers are large gets less ([`max_range`]).
pub const MAX_RANGE: u64 = (ALB_RESPONSE_LIMIT - RANGE_HEADROOM) / 4 * 3;

/// The most bytes one 206 of a file may carry when its largest header block, as JSON, is
/// `headers_json` bytes: the base64 body, those headers and the margin stay within one response.
pub const fn max_range(headers_json: u64) -> u64 {
    let room = ALB_RESPONSE_LIMIT.saturating_sub(RESPONSE_MARGIN + headers_json);
    let fits = room / 4 * 3;
    if fits < MAX_RANGE {
        fits
    } else {
        MAX_RANGE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_range_in_base64_with_its_headroom_fits_one_response() {
        assert_eq!(MAX_RANGE, 720_000);
        assert!(MAX_RANGE.div_ceil(3) * 4 + RANGE_HEADROOM <= ALB_RESPONSE_LIMIT);
    }

    #[test]
    fn large_headers_shorten_the_range_so_the_response_still_fits() {
        assert_eq!(max_range(500), MAX_RANGE);
        for headers in [40_000, 60_000, 200_000] {
            let range = max_range(headers);
            assert!(range < MAX_RANGE);
            assert!(range.div_ceil(3) * 4 + headers + RESPONSE_MARGIN <= ALB_RESPONSE_LIMIT);
        }
    }
}
