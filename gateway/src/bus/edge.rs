//! The edge's side of the bus: an [`EngineHandle`] whose requests are forwarded to the owner, and
//! a broadcast of the owner's released batches read from the `released` stream. Everything built
//! on those two (the replica, the feed hub, the HTTP API) runs on an edge as it does on the owner.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use redis::streams::StreamReadReply;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::{Answer, Ask, BLOCK_MS, Bus, Forwarded, Reply};
use crate::runtime::handle::Request;
use crate::runtime::{EngineHandle, Outcome, Released, ReleasedBatch};

/// Requests an edge may have waiting to be forwarded.
const QUEUE: usize = 8_192;

/// What waits for an answer from the owner.
enum Waiting {
    Outcome(oneshot::Sender<Outcome>),
    Copy(oneshot::Sender<engine::Engine>),
}

type Pending = Arc<Mutex<HashMap<u64, Waiting>>>;

/// Starts an edge node's link to the owner: the handle to submit through, and the released
/// batches, to subscribe to before starting a replica.
pub async fn start_edge(
    bus: Bus,
) -> anyhow::Result<(EngineHandle, broadcast::Sender<ReleasedBatch>)> {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let edge = format!("{:016x}", OsRng.next_u64());
    let (released, _) = broadcast::channel(1_024);
    // An edge reads on from the newest entry; its replica's copy, taken after this, is at least
    // as new, so nothing falls between.
    let from = bus.released_head().await?.unwrap_or_else(|| "0-0".to_string());
    tokio::spawn(follow(bus.clone(), bus.blocking().await?, from, released.clone()));
    let pending: Pending = Arc::default();
    tokio::spawn(receive_replies(
        bus.clone(),
        bus.blocking().await?,
        edge.clone(),
        pending.clone(),
    ));
    let (tx, rx) = mpsc::channel(QUEUE);
    tokio::spawn(forward(bus, edge, rx, pending));
    Ok((EngineHandle { tx }, released))
}

async fn follow(
    bus: Bus,
    mut conn: redis::aio::MultiplexedConnection,
    mut from: String,
    released: broadcast::Sender<ReleasedBatch>,
) {
    let key = bus.key("released");
    loop {
        let read: redis::RedisResult<Option<StreamReadReply>> = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(256)
            .arg("BLOCK")
            .arg(BLOCK_MS)
            .arg("STREAMS")
            .arg(&key)
            .arg(&from)
            .query_async(&mut conn)
            .await;
        let reply = match read {
            Ok(Some(reply)) => reply,
            Ok(None) => continue,
            Err(error) => {
                tracing::warn!(%error, "reading released batches from the bus; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                continue;
            }
        };
        for entry in reply.keys.into_iter().flat_map(|k| k.ids) {
            from.clone_from(&entry.id);
            let Some(bytes) = entry.get::<Vec<u8>>("b") else { continue };
            match postcard::from_bytes::<Vec<Released>>(&bytes) {
                // Nobody listening yet is fine: the replica starts from a copy.
                Ok(batch) => drop(released.send(Arc::new(batch))),
                Err(error) => {
                    tracing::error!(%error, id = entry.id, "a released batch that does not decode")
                }
            }
        }
    }
}

async fn forward(bus: Bus, edge: String, mut requests: mpsc::Receiver<Request>, pending: Pending) {
    // One task numbers every request: a plain counter will do.
    let mut next: u64 = 0;
    let key = bus.key("commands");
    let mut conn = bus.conn.clone();
    while let Some(request) = requests.recv().await {
        next += 1;
        let id = next;
        let (ask, waiting) = match request {
            Request::Apply { command, reply } => (Ask::Apply(command), Waiting::Outcome(reply)),
            Request::Copy { reply } => (Ask::Copy, Waiting::Copy(reply)),
            // The owner's engine is not this node's to stop.
            Request::Shutdown { reply } => {
                let _ = reply.send(());
                return;
            }
        };
        let Ok(bytes) = postcard::to_stdvec(&Forwarded { edge: edge.clone(), id, ask }) else {
            continue;
        };
        lock(&pending).insert(id, waiting);
        let pushed: redis::RedisResult<()> =
            redis::cmd("LPUSH").arg(&key).arg(bytes).query_async(&mut conn).await;
        if let Err(error) = pushed {
            // Dropping the waiter tells the caller the marketplace is unavailable.
            tracing::warn!(%error, "forwarding a request to the owner");
            lock(&pending).remove(&id);
        }
    }
}

fn lock(pending: &Pending) -> std::sync::MutexGuard<'_, HashMap<u64, Waiting>> {
    pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn receive_replies(
    bus: Bus,
    mut conn: redis::aio::MultiplexedConnection,
    edge: String,
    pending: Pending,
) {
    let key = bus.key(&format!("replies:{edge}"));
    loop {
        let bytes = match Bus::pop(&mut conn, &key).await {
            Ok(Some(bytes)) => bytes,
            Ok(None) => continue,
            Err(error) => {
                tracing::warn!(%error, "reading the owner's replies; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                continue;
            }
        };
        let Ok(Reply { id, answer }) = postcard::from_bytes::<Reply>(&bytes) else { continue };
        let Some(waiting) = lock(&pending).remove(&id) else { continue };
        match (waiting, answer) {
            (Waiting::Outcome(reply), Answer::Outcome(outcome)) => drop(reply.send(outcome)),
            (Waiting::Copy(reply), Answer::Copy(snapshot)) => {
                match engine::Engine::restore(&snapshot) {
                    Ok(engine) => drop(reply.send(engine)),
                    Err(error) => {
                        tracing::error!(%error, "the owner's engine copy does not restore")
                    }
                }
            }
            // A refusal or a mismatch: the waiter is dropped, so the caller hears "unavailable".
            (_, Answer::Refused { overloaded }) => {
                tracing::debug!(overloaded, "the owner refused a forwarded request");
            }
            _ => tracing::error!(id, "an answer of the wrong kind"),
        }
    }
}
