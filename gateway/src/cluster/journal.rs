//! The owner's appending end of the replicated journal. Records are framed exactly as in a local
//! segment; a batch goes out as one message, or several when it is large, each published with the
//! stream sequence expected before it, and the batch is durable once the stream's quorum has
//! acknowledged every one of them. Batches are pipelined: up to [`DEPTH`] are on their way while
//! the next one fills, and they are released in order.
//!
//! A message that gets no acknowledgement may or may not be stored. It is sent again, with every
//! message after it, with the same message ids while the lease is still this owner's: the stream
//! stores each once. Once the lease is no longer fresh, or the stream refuses the expected sequence
//! of the first message not yet stored (another owner appended), the journal fails and the engine
//! task stops (fail-stop): the callers in flight hear that their outcome is unknown and retry with
//! their Idempotency-Key at the new owner.

use std::collections::VecDeque;
use std::time::Duration;

use anyhow::{Context, bail};
use std::future::IntoFuture;

use async_nats::jetstream::context::{Publish, PublishAckFuture, PublishErrorKind};
use engine::types::{Seq, Timestamp};
use engine::{Command, EventEnvelope};

use super::Cluster;
use super::lease::Lease;
use super::reading::MESSAGE_HEADER;
use crate::journal::Journal;
use crate::journal::record::{ChainHash, Encoder, RecordRef};

/// A message is closed once it passes this size, well under the servers' 1 MiB payload limit
/// (a record is at most a 64 KiB request's command and its events).
const MESSAGE_BYTES: usize = 256 << 10;

/// Messages whose place in the stream is remembered, to find where a snapshot's replay starts.
const REMEMBERED: usize = 4_096;

/// How long to wait between attempts at an append that got no acknowledgement.
const RETRY: Duration = Duration::from_millis(100);

/// Batches on their way at once.
pub const DEPTH: usize = 4;

/// One message of a batch: its frames while being built, then its payload once sent, shared by
/// every attempt to send it rather than copied for each.
#[derive(Debug)]
struct Part {
    first: Seq,
    last: Seq,
    bytes: Vec<u8>,
    payload: bytes::Bytes,
}

/// A batch sent, its messages' acknowledgements to come.
#[derive(Debug)]
struct Outgoing {
    batch: u64,
    parts: Vec<Part>,
    acks: Vec<Option<PublishAckFuture>>,
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
    /// The stream sequence the last message sent will have.
    sent: u64,
    /// Batches sent and not yet known durable, oldest first.
    outgoing: VecDeque<Outgoing>,
    /// The last batch number given out, and the last known durable.
    numbered: u64,
    durable: u64,
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
            sent: stored,
            outgoing: VecDeque::new(),
            numbered: 0,
            durable: 0,
            placed: VecDeque::new(),
        }
    }

    fn publication(&self, part: &Part, expected: u64) -> Publish {
        Publish::build()
            .payload(part.payload.clone())
            .expected_last_sequence(expected)
            .message_id(format!("{}-{}", self.lease.revision(), part.first.0))
    }

    /// Sends one message with the stream sequence expected before it; its acknowledgement to come,
    /// or none when it could not even be sent (it is sent again while waiting).
    fn send_part(&self, part: &Part, expected: u64) -> Option<PublishAckFuture> {
        let subject = self.cluster.journal_subject();
        let publish = self.publication(part, expected);
        self.runtime.block_on(self.cluster.js.send_publish(subject, publish)).ok()
    }

    fn stored_one(&mut self, part: &Part) {
        self.stored += 1;
        self.placed.push_back((part.last, self.stored));
        if self.placed.len() > REMEMBERED {
            self.placed.pop_front();
        }
    }

    /// Sends `parts` again, one at a time, each after the one before is stored, for as long as the
    /// lease is fresh: what follows a message whose acknowledgement did not come.
    fn resend(&mut self, parts: Vec<Part>) -> anyhow::Result<()> {
        for part in parts {
            loop {
                if !self.lease.fresh() {
                    bail!(
                        "the ownership lease was not renewed in time: this node no longer owns the market"
                    );
                }
                let ack = match self.send_part(&part, self.stored) {
                    Some(future) => self.runtime.block_on(future.into_future()),
                    None => {
                        std::thread::sleep(RETRY);
                        continue;
                    }
                };
                match ack {
                    Ok(ack) if ack.sequence == self.stored + 1 => break,
                    Ok(ack) => bail!(
                        "the journal stream stored a message at {} where {} was expected",
                        ack.sequence,
                        self.stored + 1
                    ),
                    Err(error) if error.kind() == PublishErrorKind::WrongLastSequence => {
                        return Err(Deposed.into());
                    }
                    Err(error) => {
                        tracing::warn!(%error, "the journal stream did not acknowledge a message; sending it again");
                        std::thread::sleep(RETRY);
                    }
                }
            }
            self.stored_one(&part);
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
            self.parts.push(Part { first: seq, last: seq, bytes, payload: bytes::Bytes::new() });
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

    fn send(&mut self) -> anyhow::Result<u64> {
        if self.parts.is_empty() {
            return Ok(self.numbered);
        }
        if !self.lease.fresh() {
            bail!(
                "the ownership lease was not renewed in time: this node no longer owns the market"
            );
        }
        let mut parts = std::mem::take(&mut self.parts);
        let mut acks = Vec::with_capacity(parts.len());
        for part in &mut parts {
            part.bytes[..8].copy_from_slice(&part.first.0.to_le_bytes());
            part.bytes[8..16].copy_from_slice(&part.last.0.to_le_bytes());
            part.payload = bytes::Bytes::from(std::mem::take(&mut part.bytes));
            acks.push(self.send_part(part, self.sent));
            self.sent += 1;
        }
        self.numbered += 1;
        self.outgoing.push_back(Outgoing { batch: self.numbered, parts, acks });
        Ok(self.numbered)
    }

    fn wait(&mut self, batch: u64) -> anyhow::Result<()> {
        let timer = crate::metrics::METRICS.fsync_seconds.start_timer();
        while self.durable < batch {
            let Some(Outgoing { batch: number, parts, acks }) = self.outgoing.pop_front() else {
                break;
            };
            let mut parts = parts.into_iter();
            for ack in acks {
                let Some(part) = parts.next() else { break };
                let ack = ack.map(|future| self.runtime.block_on(future.into_future()));
                match ack {
                    Some(Ok(ack)) if ack.sequence == self.stored + 1 => self.stored_one(&part),
                    Some(Ok(ack)) => bail!(
                        "the journal stream stored a message at {} where {} was expected",
                        ack.sequence,
                        self.stored + 1
                    ),
                    // Every message before this one is stored, as this one expected: another
                    // owner has appended.
                    Some(Err(error)) if error.kind() == PublishErrorKind::WrongLastSequence => {
                        return Err(Deposed.into());
                    }
                    lost => {
                        let error = lost.and_then(Result::err).map(|e| e.to_string());
                        tracing::warn!(
                            ?error,
                            "the journal stream did not acknowledge a batch; sending it again with every batch after it"
                        );
                        let mut again: Vec<Part> = std::iter::once(part).chain(parts).collect();
                        let last = self.outgoing.back().map_or(number, |o| o.batch);
                        again.extend(self.outgoing.drain(..).flat_map(|o| o.parts));
                        self.resend(again)?;
                        self.sent = self.stored;
                        self.durable = last;
                        timer.observe_duration();
                        return Ok(());
                    }
                }
            }
            self.durable = number;
        }
        timer.observe_duration();
        Ok(())
    }

    fn depth(&self) -> usize {
        DEPTH
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
