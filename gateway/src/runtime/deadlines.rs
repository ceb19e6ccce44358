//! The deadline timer: time enters the engine only through commands, so something must send one
//! when an auction is due to start or close. This task watches the engine's next deadline (through
//! the replica, which is never ahead of what is durable) and sends a `Tick` once the clock has
//! reached it. A bid arriving first runs the deadline just the same: the engine applies every
//! deadline due before each command, so the timer only decides how soon a quiet auction closes.
//!
//! The wait is capped, so a clock that jumps (a hand-set clock in tests, a corrected system clock)
//! is noticed within [`RECHECK`]; a new deadline (a fresh auction, an extension) wakes it at once.

use std::sync::Arc;
use std::time::Duration;

use engine::types::Actor;
use engine::{Action, Command};

use super::{Clock, EngineHandle};
use crate::read::Replica;

/// The longest the timer sleeps before looking at the clock again.
pub const RECHECK: Duration = Duration::from_millis(100);

/// Starts the timer; it stops when the engine task does. Ticks are the platform's own commands.
pub fn start(
    handle: EngineHandle,
    replica: Replica,
    clock: Arc<dyn Clock>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(handle, replica, clock))
}

async fn run(handle: EngineHandle, replica: Replica, clock: Arc<dyn Clock>) {
    let mut changes = replica.changes();
    loop {
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
