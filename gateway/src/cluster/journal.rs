//! The owner's appending end of the replicated journal. Records are framed exactly as in a local
//! segment; a batch goes out as one message, or several when it is large, each published with the
//! stream sequence expected before it, all in flight at once, and the batch is durable once the
//! stream's quorum has acknowledged every one of them.
//!
//! A message that gets no acknowledgement may or may not be stored. It is sent again with the same
//! message id while the lease is still this owner's: the stream stores it once. Once the lease is
//! no longer fresh, or the stream refuses the expected sequence (another owner appended), the
//! commit fails and the engine task stops (fail-stop): the callers in flight hear that their
//! outcome is unknown and retry with their Idempotency-Key at the new owner.

use std::collections::VecDeque;
use std::time::Duration;

use anyhow::{Context, bail};
use async_nats::jetstream::context::PublishErrorKind;
use engine::types::{Seq, Timestamp};
use engine::{Command, EventEnvelope};
use serde::Serialize;

use super::Cluster;
use super::lease::Lease;
use super::reading::MESSAGE_HEADER;
use crate::journal::Journal;
use crate::journal::record::{ChainHash, Encoder};

/// A message is closed once it passes this size, well under the servers' 1 MiB payload limit
/// (a record is at most a 64 KiB request's command and its events).
const MESSAGE_BYTES: usize = 256 << 10;

/// Messages whose place in the stream is remembered, to find where a snapshot's replay starts.
const REMEMBERED: usize = 4_096;

/// How long to wait between attempts at an append that got no acknowledgement.
const RETRY: Duration = Duration::from_millis(100);

/// A record borrowed from the engine task, encoded exactly as a journal record.
#[derive(Serialize)]
struct RecordRef<'a> {
    seq: Seq,
    ts: Timestamp,
    prev: ChainHash,
    command: &'a Command,
    events: &'a [EventEnvelope],
}

/// One message of a batch being built.
#[derive(Debug)]
struct Part {
    first: Seq,
    last: Seq,
    bytes: Vec<u8>,
}

/// The replicated journal, as the owner appends to it.
#[derive(Debug)]
pub struct StreamJournal {
    cluster: Cluster,
    lease: Lease,
    runtime: tokio::runtime::Handle,
    encoder: Encoder,
    head: ChainHash,
    next: Seq,
    parts: Vec<Part>,
    /// The stream sequence of the last message stored.
    stored: u64,
    /// (last record, stream sequence) of recent messages.
    placed: VecDeque<(Seq, u64)>,
}

impl StreamJournal {
    /// Appends after stream message `stored`, whose last record is `next - 1` with chain hash
    /// `head`, for as long as `lease` is fresh. `runtime` runs the appends for the journal thread.
    pub fn new(
        cluster: Cluster,
        lease: Lease,
        runtime: tokio::runtime::Handle,
        head: ChainHash,
        next: Seq,
        stored: u64,
    ) -> Self {
        Self {
            cluster,
            lease,
            runtime,
            encoder: Encoder::default(),
            head,
            next,
            parts: Vec::new(),
            stored,
            placed: VecDeque::new(),
        }
    }

    async fn publish(&self, parts: &[Part]) -> anyhow::Result<()> {
        let subject = self.cluster.journal_subject();
        let revision = self.lease.revision();
        let mut pending = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let expected = self.stored + i as u64;
            let publish = async_nats::jetstream::context::Publish::build()
                .payload(part.bytes.clone().into())
                .expected_last_sequence(expected)
                .message_id(format!("{revision}-{}", part.first.0));
            let ack = self.cluster.js.send_publish(subject.clone(), publish).await;
            pending.push((expected + 1, ack));
        }
        for (want, ack) in pending {
            let ack = match ack {
                Ok(future) => future.await,
                Err(error) => Err(error),
            };
            match ack {
                Ok(ack) if ack.sequence == want => {}
                Ok(ack) => bail!(
                    "the journal stream stored a message at {} where {want} was expected",
                    ack.sequence
                ),
                Err(error) if error.kind() == PublishErrorKind::WrongLastSequence => {
                    return Err(Deposed.into());
                }
                Err(error) => return Err(anyhow::Error::new(error).context("appending")),
            }
        }
        Ok(())
    }
}

/// The stream refused the sequence this owner expected: another owner has appended since.
#[derive(Debug, thiserror::Error)]
#[error("another owner has appended to the journal stream: this node no longer owns the market")]
pub struct Deposed;

impl Journal for StreamJournal {
    fn push(
        &mut self,
        seq: Seq,
        ts: Timestamp,
        command: &Command,
        events: &[EventEnvelope],
    ) -> anyhow::Result<()> {
        anyhow::ensure!(seq == self.next, "journal expects seq {} and got {}", self.next, seq);
        if self.parts.last().is_none_or(|p| p.bytes.len() >= MESSAGE_BYTES) {
            let mut bytes = Vec::with_capacity(MESSAGE_BYTES / 4);
            bytes.resize(MESSAGE_HEADER, 0);
            self.parts.push(Part { first: seq, last: seq, bytes });
        }
        let part = self.parts.last_mut().context("a part was just made")?;
        let record = RecordRef { seq, ts, prev: self.head, command, events };
        self.head = self.encoder.encode(seq, &record, &mut part.bytes)?;
        part.last = seq;
        self.next = seq.next();
        Ok(())
    }

    fn head(&self) -> ChainHash {
        self.head
    }

    fn commit(&mut self) -> anyhow::Result<()> {
        if self.parts.is_empty() {
            return Ok(());
        }
        let mut parts = std::mem::take(&mut self.parts);
        for part in &mut parts {
            part.bytes[..8].copy_from_slice(&part.first.0.to_le_bytes());
            part.bytes[8..16].copy_from_slice(&part.last.0.to_le_bytes());
        }
        let timer = crate::metrics::METRICS.fsync_seconds.start_timer();
        loop {
            if !self.lease.fresh() {
                bail!(
                    "the ownership lease was not renewed in time: this node no longer owns the market"
                );
            }
            match self.runtime.block_on(self.publish(&parts)) {
                Ok(()) => break,
                Err(error) if error.is::<Deposed>() => return Err(error),
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "the journal stream did not acknowledge a batch; sending it again");
                    std::thread::sleep(RETRY);
                }
            }
        }
        timer.observe_duration();
        for part in &parts {
            self.stored += 1;
            self.placed.push_back((part.last, self.stored));
        }
        while self.placed.len() > REMEMBERED {
            self.placed.pop_front();
        }
        Ok(())
    }

    fn snapshot(&mut self, seq: Seq, head: ChainHash, engine: Vec<u8>, _passed: Seq) {
        // Replay starts at the message holding the record after the snapshot.
        let Some(from) = self.placed.iter().find(|(last, _)| *last > seq).map(|(_, s)| *s).or(self
            .placed
            .back()
            .filter(|(last, _)| *last == seq)
            .map(|(_, stored)| stored + 1))
        else {
            tracing::warn!(%seq, "the snapshot's place in the stream is no longer known; not kept");
            return;
        };
        let cluster = self.cluster.clone();
        self.runtime.spawn(async move {
            match super::snapshots::save(&cluster, seq, head, from, engine).await {
                Ok(()) => tracing::info!(%seq, from, "snapshot kept in the cluster"),
                Err(error) => {
                    tracing::error!(%seq, error = %format!("{error:#}"), "snapshot not kept; a new node replays further")
                }
            }
        });
    }
}
