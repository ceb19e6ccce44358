//! Sane bounds on a deal's terms, checked where a request becomes a command: a deal that would
//! never end, or could never be awarded, is refused with a clear 400 before it holds any budget.
//! The engine checks the rules of the deal (a start before the end, an end in the future, at least
//! three invitees); these are the limits of a marketplace run for real.

use engine::types::Timestamp;

use crate::error::ApiError;

const DAY_MS: i64 = 86_400_000;
/// Furthest ahead a deal may start or a quote deadline may lie.
pub const HORIZON_DAYS: i64 = 180;
/// Longest an auction may run before any extension.
pub const MAX_AUCTION_DAYS: i64 = 30;
/// Longest soft-close window and extension.
pub const MAX_WINDOW_MS: i64 = DAY_MS;
/// Longest total extension of an auction.
pub const MAX_EXTENSION_MS: i64 = 7 * DAY_MS;
/// Most distinct bidders an auction may require for an award.
pub const MAX_MIN_BIDDERS: u32 = 50;

/// `at` is no further than the horizon from `now`.
pub fn within_horizon(field: &str, at: Timestamp, now: Timestamp) -> Result<(), ApiError> {
    if at.ms() > now.ms().saturating_add(HORIZON_DAYS * DAY_MS) {
        return Err(ApiError::invalid(format!("{field} is more than {HORIZON_DAYS} days away")));
    }
    Ok(())
}

/// An auction's schedule and windows are within the marketplace's bounds.
pub fn auction(
    starts: Timestamp,
    ends: Timestamp,
    now: Timestamp,
    windows: [(&str, i64); 2],
    max_extension_ms: i64,
    min_bidders: u32,
) -> Result<(), ApiError> {
    within_horizon("starts_ms", starts, now)?;
    if ends.ms().saturating_sub(starts.ms()) > MAX_AUCTION_DAYS * DAY_MS {
        return Err(ApiError::invalid(format!(
            "an auction runs at most {MAX_AUCTION_DAYS} days before extensions"
        )));
    }
    for (field, ms) in windows {
        if ms > MAX_WINDOW_MS {
            return Err(ApiError::invalid(format!("{field} is at most one day")));
        }
    }
    if max_extension_ms > MAX_EXTENSION_MS {
        return Err(ApiError::invalid("max_extension_seconds is at most seven days"));
    }
    if min_bidders > MAX_MIN_BIDDERS {
        return Err(ApiError::invalid(format!("min_bidders is at most {MAX_MIN_BIDDERS}")));
    }
    Ok(())
}
