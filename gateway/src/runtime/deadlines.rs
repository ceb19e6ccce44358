//! The deadline timer: time enters the engine only through commands, so something must send one
//! when an auction is due to start or close. This task watches the engine's next deadline (through
//! the replica, which is never ahead of what is durable) and sends a `Tick` once the clock has
//! reached it. A bid arriving first runs the deadline just the same: the engine applies every
//! deadline due before each command, so the timer only decides how soon a quiet auction closes.
//!
//! The wait is capped, so a clock that jumps (a hand-set clock in tests, a corrected system clock)
//! is noticed within [`RECHECK`]; a new deadline (a fresh auction, an extension) wakes it at once.
//!
//! The timer also opens inquiry rounds: once a round's deadline has closed it, the timer
//! derives the round's author key and sends it; once the authors are counted and enough, the
//! content key. A key leaves the sealer only in that command, after the deadline.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use engine::inquiry::seal::Layer;
use engine::types::{Actor, DealId};
use engine::{Action, Command, Event};

use super::{Clock, EngineHandle};
use crate::read::Replica;
use crate::sealing::Sealer;

/// The longest the timer sleeps before looking at the clock again.
pub const RECHECK: Duration = Duration::from_millis(100);

/// Starts the timer; it stops when the engine task does. Ticks are the platform's own commands.
pub fn start(
    handle: EngineHandle,
    replica: Replica,
    clock: Arc<dyn Clock>,
    sealer: Arc<Sealer>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(handle, replica, clock, sealer))
}

/// A layer of a round waiting for its key.
type Opening = (DealId, u32, Layer);

async fn run(handle: EngineHandle, replica: Replica, clock: Arc<dyn Clock>, sealer: Arc<Sealer>) {
    let mut changes = replica.changes();
    // Openings the engine refused: tried again only after a restart, not in a loop.
    let mut refused: HashSet<Opening> = HashSet::new();
    loop {
        let (opening, _) = replica.read(|engine| {
            engine.inquiries().find_map(|q| {
                let layer = if q.awaits_author_key() {
                    Layer::Author
                } else if q.awaits_content_key() {
                    Layer::Content
                } else {
                    return None;
                };
                Some((q.id, q.round_number(), layer)).filter(|o| !refused.contains(o))
            })
        });
        if let Some(opening) = opening {
            match open(&handle, &sealer, opening).await {
                Ok(Some(seq)) => replica.caught_up(seq).await,
                Ok(None) => {
                    refused.insert(opening);
                }
                Err(error) => {
                    tracing::error!(inquiry = %opening.0, round = opening.1, %error, "cannot open an inquiry round; retrying");
                    tokio::time::sleep(RECHECK).await;
                }
            }
            continue;
        }
        let (due, _) = replica
            .read(|engine| engine.next_deadline().map(|at| (at, clock.now().max(engine.clock()))));
        match due {
            Some((at, now)) if at <= now => {
                match handle.submit_waiting(Command::new(Actor::SYSTEM, Action::Tick)).await {
                    // Wait for the replica to see the tick, or the same deadline would be sent again.
                    Ok(outcome) => replica.caught_up(outcome.seq).await,
                    Err(_) => return,
                }
            }
            Some((at, now)) => {
                let wait = Duration::from_millis(u64::try_from(at.0 - now.0).unwrap_or(0));
                tokio::select! {
                    () = tokio::time::sleep(wait.min(RECHECK)) => {}
                    changed = changes.changed() => if changed.is_err() { return },
                }
            }
            // Only a new command can bring a deadline.
            None => {
                if changes.changed().await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Sends the key of one layer of a round; `None` when the engine refused it.
async fn open(
    handle: &EngineHandle,
    sealer: &Sealer,
    (inquiry, round, layer): Opening,
) -> anyhow::Result<Option<engine::types::Seq>> {
    let key = sealer.round_key(inquiry, round, layer)?;
    let action = match layer {
        Layer::Author => Action::OpenAuthors { inquiry, round, key },
        Layer::Content => Action::OpenPrices { inquiry, round, key },
    };
    let outcome = handle.submit_waiting(Command::new(Actor::SYSTEM, action)).await?;
    if let Some(Event::Rejected { reason, .. }) = outcome.events.last().map(|e| &e.event) {
        tracing::error!(%inquiry, round, code = reason.code(), "the engine refused to open an inquiry round");
        return Ok(None);
    }
    Ok(Some(outcome.seq))
}
