//! A market beyond one machine, on NATS JetStream: the journal is a replicated stream, ownership is
//! a lease in a key-value bucket, snapshots live in an object store, and edge nodes reach the owner
//! by request-reply. Turned on by `NATS_URL`; without it a node keeps its journal in local files.
//!
//! Every name is the market's own (`APP_MARKET`, `zj` say), so markets on one cluster never see
//! each other:
//! - stream `JOURNAL_<market>` on subject `market.<market>.journal`: one message per part of a batch,
//!   `first seq: u64 LE | last seq: u64 LE | frames`, the frames exactly as in a journal segment
//!   (checksummed, hash-chained). The owner appends with the stream sequence it expects last
//!   (`Nats-Expected-Last-Sequence`): an owner that lost its lease finds its append refused, so
//!   there is never a second history. The message id carries the owner's lease revision, so a
//!   retry after a lost acknowledgement is stored once, and never taken for another owner's message.
//! - bucket `LEASE_<market>`, key `owner`: who owns the market; renewed by revision-checked
//!   updates (see [`lease`]).
//! - object store `SNAPSHOTS_<market>`, object `engine`: the newest snapshot, with the stream
//!   sequence its replay starts from, so a node starts with an empty disk.
//! - subject `market.<market>.commands`: forwarded commands, served by the owner alone.
//!
//! - [`journal`]: the owner's appending end.
//! - [`reading`]: messages back into records, a record found by its sequence, an engine rebuilt.
//! - [`warm`]: an engine kept current from the stream (standbys, edges).
//! - [`lease`]: taking, renewing and watching ownership.
//! - [`commands`]: forwarding commands with a deadline, and serving them.
//! - [`snapshots`]: engine snapshots in the object store.

pub mod commands;
pub mod journal;
pub mod lease;
pub mod reading;
pub mod snapshots;
pub mod warm;

use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream;

/// The key, beside the lease, that marks a demo market.
const DEMO_KEY: &str = "demo";

/// How long the stream remembers message ids for deduplicating a retried append.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// How a node reaches the cluster.
#[derive(Clone, Debug)]
pub struct ClusterSettings {
    /// `nats://host:port[,nats://...]`, with `user:password@` where the servers want it.
    pub url: String,
    /// The market's name: its stream, lease, subjects.
    pub market: String,
    /// Copies of the stream, lease and snapshots: 3 on a production cluster, 1 on a single server.
    pub replicas: usize,
    /// A NATS credentials file (JWT and nkey seed), where the servers use them.
    pub credentials: Option<std::path::PathBuf>,
    /// How long an owner's lease lasts without renewal.
    pub lease: Duration,
    /// How long an edge waits for the owner's answer before telling its client the outcome is
    /// unknown.
    pub deadline: Duration,
}

impl ClusterSettings {
    /// Replicas unless set: a market survives the loss of any one of three servers.
    pub const REPLICAS: usize = 3;
    /// The lease period unless set: a standby serves within about this long of the owner's death.
    pub const LEASE: Duration = Duration::from_millis(2_000);
    /// The forwarding deadline unless set.
    pub const DEADLINE: Duration = Duration::from_millis(5_000);
}

/// A connection to the cluster, for one market.
#[derive(Clone)]
pub struct Cluster {
    client: async_nats::Client,
    js: jetstream::Context,
    settings: ClusterSettings,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cluster({})", self.settings.market)
    }
}

impl Cluster {
    /// Connects, and makes the market's stream, lease bucket and snapshot store where missing.
    pub async fn connect(settings: ClusterSettings) -> anyhow::Result<Self> {
        anyhow::ensure!(
            !settings.market.is_empty()
                && settings.market.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "a market's name is letters, digits and _ (it names streams and subjects): {:?}",
            settings.market
        );
        let mut options = async_nats::ConnectOptions::new()
            .name(format!("marketplace-{}", settings.market))
            .request_timeout(Some(Duration::from_secs(5)));
        if let Some(path) = &settings.credentials {
            options = options
                .credentials_file(path)
                .await
                .with_context(|| format!("reading NATS credentials from {}", path.display()))?;
        }
        let servers = settings
            .url
            .split(',')
            .map(|url| url.trim().parse::<async_nats::ServerAddr>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| anyhow::anyhow!("NATS_URL is not a list of nats:// URLs"))?;
        // Credentials in the URL (`nats://user:password@host`, or a token as `nats://token@host`)
        // are the client's to present; the client reads them from its options only.
        if let Some(server) = servers.iter().find(|s| s.has_user_pass()) {
            let user = server.username().unwrap_or_default().to_string();
            options = match server.password() {
                Some(password) => options.user_and_password(user, password.to_string()),
                None => options.token(user),
            };
        }
        let shown = redacted(&settings.url);
        let client = tokio::time::timeout(Duration::from_secs(10), options.connect(servers))
            .await
            .map_err(|_| anyhow::anyhow!("no NATS server answered at {shown} within 10 s"))?
            .with_context(|| format!("connecting to NATS at {shown}"))?;
        let mut js = jetstream::new(client.clone());
        js.set_timeout(Duration::from_secs(2));
        let cluster = Self { client, js, settings };
        cluster.ensure().await?;
        Ok(cluster)
    }

    /// The market's settings.
    pub fn settings(&self) -> &ClusterSettings {
        &self.settings
    }

    /// The market's name.
    pub fn market(&self) -> &str {
        &self.settings.market
    }

    fn stream_name(&self) -> String {
        format!("JOURNAL_{}", self.settings.market)
    }

    fn journal_subject(&self) -> String {
        format!("market.{}.journal", self.settings.market)
    }

    fn commands_subject(&self) -> String {
        format!("market.{}.commands", self.settings.market)
    }

    fn lease_bucket(&self) -> String {
        format!("LEASE_{}", self.settings.market)
    }

    fn snapshot_bucket(&self) -> String {
        format!("SNAPSHOTS_{}", self.settings.market)
    }

    async fn ensure(&self) -> anyhow::Result<()> {
        let replicas = self.settings.replicas;
        self.js
            .get_or_create_stream(jetstream::stream::Config {
                name: self.stream_name(),
                subjects: vec![self.journal_subject()],
                storage: jetstream::stream::StorageType::File,
                num_replicas: replicas,
                duplicate_window: DUPLICATE_WINDOW,
                deny_delete: true,
                deny_purge: true,
                ..Default::default()
            })
            .await
            .with_context(|| {
                format!("making the journal stream {} ({replicas} replicas)", self.stream_name())
            })?;
        // The lease bucket's stream, made as the key-value layer makes it (history 1, rollups,
        // direct reads): the client's own bucket creation first asks for account details that a
        // 2.9 server answers in a form it does not read.
        if self.js.get_key_value(self.lease_bucket()).await.is_err() {
            self.js
                .get_or_create_stream(jetstream::stream::Config {
                    name: format!("KV_{}", self.lease_bucket()),
                    subjects: vec![format!("$KV.{}.>", self.lease_bucket())],
                    max_messages_per_subject: 1,
                    storage: jetstream::stream::StorageType::File,
                    num_replicas: replicas,
                    allow_rollup: true,
                    deny_delete: true,
                    allow_direct: true,
                    discard: jetstream::stream::DiscardPolicy::New,
                    ..Default::default()
                })
                .await
                .with_context(|| format!("making the lease bucket {}", self.lease_bucket()))?;
        }
        if self.js.get_object_store(self.snapshot_bucket()).await.is_err() {
            self.js
                .create_object_store(jetstream::object_store::Config {
                    bucket: self.snapshot_bucket(),
                    num_replicas: replicas,
                    storage: jetstream::stream::StorageType::File,
                    ..Default::default()
                })
                .await
                .with_context(|| format!("making the snapshot store {}", self.snapshot_bucket()))?;
        }
        Ok(())
    }

    /// The journal stream.
    async fn stream(&self) -> anyhow::Result<jetstream::stream::Stream> {
        self.js.get_stream(self.stream_name()).await.context("opening the journal stream")
    }

    /// The stream sequence of the journal's last message (0 when empty).
    pub async fn last_message(&self) -> anyhow::Result<u64> {
        let mut stream = self.stream().await?;
        Ok(stream.info().await.context("reading the journal stream's state")?.state.last_sequence)
    }

    /// Marks the market as a demo whose passwords are public, for every node to say so.
    pub async fn mark_demo(&self) -> anyhow::Result<()> {
        let kv = self.js.get_key_value(self.lease_bucket()).await?;
        kv.put(DEMO_KEY, "demo province with public passwords".into())
            .await
            .context("marking the market as a demo")?;
        Ok(())
    }

    /// True for a demo market.
    pub async fn is_demo(&self) -> anyhow::Result<bool> {
        let kv = self.js.get_key_value(self.lease_bucket()).await?;
        let entry = kv.entry(DEMO_KEY).await.context("reading the demo mark")?;
        Ok(entry.is_some_and(|e| e.operation == jetstream::kv::Operation::Put))
    }

    /// True when the NATS connection is up.
    pub fn connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }
}

/// The server URLs without their credentials, for messages.
fn redacted(urls: &str) -> String {
    urls.split(',')
        .map(|url| match (url.find("://"), url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                format!("{}://***@{}", &url[..scheme], &url[at + 1..])
            }
            _ => url.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    #[test]
    fn credentials_never_show_in_messages() {
        assert_eq!(
            super::redacted("nats://u:secret@a:4222, nats://b:4222,tls://t0ken@c:4222"),
            "nats://***@a:4222, nats://b:4222,tls://***@c:4222"
        );
    }
}
