//! Limits against a hostile participant (rule U-5), so one caller cannot crowd out the others:
//!
//! - request rates per address (every request) and per participant (every command), with
//!   `governor`'s keyed limiters: over the rate, 429 with `Retry-After`;
//! - a fair share of the engine's queue: one participant has at most [`MAX_IN_FLIGHT`] commands
//!   waiting at once, so filling the queue takes many participants, and a bidder in a soft close
//!   still finds room.
//!
//! Addresses are generous, since a government office may sit behind one address; commands are
//! counted per participant, which is what the engine's queue is shared between.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use engine::types::ParticipantId;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::state::AppState;
use crate::error::ApiError;

/// How far the limits go; the settings file's `[limits]` section sets them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitsConfig {
    /// Requests per second from one address.
    pub requests_per_second: u32,
    /// Requests one address may make at once above the rate.
    pub request_burst: u32,
    /// Commands per second from one participant.
    pub commands_per_second: u32,
    /// Commands one participant may send at once above the rate.
    pub command_burst: u32,
    /// Commands one participant may have waiting for the engine at once.
    pub in_flight: usize,
    /// Live (WebSocket) connections one participant may hold open at once.
    pub sockets_per_participant: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            requests_per_second: 200,
            request_burst: 400,
            commands_per_second: 20,
            command_burst: 60,
            in_flight: MAX_IN_FLIGHT,
            sockets_per_participant: crate::feed::MAX_SOCKETS_PER_PARTICIPANT,
        }
    }
}

/// Commands one participant may have waiting for the engine at once, unless set otherwise: the
/// engine's queue holds 8,192, so it takes 128 participants at their limit to fill it.
pub const MAX_IN_FLIGHT: usize = 64;

/// The marketplace's limits, shared by every request of a node.
#[derive(Debug)]
pub struct Limits {
    addresses: DefaultKeyedRateLimiter<IpAddr>,
    commands: DefaultKeyedRateLimiter<ParticipantId>,
    in_flight: Arc<Mutex<HashMap<ParticipantId, usize>>>,
    max_in_flight: usize,
}

fn quota(rate: u32, burst: u32) -> Quota {
    let per_second = NonZeroU32::new(rate).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(per_second).allow_burst(NonZeroU32::new(burst).unwrap_or(per_second))
}

impl Default for Limits {
    fn default() -> Self {
        Self::new(LimitsConfig::default())
    }
}

fn too_many(wait: Duration, code: &'static str, message: &'static str) -> ApiError {
    ApiError::new(axum::http::StatusCode::TOO_MANY_REQUESTS, code, message).retry_after(wait)
}

impl Limits {
    /// Limits as `config` sets them.
    pub fn new(config: LimitsConfig) -> Self {
        let addresses = quota(config.requests_per_second, config.request_burst);
        let commands = quota(config.commands_per_second, config.command_burst);
        Self {
            addresses: DefaultKeyedRateLimiter::keyed(addresses),
            commands: DefaultKeyedRateLimiter::keyed(commands),
            in_flight: Arc::default(),
            max_in_flight: config.in_flight.max(1),
        }
    }

    /// One more request from `address`, or how long to wait.
    pub fn request(&self, address: IpAddr) -> Result<(), ApiError> {
        self.addresses.check_key(&address).map_err(|not_yet| {
            let wait = not_yet.wait_time_from(DefaultClock::default().now());
            too_many(wait, "rate_limited", "too many requests from your address; slow down")
        })
    }

    /// One more command from `participant`: a place in its share of the engine's queue, held
    /// until the returned guard is dropped, or a refusal.
    pub fn command(&self, participant: ParticipantId) -> Result<InFlight, ApiError> {
        self.commands.check_key(&participant).map_err(|not_yet| {
            let wait = not_yet.wait_time_from(DefaultClock::default().now());
            too_many(wait, "rate_limited", "too many commands from your organisation; slow down")
        })?;
        let mut in_flight =
            self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let waiting = in_flight.entry(participant).or_default();
        if *waiting >= self.max_in_flight {
            return Err(too_many(
                Duration::from_secs(1),
                "too_many_in_flight",
                "your organisation has many commands waiting; wait for their answers",
            ));
        }
        *waiting += 1;
        Ok(InFlight { in_flight: self.in_flight.clone(), participant })
    }

    /// Limits as `config` sets them, tidied every minute for as long as they are in use.
    pub fn start(config: LimitsConfig) -> Arc<Self> {
        let limits = Arc::new(Self::new(config));
        let weak = Arc::downgrade(&limits);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                let Some(limits) = weak.upgrade() else { return };
                limits.tidy();
            }
        });
        limits
    }

    /// Forgets keys idle long enough to be full again, so the limiters hold only active callers.
    pub fn tidy(&self) {
        self.addresses.retain_recent();
        self.commands.retain_recent();
    }
}

/// A participant's place in its share of the engine's queue.
#[derive(Debug)]
pub struct InFlight {
    in_flight: Arc<Mutex<HashMap<ParticipantId, usize>>>,
    participant: ParticipantId,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut in_flight =
            self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(waiting) = in_flight.get_mut(&self.participant) {
            *waiting -= 1;
            if *waiting == 0 {
                in_flight.remove(&self.participant);
            }
        }
    }
}

/// Middleware: every request counts against its address.
pub async fn per_address(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let address = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    if let Some(address) = address
        && let Err(refused) = state.limits.request(address)
    {
        return refused.into_response();
    }
    next.run(request).await
}
