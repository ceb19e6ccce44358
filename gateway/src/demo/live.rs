//! A scripted trading session against the running engine task, as many clients at once would
//! trade: purchasing units order, suppliers move offers, and the parties of struck trades deliver,
//! accept and pay. Each command waits for its durable answer, so the session exercises group commit.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use engine::settlement::SettlementStep;
use engine::types::{Amount, ParticipantId, TradeId};
use engine::{Action, Command, Event};

use super::demo_user;
use crate::runtime::EngineHandle;

/// What a session did.
#[derive(Debug, Default)]
pub struct SessionSummary {
    /// Commands acknowledged.
    pub commands: u64,
    /// Orders filled.
    pub filled: u64,
    /// Trades struck.
    pub trades: u64,
    /// Amount traded.
    pub amount: Amount,
    /// Offer changes.
    pub offer_changes: u64,
    /// Settlement steps.
    pub settlement_steps: u64,
    /// Refusals by rule and code.
    pub rejections: BTreeMap<(&'static str, &'static str), u64>,
    /// Wall time.
    pub elapsed: Duration,
    /// Supplier and purchaser of trades still being settled.
    parties: BTreeMap<TradeId, (ParticipantId, ParticipantId)>,
}

/// Runs `commands` through `handle` with `clients` concurrent clients. With `print_acks`, prints
/// `ack <seq>` on standard output for every acknowledged command, as soon as it is acknowledged.
pub async fn trade(
    handle: EngineHandle,
    commands: Vec<Command>,
    clients: usize,
    print_acks: bool,
) -> SessionSummary {
    let queue = Arc::new(Mutex::new(commands.into_iter().collect::<VecDeque<_>>()));
    let summary = Arc::new(Mutex::new(SessionSummary::default()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients.max(1) {
        let (queue, summary, handle) = (queue.clone(), summary.clone(), handle.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let next = queue.lock().map(|mut q| q.pop_front()).unwrap_or(None);
                let Some(command) = next else { break };
                let Ok(outcome) = handle.submit_waiting(command).await else { break };
                if print_acks {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "ack {}", outcome.seq);
                    let _ = out.flush();
                }
                let follow_ups = record(&summary, &outcome.events);
                if let Ok(mut q) = queue.lock() {
                    q.extend(follow_ups);
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let mut summary =
        std::mem::take(&mut *summary.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    summary.elapsed = started.elapsed();
    summary
}

/// Tallies an outcome and returns the settlement steps its parties take next: every third trade is
/// delivered by its supplier, then accepted and paid by its purchaser, each step once the previous
/// one is acknowledged.
fn record(summary: &Mutex<SessionSummary>, events: &[engine::EventEnvelope]) -> Vec<Command> {
    let mut next = Vec::new();
    let Ok(mut s) = summary.lock() else { return next };
    s.commands += 1;
    for envelope in events {
        match &envelope.event {
            Event::TradeStruck(t) => {
                s.trades += 1;
                s.amount = s.amount.plus(t.amount);
                if t.id.seq.0 % 3 == 0 {
                    s.parties.insert(t.id, (t.supplier, t.purchaser));
                    next.push(step(t.supplier, Action::RecordDelivery { trade: t.id }));
                }
            }
            Event::OrderFilled { .. } => s.filled += 1,
            Event::OfferChanged { .. } => s.offer_changes += 1,
            Event::TradeSettled { trade, step: done, .. } => {
                s.settlement_steps += 1;
                let Some((_, purchaser)) = s.parties.get(trade).copied() else { continue };
                match done {
                    SettlementStep::Deliver => {
                        next.push(step(purchaser, Action::AcceptDelivery { trade: *trade }));
                    }
                    SettlementStep::Accept => {
                        next.push(step(purchaser, Action::RecordPayment { trade: *trade }));
                    }
                    SettlementStep::Pay
                    | SettlementStep::Decline
                    | SettlementStep::Cancel
                    | SettlementStep::Annul => {
                        s.parties.remove(trade);
                    }
                }
            }
            Event::Rejected { reason, .. } => {
                *s.rejections.entry((reason.rule(), reason.code())).or_default() += 1;
            }
            _ => {}
        }
    }
    next
}

fn step(actor: ParticipantId, action: Action) -> Command {
    Command::new(demo_user(actor), action)
}
