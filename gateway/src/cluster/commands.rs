//! Commands between nodes: an edge forwards each command to whoever owns the market by NATS
//! request-reply, with a deadline. Past the deadline the edge's client hears at once that the
//! outcome is unknown (and retries with its Idempotency-Key); the owner drops a command whose
//! deadline has passed before applying it, so a command its client gave up on never becomes a trade
//! later. With no owner subscribed the request fails at once, and the client hears that nothing
//! was done.
//!
//! An edge forwards commands as the user it authenticated; the NATS servers admit only the
//! market's nodes (credentials from settings), which is what makes that safe.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::Cluster;
use crate::runtime::handle::Request;
use crate::runtime::{EngineHandle, Outcome, SubmitError};

/// Requests an edge may have waiting to be forwarded.
const QUEUE: usize = 8_192;

/// A forwarded command.
#[derive(Debug, Serialize, Deserialize)]
struct Forwarded {
    /// When the edge stops waiting, in Unix milliseconds.
    deadline_ms: u64,
    command: engine::Command,
}

/// The owner's answer.
#[derive(Debug, Serialize, Deserialize)]
enum Answer {
    /// The command's durable outcome.
    Outcome(Outcome),
    /// Not taken: the queue was full, or the engine had stopped. Nothing was done.
    Refused { overloaded: bool },
}

fn unix_ms(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Serves forwarded commands for as long as this node owns the market; stop by dropping the
/// returned sender.
pub async fn serve(cluster: &Cluster, handle: EngineHandle) -> anyhow::Result<oneshot::Sender<()>> {
    let mut requests = cluster
        .client
        .queue_subscribe(cluster.commands_subject(), "owner".into())
        .await
        .map_err(|e| anyhow::anyhow!("subscribing to forwarded commands: {e}"))?;
    let client = cluster.client.clone();
    let (stop, mut stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        loop {
            let request = tokio::select! {
                request = requests.next() => request,
                _ = &mut stopped => None,
            };
            let Some(request) = request else { break };
            let Some(reply) = request.reply.clone() else { continue };
            let Ok(forwarded) = postcard::from_bytes::<Forwarded>(&request.payload) else {
                tracing::warn!("a forwarded command that does not decode; dropped");
                continue;
            };
            let now = unix_ms(SystemTime::now());
            if forwarded.deadline_ms <= now {
                crate::metrics::METRICS.commands.with_label_values(&["expired"]).inc();
                tracing::info!("a forwarded command arrived after its deadline; dropped unapplied");
                continue;
            }
            let deadline = Instant::now() + Duration::from_millis(forwarded.deadline_ms - now);
            let (handle, client) = (handle.clone(), client.clone());
            tokio::spawn(async move {
                let answer = match handle.submit_by(forwarded.command, deadline).await {
                    Ok(outcome) => Answer::Outcome(outcome),
                    // Dropped at the deadline, or the engine stopped: the edge has its answer.
                    Err(SubmitError::OutcomeUnknown) => return,
                    Err(e) => Answer::Refused { overloaded: e == SubmitError::Overloaded },
                };
                let Ok(bytes) = postcard::to_stdvec(&answer) else { return };
                if let Err(error) = client.publish(reply, bytes.into()).await {
                    tracing::warn!(%error, "answering a forwarded command");
                }
            });
        }
        let _ = requests.unsubscribe().await;
    });
    Ok(stop)
}

/// An edge's handle: commands go to the owner, each waiting at most `deadline`; copies of the
/// engine come from `copies` (the edge's own warm engine).
pub fn forwarding(
    cluster: &Cluster,
    copies: mpsc::Sender<oneshot::Sender<engine::Engine>>,
) -> EngineHandle {
    let (tx, mut rx) = mpsc::channel(QUEUE);
    let cluster = cluster.clone();
    tokio::spawn(async move {
        while let Some(request) = rx.recv().await {
            match request {
                Request::Apply { command, reply, .. } => {
                    let cluster = cluster.clone();
                    let deadline = SystemTime::now() + cluster.settings.deadline;
                    tokio::spawn(async move {
                        if let Some(outcome) = forward(&cluster, command, deadline).await {
                            let _ = reply.send(outcome);
                        }
                    });
                }
                Request::Copy { reply } => {
                    let _ = copies.send(reply).await;
                }
                // The owner's engine is not this node's to stop.
                Request::Shutdown { reply } => {
                    let _ = reply.send(());
                    return;
                }
            }
        }
    });
    EngineHandle { tx }
}

/// Sends one command to the owner and waits for its outcome until `deadline`. `None` means the
/// outcome is unknown to this node (no answer in time, no owner, or a refusal, which is logged):
/// the caller hears so and retries with its Idempotency-Key.
pub async fn forward(
    cluster: &Cluster,
    command: engine::Command,
    deadline: SystemTime,
) -> Option<Outcome> {
    let wait = deadline.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO);
    let bytes = postcard::to_stdvec(&Forwarded { deadline_ms: unix_ms(deadline), command }).ok()?;
    let request = async_nats::Request::new().payload(bytes.into()).timeout(Some(wait));
    match cluster.client.send_request(cluster.commands_subject(), request).await {
        Ok(message) => match postcard::from_bytes::<Answer>(&message.payload) {
            Ok(Answer::Outcome(outcome)) => Some(outcome),
            Ok(Answer::Refused { overloaded }) => {
                tracing::debug!(overloaded, "the owner refused a forwarded command");
                None
            }
            Err(error) => {
                tracing::error!(%error, "an answer from the owner that does not decode");
                None
            }
        },
        Err(error) => {
            tracing::warn!(%error, "no answer from the owner within the deadline");
            None
        }
    }
}
