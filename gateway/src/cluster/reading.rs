//! Reading the replicated journal back: a message into its records (every frame's checksums, and
//! the hash chain, checked as in a local segment), replay into an engine, the message holding a
//! record found by its sequence, and a cursor for consumers that keep their own offset.

use anyhow::{Context, bail, ensure};
use async_nats::jetstream::consumer::DeliverPolicy;
use async_nats::jetstream::consumer::pull::OrderedConfig;
use async_nats::jetstream::stream::RawMessageErrorKind;
use engine::Engine;
use engine::types::Seq;
use futures_util::StreamExt;

use super::Cluster;
use crate::journal::record::{ChainHash, Format, Frame, JournalRecord, decode};
use crate::runtime::Released;

/// Bytes before a message's frames: its first and last record's sequence.
pub const MESSAGE_HEADER: usize = 16;

/// A message of the journal stream, decoded.
#[derive(Debug)]
pub struct Message {
    /// Its stream sequence.
    pub at: u64,
    /// Its records, each with its chain hash.
    pub records: Vec<(JournalRecord, ChainHash)>,
}

impl Message {
    /// Decodes message `at`; any damage is an error naming the message and the byte.
    pub fn decode(at: u64, payload: &[u8]) -> anyhow::Result<Self> {
        ensure!(payload.len() >= MESSAGE_HEADER, "journal message {at} is cut short");
        let seq_at = |i: usize| {
            let mut word = [0; 8];
            word.copy_from_slice(&payload[i..i + 8]);
            Seq(u64::from_le_bytes(word))
        };
        let (first, last) = (seq_at(0), seq_at(8));
        let mut records = Vec::with_capacity((last.0.saturating_sub(first.0) + 1) as usize);
        let mut offset = MESSAGE_HEADER;
        while offset < payload.len() {
            let Frame::Whole { body, len, .. } = Format::Checked.read_frame(&payload[offset..])
            else {
                bail!("journal message {at} is damaged at byte {offset}");
            };
            let (record, hash) =
                decode(body).with_context(|| format!("journal message {at}, byte {offset}"))?;
            let expected = Seq(first.0 + records.len() as u64);
            ensure!(
                record.seq == expected,
                "journal message {at} holds record {} where {expected} belongs",
                record.seq
            );
            records.push((record, hash));
            offset += len;
        }
        ensure!(
            records.last().map(|(r, _)| r.seq) == Some(last),
            "journal message {at} does not end at record {last}"
        );
        Ok(Self { at, records })
    }

    /// The last record's sequence.
    pub fn last(&self) -> Seq {
        self.records.last().map_or(Seq(0), |(r, _)| r.seq)
    }
}

/// An engine brought forward record by record, as recovery does: each record must follow the
/// chain and produce exactly the events it holds.
#[derive(Debug)]
pub struct Replay {
    /// The engine.
    pub engine: Engine,
    /// Chain hash of the engine's last record.
    pub head: ChainHash,
}

impl Replay {
    /// From the start of the journal, or from `snapshot`.
    pub async fn start(cluster: &Cluster) -> anyhow::Result<(Self, u64)> {
        Ok(match super::snapshots::load(cluster).await? {
            Some(s) => (Self { engine: s.engine, head: s.head }, s.from),
            None => (Self { engine: Engine::new(), head: ChainHash::default() }, 1),
        })
    }

    /// Applies `record` unless the engine already holds it; returns it as released when applied.
    pub fn apply(
        &mut self,
        record: JournalRecord,
        hash: ChainHash,
    ) -> anyhow::Result<Option<Released>> {
        let at = self.engine.seq();
        if record.seq <= at {
            ensure!(
                record.seq < at || hash == self.head,
                "record {} of the journal stream is not the one the snapshot was taken after",
                record.seq
            );
            return Ok(None);
        }
        ensure!(record.seq == at.next(), "the journal stream skips from {at} to {}", record.seq);
        ensure!(record.prev == self.head, "record {} does not follow the chain", record.seq);
        let mut events = Vec::with_capacity(record.events.len());
        let seq = self.engine.apply(record.command.clone(), record.ts, &mut events);
        ensure!(
            events == record.events,
            "replay of record {seq} produced other events than the journal holds"
        );
        self.head = hash;
        Ok(Some(Released { seq, ts: record.ts, command: record.command, events }))
    }
}

/// The journal's messages from stream sequence `from` on, in order, as they come: an ordered
/// consumer of the node's own, which the server forgets once the node is gone.
pub async fn follow(
    cluster: &Cluster,
    from: u64,
) -> anyhow::Result<impl futures_util::Stream<Item = anyhow::Result<Message>> + use<>> {
    let stream = cluster.stream().await?;
    let consumer = stream
        .create_consumer(OrderedConfig {
            deliver_policy: DeliverPolicy::ByStartSequence { start_sequence: from.max(1) },
            ..Default::default()
        })
        .await
        .context("following the journal stream")?;
    let messages = consumer.messages().await.context("following the journal stream")?;
    Ok(messages.map(|message| {
        let message = message.map_err(|e| anyhow::anyhow!("reading the journal stream: {e}"))?;
        let at = message.info().map_err(|e| anyhow::anyhow!("{e}"))?.stream_sequence;
        Message::decode(at, &message.payload)
    }))
}

/// Message `at`, or none when the stream has no such message.
pub async fn fetch(cluster: &Cluster, at: u64) -> anyhow::Result<Option<Message>> {
    let stream = cluster.stream().await?;
    match stream.get_raw_message(at).await {
        Ok(message) => Ok(Some(Message::decode(at, &message.payload)?)),
        Err(error) if error.kind() == RawMessageErrorKind::NoMessageFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("reading journal message {at}")),
    }
}

/// The stream sequence of the message holding record `seq`, found by halving: messages hold
/// records in order.
pub async fn locate(cluster: &Cluster, seq: Seq) -> anyhow::Result<Option<u64>> {
    let (mut low, mut high) = (1, cluster.last_message().await?);
    let mut found = None;
    while low <= high {
        let middle = low + (high - low) / 2;
        let message = fetch(cluster, middle)
            .await?
            .with_context(|| format!("journal message {middle} is missing"))?;
        if message.last() >= seq {
            if message.records.first().is_some_and(|(r, _)| r.seq <= seq) {
                return Ok(Some(middle));
            }
            found = Some(middle);
            high = middle - 1;
        } else {
            low = middle + 1;
        }
    }
    Ok(found)
}

/// The record with sequence `seq`, if the journal holds it.
pub async fn record_at(cluster: &Cluster, seq: Seq) -> anyhow::Result<Option<JournalRecord>> {
    let Some(at) = locate(cluster, seq).await? else { return Ok(None) };
    let message = fetch(cluster, at).await?;
    Ok(message.and_then(|m| m.records.into_iter().map(|(r, _)| r).find(|r| r.seq == seq)))
}

/// The engine as it stood right after record `at`: from the snapshot when it is not newer, else
/// from the start, replayed.
pub async fn engine_at(cluster: &Cluster, at: Seq) -> anyhow::Result<Engine> {
    let (mut replay, mut from) = Replay::start(cluster).await?;
    if replay.engine.seq() > at {
        replay = Replay { engine: Engine::new(), head: ChainHash::default() };
        from = 1;
    }
    let mut cursor =
        Cursor { cluster: cluster.clone(), next: replay.engine.seq().next(), at: from };
    while replay.engine.seq() < at {
        let mut records = Vec::new();
        let read = cursor.read(at, 10_000, |record, hash| records.push((record, hash))).await?;
        ensure!(read > 0, "the journal stream ends at {} before {at}", replay.engine.seq());
        for (record, hash) in records {
            replay.apply(record, hash)?;
        }
    }
    Ok(replay.engine)
}

/// A consumer's place in the journal stream, for reading on from its own offset.
#[derive(Debug)]
pub struct Cursor {
    cluster: Cluster,
    next: Seq,
    at: u64,
}

impl Cursor {
    /// A cursor at the first record after `after`.
    pub async fn after(cluster: &Cluster, after: Seq) -> anyhow::Result<Self> {
        let at = match locate(cluster, after.next()).await? {
            Some(at) => at,
            None => cluster.last_message().await? + 1,
        };
        Ok(Self { cluster: cluster.clone(), next: after.next(), at })
    }

    /// Reads records from the next one up to `up_to`, at most about `max` of them (whole messages),
    /// passing each with its chain hash to `visit`. Returns how many were read.
    pub async fn read(
        &mut self,
        up_to: Seq,
        max: usize,
        mut visit: impl FnMut(JournalRecord, ChainHash),
    ) -> anyhow::Result<usize> {
        let mut count = 0;
        while self.next <= up_to && count < max {
            let Some(message) = fetch(&self.cluster, self.at).await? else { break };
            let last = message.last();
            for (record, hash) in message.records {
                if record.seq < self.next || record.seq > up_to {
                    continue;
                }
                ensure!(
                    record.seq == self.next,
                    "the journal skips from {} to {}",
                    self.next,
                    record.seq
                );
                self.next = self.next.next();
                count += 1;
                visit(record, hash);
            }
            // A message read only partly (it runs past `up_to`) is read again next time.
            if last < self.next {
                self.at += 1;
            }
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use engine::types::{Actor, ParticipantId, Seq, Timestamp, UserId};
    use engine::{Action, Command};

    use super::{MESSAGE_HEADER, Message};
    use crate::journal::record::{ChainHash, Encoder, JournalRecord};

    /// A message of two records as the owner frames them.
    fn message() -> Vec<u8> {
        let mut bytes = vec![0; MESSAGE_HEADER];
        bytes[..8].copy_from_slice(&7_u64.to_le_bytes());
        bytes[8..16].copy_from_slice(&8_u64.to_le_bytes());
        let (mut encoder, mut prev) = (Encoder::default(), ChainHash::default());
        for seq in [Seq(7), Seq(8)] {
            let command = Command::new(Actor::new(ParticipantId(1), UserId(1)), Action::Tick);
            let record =
                JournalRecord { seq, ts: Timestamp(1_000), prev, command, events: Vec::new() };
            prev = encoder.encode(seq, &record, &mut bytes).expect("encodes");
        }
        bytes
    }

    #[test]
    fn a_message_decodes_into_its_records_in_order() {
        let decoded = Message::decode(3, &message()).expect("a whole message");
        let seqs: Vec<_> = decoded.records.iter().map(|(r, _)| r.seq).collect();
        assert_eq!(seqs, [Seq(7), Seq(8)]);
        assert_eq!(decoded.records[1].0.prev, decoded.records[0].1, "the chain runs on");
        assert_eq!(decoded.last(), Seq(8));
    }

    /// A stream server that hands back a damaged message (a disk that lies) is caught, whatever
    /// byte is wrong: every flip of every bit after the header is refused, naming the message.
    #[test]
    fn any_damaged_byte_of_a_message_is_refused_naming_it() {
        let whole = message();
        for at in MESSAGE_HEADER..whole.len() {
            for bit in 0..8 {
                let mut damaged = whole.clone();
                damaged[at] ^= 1 << bit;
                let refused = Message::decode(3, &damaged).expect_err("damage is refused");
                assert!(format!("{refused:#}").contains("message 3"), "{refused:#}");
            }
        }
        // A header that names other records than the frames hold is refused too.
        let mut lying = whole.clone();
        lying[8..16].copy_from_slice(&9_u64.to_le_bytes());
        assert!(Message::decode(3, &lying).is_err());
        assert!(Message::decode(3, &whole[..MESSAGE_HEADER - 1]).is_err());
    }
}
