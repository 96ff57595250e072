//! `performance.now()` and `performance.timeOrigin`: a monotonic clock in
//! milliseconds since the context was created (the session's time origin).
//!
//! Its resolution is 5 microseconds (rounded down), as browsers coarsen it;
//! it reveals nothing but elapsed time.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use boa_engine::{Context, JsData, JsResult, JsValue};
use boa_gc::{Finalize, Trace};

/// When the context was created.
#[derive(Trace, Finalize, JsData)]
pub(crate) struct TimeOrigin {
    #[unsafe_ignore_trace]
    instant: Instant,
    /// Milliseconds since the Unix epoch at that instant.
    epoch_ms: f64,
}

impl TimeOrigin {
    pub fn now() -> TimeOrigin {
        let epoch_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        TimeOrigin {
            instant: Instant::now(),
            epoch_ms,
        }
    }
}

/// Resolution of the clock, in milliseconds.
const RESOLUTION_MS: f64 = 0.005;

fn coarse(ms: f64) -> f64 {
    (ms / RESOLUTION_MS).floor() * RESOLUTION_MS
}

/// `now()`: milliseconds since the time origin.
fn now(_: &JsValue, _: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let ms = ctx
        .get_data::<TimeOrigin>()
        .map_or(0.0, |o| o.instant.elapsed().as_secs_f64() * 1000.0);
    Ok(JsValue::from(coarse(ms)))
}

/// `timeOrigin()`: the origin, in milliseconds since the Unix epoch.
fn time_origin(_: &JsValue, _: &[JsValue], ctx: &mut Context) -> JsResult<JsValue> {
    let ms = ctx.get_data::<TimeOrigin>().map_or(0.0, |o| o.epoch_ms);
    Ok(JsValue::from(coarse(ms)))
}

/// The natives `web/js/platform.js` builds `performance` from.
pub(super) const NATIVES: &[super::Native] = &[
    ("performanceNow", now, 0),
    ("performanceTimeOrigin", time_origin, 0),
];
