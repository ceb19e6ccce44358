//! Engine snapshots in the cluster's object store, so a node with an empty disk starts from the
//! newest one and replays only the stream after it. One object, `engine`, replaced by each new
//! snapshot: the store keeps the old one until the new one is whole.
//!
//! Object: `GPSNAPC1 | crc32c(body): u32 LE | body`, the body postcard of the snapshot's fields.

use anyhow::{Context, ensure};
use async_nats::jetstream::object_store::GetErrorKind;
use engine::Engine;
use engine::types::Seq;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;

use super::Cluster;
use crate::journal::record::ChainHash;

const MAGIC: &[u8; 8] = b"GPSNAPC1";
const OBJECT: &str = "engine";

#[derive(Serialize, Deserialize)]
struct SnapshotObject {
    seq: Seq,
    head: ChainHash,
    /// The stream message replay starts from: the one holding record `seq + 1`.
    from: u64,
    engine: Vec<u8>,
}

/// A snapshot loaded from the cluster.
#[derive(Debug)]
pub struct Loaded {
    /// The engine as it was after record `seq`.
    pub engine: Engine,
    /// Chain hash of record `seq`.
    pub head: ChainHash,
    /// The stream message replay starts from.
    pub from: u64,
}

/// Keeps a snapshot taken after record `seq` (chain hash `head`); replay after it starts at stream
/// message `from`.
pub async fn save(
    cluster: &Cluster,
    seq: Seq,
    head: ChainHash,
    from: u64,
    engine: Vec<u8>,
) -> anyhow::Result<()> {
    let body = postcard::to_stdvec(&SnapshotObject { seq, head, from, engine })?;
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&crc32c::crc32c(&body).to_le_bytes());
    bytes.extend_from_slice(&body);
    let store = cluster.js.get_object_store(cluster.snapshot_bucket()).await?;
    store.put(OBJECT, &mut bytes.as_slice()).await.context("storing the snapshot")?;
    Ok(())
}

/// The newest snapshot, if there is one. One that does not check out is an error, not a reason to
/// replay from the start silently: the operator decides.
pub async fn load(cluster: &Cluster) -> anyhow::Result<Option<Loaded>> {
    let store = cluster.js.get_object_store(cluster.snapshot_bucket()).await?;
    let mut object = match store.get(OBJECT).await {
        Ok(object) => object,
        Err(error) if error.kind() == GetErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error).context("reading the snapshot"),
    };
    let mut bytes = Vec::new();
    object.read_to_end(&mut bytes).await.context("reading the snapshot")?;
    let rest = bytes.strip_prefix(MAGIC.as_slice()).context("not a snapshot object")?;
    ensure!(rest.len() >= 4, "snapshot object cut short");
    let (crc, body) = rest.split_at(4);
    ensure!(crc32c::crc32c(body).to_le_bytes() == crc, "snapshot object checksum mismatch");
    let object: SnapshotObject = postcard::from_bytes(body)?;
    let engine = Engine::restore(&object.engine)?;
    ensure!(engine.seq() == object.seq, "snapshot sequence disagrees with its engine");
    Ok(Some(Loaded { engine, head: object.head, from: object.from }))
}
