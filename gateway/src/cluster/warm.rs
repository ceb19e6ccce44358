//! An engine kept current from the journal stream: the newest snapshot, then every message after
//! it, each record checked against the chain and its events. A standby owner keeps one warm so
//! that taking over costs only the last few messages; an edge keeps one to feed its replica and
//! hub exactly as the owner's are fed.

use std::time::Duration;

use engine::Engine;
use futures_util::StreamExt;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use super::Cluster;
use super::reading::{Message, Replay, follow};
use crate::runtime::{Released, ReleasedBatch};

/// How long to wait before following again after the stream could not be read.
const AGAIN: Duration = Duration::from_millis(500);

/// A warm engine and where it is in the stream.
#[derive(Debug)]
pub struct Warm {
    /// The engine and its chain head.
    pub replay: Replay,
    /// The stream sequence of the next message to apply.
    pub next: u64,
}

impl Warm {
    /// From the newest snapshot in the cluster, or the start of the journal.
    pub async fn start(cluster: &Cluster) -> anyhow::Result<Self> {
        let (replay, next) = Replay::start(cluster).await?;
        Ok(Self { replay, next })
    }

    /// Applies one message; its records as released.
    fn apply(&mut self, message: Message) -> anyhow::Result<Vec<Released>> {
        anyhow::ensure!(
            message.at == self.next,
            "the journal stream gave message {} where {} was next",
            message.at,
            self.next
        );
        let mut released = Vec::with_capacity(message.records.len());
        for (record, hash) in message.records {
            released.extend(self.replay.apply(record, hash)?);
        }
        self.next += 1;
        Ok(released)
    }

    /// Follows the stream until `until` resolves, then on to the stream's end as it stands then:
    /// how a standby that has just taken the lease catches up before it serves. A stream that
    /// cannot be read for a while (a cluster without its quorum) is waited out, not given up on:
    /// the standby is what brings the market back. Only a journal that does not apply is an error.
    pub async fn follow_until(
        mut self,
        cluster: &Cluster,
        until: impl std::future::Future<Output = ()>,
    ) -> anyhow::Result<Self> {
        tokio::pin!(until);
        let mut taken = false;
        let mut end = None;
        loop {
            if taken && end.is_none() {
                match cluster.last_message().await {
                    Ok(last) => end = Some(last),
                    Err(error) => {
                        tracing::warn!(error = %format!("{error:#}"), "cannot read where the journal stream ends; again");
                        tokio::time::sleep(AGAIN).await;
                        continue;
                    }
                }
            }
            if end.is_some_and(|end| self.next > end) {
                return Ok(self);
            }
            let mut messages = match follow(cluster, self.next).await {
                Ok(messages) => Box::pin(messages),
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "cannot follow the journal stream; again");
                    tokio::select! {
                        () = &mut until, if !taken => taken = true,
                        () = tokio::time::sleep(AGAIN) => {}
                    }
                    continue;
                }
            };
            loop {
                if end.is_some_and(|end| self.next > end) {
                    return Ok(self);
                }
                tokio::select! {
                    () = &mut until, if !taken => {
                        taken = true;
                        break;
                    }
                    message = messages.next() => match message {
                        Some(Ok(message)) => {
                            self.apply(message)?;
                        }
                        Some(Err(error)) => {
                            tracing::warn!(error = %format!("{error:#}"), "following the journal stream; again");
                            tokio::time::sleep(AGAIN).await;
                            break;
                        }
                        None => break,
                    },
                }
            }
        }
    }

    /// Follows the stream for good, sending each message's records to `released` and answering
    /// each request on `copies` with the engine as of the last records sent: an edge's engine.
    /// `problem` says why the stream cannot be followed, while it cannot, for readiness.
    pub async fn serve(
        mut self,
        cluster: Cluster,
        released: broadcast::Sender<ReleasedBatch>,
        mut copies: mpsc::Receiver<oneshot::Sender<Engine>>,
        problem: watch::Sender<Option<String>>,
    ) {
        loop {
            let mut messages = match follow(&cluster, self.next).await {
                Ok(messages) => Box::pin(messages),
                Err(error) => {
                    problem.send_replace(Some(format!("{error:#}")));
                    tracing::warn!(error = %format!("{error:#}"), "cannot follow the journal stream; again");
                    tokio::time::sleep(AGAIN).await;
                    continue;
                }
            };
            loop {
                tokio::select! {
                    copy = copies.recv() => match copy {
                        Some(reply) => drop(reply.send(self.replay.engine.clone())),
                        None => return,
                    },
                    message = messages.next() => {
                        let applied = match message {
                            Some(Ok(message)) => self.apply(message),
                            Some(Err(error)) => Err(error),
                            None => break,
                        };
                        if applied.is_ok() && problem.borrow().is_some() {
                            problem.send_replace(None);
                        }
                        match applied {
                            Ok(batch) if batch.is_empty() => {}
                            // Nobody listening yet is fine: the replica starts from a copy.
                            Ok(batch) => drop(released.send(std::sync::Arc::new(batch))),
                            Err(error) => {
                                problem.send_replace(Some(format!("{error:#}")));
                                tracing::error!(error = %format!("{error:#}"), "the journal stream cannot be applied; following again");
                                tokio::time::sleep(AGAIN).await;
                                break;
                            }
                        }
                    }
                }
            }
        }
    }
}
