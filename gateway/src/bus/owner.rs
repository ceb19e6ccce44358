//! The owner's side of the bus: every released batch goes into the `released` stream, and
//! forwarded commands and copy requests are served from the `commands` list, each answered on its
//! edge's reply list once durable.

use engine::types::Seq;
use tokio::sync::broadcast;

use super::{Answer, Ask, Bus, Forwarded, Reply, STREAM_KEEP};
use crate::runtime::{EngineHandle, ReleasedBatch, SubmitError};

/// How long an unread reply list lives: an edge that went away leaves no garbage behind.
const REPLY_TTL_SECONDS: u64 = 60;

/// Starts the owner's publisher and command server. `released` must be subscribed before any
/// batch after `durable` is released.
pub async fn serve_owner(
    bus: Bus,
    handle: EngineHandle,
    released: broadcast::Receiver<ReleasedBatch>,
    durable: Seq,
) -> anyhow::Result<()> {
    reset_if_ahead(&bus, durable).await?;
    tokio::spawn(publish(bus.clone(), released));
    let commands = bus.blocking().await?;
    tokio::spawn(serve_commands(bus, commands, handle));
    Ok(())
}

/// A stream ahead of this journal belongs to a market that is gone (a fresh data folder under the
/// same namespace): it is dropped, and edges resynchronise from a fresh copy.
async fn reset_if_ahead(bus: &Bus, durable: Seq) -> anyhow::Result<()> {
    let head = bus.released_head().await?;
    let head = head.and_then(|id| id.split('-').next()?.parse::<u64>().ok());
    if head.is_some_and(|head| head > durable.0) {
        tracing::warn!(?head, %durable, "the released stream is ahead of this journal; dropping it");
        let mut conn = bus.conn.clone();
        let _: () = redis::cmd("DEL").arg(bus.key("released")).query_async(&mut conn).await?;
    }
    Ok(())
}

async fn publish(bus: Bus, mut released: broadcast::Receiver<ReleasedBatch>) {
    let mut conn = bus.conn.clone();
    let key = bus.key("released");
    loop {
        let batch = match released.recv().await {
            Ok(batch) => batch,
            // Edges see the gap in sequence and take a fresh copy.
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "the bus publisher lagged behind released batches");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let Some(last) = batch.last().map(|r| r.seq) else { continue };
        let bytes = match postcard::to_stdvec(batch.as_slice()) {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::error!(%error, "encoding a released batch for the bus");
                continue;
            }
        };
        let added: redis::RedisResult<String> = redis::cmd("XADD")
            .arg(&key)
            .arg("MAXLEN")
            .arg("~")
            .arg(STREAM_KEEP)
            .arg(format!("{}-0", last.0))
            .arg("b")
            .arg(bytes)
            .query_async(&mut conn)
            .await;
        if let Err(error) = added {
            tracing::warn!(%error, seq = %last, "publishing a released batch on the bus");
        }
    }
}

async fn serve_commands(
    bus: Bus,
    mut blocking: redis::aio::MultiplexedConnection,
    handle: EngineHandle,
) {
    let key = bus.key("commands");
    loop {
        let bytes = match Bus::pop(&mut blocking, &key).await {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                if handle.is_closed() {
                    return;
                }
                continue;
            }
            Err(error) => {
                tracing::warn!(%error, "reading forwarded commands; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                continue;
            }
        };
        let Ok(request) = postcard::from_bytes::<Forwarded>(&bytes) else {
            tracing::warn!("a forwarded request that does not decode; dropped");
            continue;
        };
        // Each request waits for its own durable outcome; many are in flight at once.
        tokio::spawn(answer(bus.clone(), handle.clone(), request));
    }
}

async fn answer(bus: Bus, handle: EngineHandle, request: Forwarded) {
    let refused = |e: SubmitError| Answer::Refused { overloaded: e == SubmitError::Overloaded };
    let answer = match request.ask {
        Ask::Apply(command) => handle.submit(command).await.map_or_else(refused, Answer::Outcome),
        Ask::Copy => {
            handle.copy_engine().await.map_or_else(refused, |e| Answer::Copy(e.snapshot()))
        }
    };
    let Ok(bytes) = postcard::to_stdvec(&Reply { id: request.id, answer }) else { return };
    let key = bus.key(&format!("replies:{}", request.edge));
    let mut conn = bus.conn.clone();
    let sent: redis::RedisResult<()> = redis::pipe()
        .cmd("LPUSH")
        .arg(&key)
        .arg(bytes)
        .ignore()
        .cmd("EXPIRE")
        .arg(&key)
        .arg(REPLY_TTL_SECONDS)
        .ignore()
        .query_async(&mut conn)
        .await;
    if let Err(error) = sent {
        tracing::warn!(%error, edge = request.edge, "answering a forwarded request");
    }
}
