//! Retries under an `Idempotency-Key`: the engine answers a key it has seen (per participant, for 24
//! hours) with `AlreadyApplied`, naming the first command, and changes nothing. Here that becomes
//! the first outcome in full, read back from the journal: the same answer as the first time (the
//! trades struck, or the refusal with its code and rule), marked `Idempotent-Replayed: true`. A key
//! used again for a different request (another endpoint, another body) is refused with 422
//! `idempotency_key_reused`: answering it with the first outcome would tell the client its new
//! request was done when it was not.
//!
//! Requests are compared as the engine commands they became, so the same order sent with other
//! spacing in its JSON is the same request, and a sealed quote is compared by its sealed bytes
//! (sealing under a key is deterministic).

use std::cell::Cell;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use engine::types::{ParticipantId, Seq};
use engine::{Action, Event, EventEnvelope};

use super::state::AppState;
use crate::error::ApiError;

tokio::task_local! {
    /// Set while a request is answered from its first outcome.
    static REPLAYED: Cell<bool>;
}

/// The response header that marks an answer replayed from the first outcome.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Middleware: marks the response of a request answered from its first outcome.
pub async fn mark_replays(request: Request, next: Next) -> Response {
    let (mut response, replayed) = REPLAYED
        .scope(Cell::new(false), async {
            let response = next.run(request).await;
            (response, REPLAYED.with(Cell::get))
        })
        .await;
    if replayed {
        response.headers_mut().insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    }
    response
}

fn mark_replayed() {
    let _ = REPLAYED.try_with(|replayed| replayed.set(true));
}

/// What a retried request was.
#[derive(Debug)]
pub(crate) struct Retry {
    /// The participant it acts for.
    pub participant: ParticipantId,
    /// What it asked.
    pub action: Action,
}

/// The first outcome of a retried request, from the journal.
pub(crate) enum FirstOutcome {
    /// Applied, with the events it produced then.
    Applied { seq: Seq, events: Vec<EventEnvelope> },
    /// The journal no longer holds it (a snapshot covers it and its segment was removed), or
    /// this node keeps no journal (an edge node): only its sequence is known.
    Known { seq: Seq },
}

/// Resolves a retry of the command with sequence `original`.
pub(crate) async fn first_outcome(
    state: &AppState,
    retry: Option<Retry>,
    original: Seq,
) -> Result<FirstOutcome, ApiError> {
    mark_replayed();
    let (Some(retry), Some(journal)) = (retry, state.journal.as_ref()) else {
        return Ok(FirstOutcome::Known { seq: original });
    };
    let record = journal.record_at(original).await.map_err(|e| ApiError::internal(&e))?;
    let Some(record) = record else { return Ok(FirstOutcome::Known { seq: original }) };
    if record.command.actor.participant != retry.participant
        || record.command.action != retry.action
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            format!(
                "this Idempotency-Key was used for a different request (recorded as {original}); use a new key for a new request"
            ),
        ));
    }
    match record.events.last().map(|e| &e.event) {
        Some(Event::Rejected { reason, .. }) => Err((*reason).into()),
        _ => Ok(FirstOutcome::Applied { seq: original, events: record.events }),
    }
}
