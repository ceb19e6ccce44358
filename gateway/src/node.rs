//! A marketplace node that owns its data folder: the exclusive lock (a second process on the same
//! folder refuses to start), the journal on the file system, the engine task recovered from it, the
//! database and the persister following the journal into it.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use engine::types::Seq;

use crate::demo::{self, DemoProvince, JournalSink};
use crate::journal::access::JournalAccess;
use crate::journal::storage::{FileStorage, Storage};
use crate::journal::{Layout, reader};
use crate::persist::Database;
use crate::persist::persister::Persister;
use crate::runtime::followers::Followers;
use crate::runtime::{Clock, Runtime, RuntimeConfig, SystemClock};

/// Where a node keeps its data and which database it writes.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The data folder: journal, snapshots, and the SQLite file by default.
    pub data_dir: PathBuf,
    /// `postgres://...` for PostgreSQL; none for the embedded SQLite file.
    pub database_url: Option<String>,
    /// The engine task's settings.
    pub runtime: RuntimeConfig,
    /// Redis, for edge nodes and what nodes share; none for a node serving alone.
    pub redis_url: Option<String>,
    /// The namespace of this market's keys in Redis.
    pub redis_namespace: String,
    /// Thresholds of the early warnings.
    pub thresholds: engine::analytics::Thresholds,
    /// The sealing key file; by default next to the data folder, never inside it.
    pub sealing_key_file: Option<PathBuf>,
    /// Request rates and each participant's share of the engine's queue.
    pub limits: crate::http::LimitsConfig,
    /// The token signing key file, shared by a market's nodes (never kept in Redis); by default
    /// `<data folder>.token-key` beside the data folder.
    pub token_key_file: Option<PathBuf>,
    /// The cluster the market's journal is replicated on; none for the local file journal.
    pub cluster: Option<crate::cluster::ClusterSettings>,
    /// Days of history a fresh demo market is given before today (none: it starts today).
    pub demo_history_days: u32,
}

/// The file that marks a data folder as holding the demo province.
pub const DEMO_MARKER: &str = "DEMO";

/// The namespace of a market's keys in Redis unless set otherwise.
pub const REDIS_NAMESPACE: &str = "market";

impl Settings {
    /// The sealing key file in use: the one set, or `<data folder>.sealing-key` beside it.
    pub fn sealing_key_path(&self) -> PathBuf {
        self.sealing_key_file.clone().unwrap_or_else(|| {
            let mut name = self.data_dir.file_name().unwrap_or_default().to_os_string();
            name.push(".sealing-key");
            self.data_dir.with_file_name(name)
        })
    }

    /// The token signing key file in use.
    pub fn token_key_path(&self) -> PathBuf {
        self.token_key_file.clone().unwrap_or_else(|| {
            let mut name = self.data_dir.file_name().unwrap_or_default().to_os_string();
            name.push(".token-key");
            self.data_dir.with_file_name(name)
        })
    }

    /// The token keys: from the key file every node of the market shares.
    pub fn tokens(&self) -> anyhow::Result<crate::auth::Tokens> {
        let key = crate::sealing::load_or_create(&self.token_key_path())?;
        Ok(crate::auth::Tokens::from_key(key))
    }

    /// The sealer of this node's quotes.
    pub fn sealer(&self) -> anyhow::Result<Arc<crate::sealing::Sealer>> {
        Ok(Arc::new(crate::sealing::Sealer::new(self.sealing_key_path(), &self.data_dir)?))
    }

    /// The PostgreSQL schema of the market's rows: its own for a market on a cluster, so markets
    /// may share a database; the default schema otherwise.
    pub fn schema(&self) -> Option<String> {
        self.cluster.as_ref().map(|c| format!("market_{}", c.market))
    }

    /// The database URL in use.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!("sqlite://{}", self.data_dir.join("marketplace.db").display())
        })
    }
}

/// A running node.
#[derive(Debug)]
pub struct Node {
    /// The engine task.
    pub runtime: Runtime,
    /// The database.
    pub db: Database,
    /// The persister.
    pub persister: Persister,
    /// The publisher of notices and OCDS releases.
    pub publisher: crate::publish::publisher::Publisher,
    /// The read replica.
    pub replica: crate::read::Replica,
    /// The live feed hub.
    pub hub: Arc<crate::feed::Hub>,
    /// The journal's storage.
    pub storage: Arc<dyn Storage>,
    /// The data folder's layout.
    pub layout: Layout,
    /// The engine task's clock.
    pub clock: Arc<dyn Clock>,
    /// Candles, reference prices and alerts.
    pub prices: crate::prices::PriceDesk,
    /// Token keys: shared through Redis with edge nodes, or this node's own.
    pub tokens: Arc<crate::auth::Tokens>,
    /// Failed-login counts.
    pub logins: Arc<crate::auth::LoginLimiter>,
    /// Seals quotes and opens rounds.
    pub sealer: Arc<crate::sealing::Sealer>,
    /// Redis, where this node shares it with edge nodes.
    pub bus: Option<crate::bus::Bus>,
    /// Request rates and each participant's share of the engine's queue.
    pub limits: Arc<crate::http::Limits>,
    /// True for a demo market (public passwords): every page and `GET /me` say so.
    pub demo: bool,
    /// The security log, kept in the database.
    pub security: crate::audit::SecurityLog,
    /// The journal, to read back.
    pub journal: JournalAccess,
    /// On a cluster: the lease this node owns the market by, and the command server's stop.
    pub ownership: Option<Ownership>,
    /// The followers' pool, opened from their runtime (see [`Followers`]).
    follower_db: Database,
    /// The runtime of the persister, the publisher and the price history: dropped after them.
    _followers: Followers,
    _lock: File,
}

/// What owning a market on a cluster holds.
#[derive(Debug)]
pub struct Ownership {
    /// The cluster.
    pub cluster: crate::cluster::Cluster,
    /// The lease.
    pub lease: crate::cluster::lease::Lease,
    _serving: tokio::sync::oneshot::Sender<()>,
}

/// What starting the engine task left: the runtime, the demo province when one was loaded, and
/// whether the market is a demo.
struct Started {
    runtime: Runtime,
    province: Option<DemoProvince>,
    demo: bool,
}

/// Takes the data folder's exclusive lock, held for the life of the returned file.
pub fn lock(dir: &std::path::Path) -> anyhow::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("LOCK"))
        .context("opening the data folder's lock file")?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            bail!("another process owns the data folder {}", dir.display())
        }
        Err(std::fs::TryLockError::Error(e)) => Err(e).context("locking the data folder"),
    }
}

impl Node {
    /// Opens the data folder, loading the demo province into it first when `demo` is set and the
    /// folder holds no journal yet. Returns the demo province when it was loaded.
    pub async fn open(
        settings: &Settings,
        demo: bool,
    ) -> anyhow::Result<(Self, Option<DemoProvince>)> {
        Self::open_with_clock(settings, demo, Arc::new(SystemClock)).await
    }

    /// As [`Self::open`], with the engine's time from `clock`.
    pub async fn open_with_clock(
        settings: &Settings,
        demo: bool,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<(Self, Option<DemoProvince>)> {
        Self::open_standing_by(settings, demo, clock, &tokio::sync::watch::channel(None).0).await
    }

    /// As [`Self::open_with_clock`]; on a cluster, `owner` learns which node owns the market
    /// while this one stands by.
    pub async fn open_standing_by(
        settings: &Settings,
        demo: bool,
        clock: Arc<dyn Clock>,
        owner: &tokio::sync::watch::Sender<Option<String>>,
    ) -> anyhow::Result<(Self, Option<DemoProvince>)> {
        let sealer = settings.sealer()?;
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating the data folder {}", settings.data_dir.display()))?;
        let lock = lock(&settings.data_dir)?;
        let storage: Arc<dyn Storage> = Arc::new(FileStorage::new());
        let layout = Layout::new(&settings.data_dir);
        let (Started { runtime, province, demo: is_demo }, journal, cluster) = match &settings
            .cluster
        {
            None => {
                let started =
                    Self::start_on_files(settings, demo, &clock, &storage, &layout, &sealer)
                        .await?;
                let journal =
                    JournalAccess::Files { storage: storage.clone(), layout: layout.clone() };
                (started, journal, None)
            }
            Some(cluster) => {
                let cluster = crate::cluster::Cluster::connect(cluster.clone()).await?;
                let (started, lease) =
                    Self::take_ownership(&cluster, settings, demo, &clock, owner, &sealer).await?;
                (started, JournalAccess::Stream(Box::new(cluster.clone())), Some((cluster, lease)))
            }
        };
        let db =
            Database::connect_in(&settings.database_url(), settings.schema().as_deref()).await?;
        // The work each order causes after its answer runs at a lower priority than the answers.
        let followers = Followers::start()?;
        // The followers' own pool, opened from their runtime: SQLite's connections are threads,
        // which then run at its priority; PostgreSQL's are sockets, which then belong to its I/O
        // driver and never keep an HTTP read waiting on a lowered thread.
        let follower_db = {
            let (url, schema) = (settings.database_url(), settings.schema());
            followers
                .run(async move { Database::connect_in(&url, schema.as_deref()).await })
                .await??
        };
        let crate::read::ReadSide { replica, hub, prices } = crate::read::ReadSide::start(
            runtime.handle(),
            runtime.subscribe(),
            settings.thresholds,
            Some((follower_db.clone(), followers.handle().clone())),
        )
        .await?;
        hub.limit_sockets(settings.limits.sockets_per_participant);
        crate::runtime::deadlines::start(
            runtime.handle(),
            replica.clone(),
            clock.clone(),
            sealer.clone(),
        );
        let marks = crate::journal::marks::Marks::new(
            runtime.consumers_passed(),
            &[crate::persist::PERSISTER, crate::publish::PUBLISHER],
        );
        let persister = followers.enter(|| {
            Persister::start(follower_db.clone(), journal.clone(), runtime.durable(), marks.clone())
        });
        let publisher = followers.enter(|| {
            crate::publish::publisher::Publisher::start(
                follower_db.clone(),
                journal.clone(),
                runtime.durable(),
                marks,
            )
        });
        let security = crate::audit::SecurityLog::start(crate::audit::Store::Database(db.clone()));
        let mut shared_bus = None;
        let (tokens, logins) = match &settings.redis_url {
            Some(url) => {
                let bus = crate::bus::Bus::connect(url, &settings.redis_namespace).await?;
                shared_bus = Some(bus.clone());
                hub.share_tickets(bus.clone());
                crate::audit::take_edge_entries(bus.clone(), security.clone()).await?;
                let tokens = settings.tokens()?.sharing_revocations(bus.clone());
                (tokens, crate::auth::LoginLimiter::shared(bus))
            }
            None => (settings.tokens()?, crate::auth::LoginLimiter::default()),
        };
        let ownership = match cluster {
            Some((cluster, lease)) => Some(Ownership {
                _serving: crate::cluster::commands::serve(&cluster, runtime.handle()).await?,
                cluster,
                lease,
            }),
            None => None,
        };
        let node = Self {
            runtime,
            db,
            persister,
            publisher,
            replica,
            hub,
            storage,
            layout,
            clock,
            prices,
            tokens: Arc::new(tokens),
            logins: Arc::new(logins),
            sealer,
            bus: shared_bus,
            limits: crate::http::Limits::start(settings.limits),
            demo: is_demo,
            security,
            journal,
            ownership,
            follower_db,
            _followers: followers,
            _lock: lock,
        };
        Ok((node, province))
    }

    /// Recovers the engine from the journal in the data folder, loading the demo province into a
    /// fresh one first when `demo` is set.
    async fn start_on_files(
        settings: &Settings,
        demo: bool,
        clock: &Arc<dyn Clock>,
        storage: &Arc<dyn Storage>,
        layout: &Layout,
        sealer: &Arc<crate::sealing::Sealer>,
    ) -> anyhow::Result<Started> {
        let fresh = storage.list(&layout.journal_dir())?.is_empty();
        let mut province = None;
        if demo && fresh {
            let (storage, layout, now) = (storage.clone(), layout.clone(), clock.now());
            let (days, sealer) = (settings.demo_history_days, sealer.clone());
            province = Some(
                tokio::task::spawn_blocking(move || -> anyhow::Result<DemoProvince> {
                    let start = demo::history::start(now, days);
                    let mut sink = JournalSink::create(storage, layout, start)?;
                    let province = demo::load_with_history(&mut sink, start, now, Some(&sealer))?;
                    sink.finish()?;
                    Ok(province)
                })
                .await??,
            );
            // Remembered beside the journal, so every later start knows this market is a demo
            // and says so on every page and in `GET /me`.
            std::fs::write(
                settings.data_dir.join(DEMO_MARKER),
                "demo province with public passwords\n",
            )
            .context("marking the data folder as a demo")?;
        }
        let is_demo = settings.data_dir.join(DEMO_MARKER).exists();
        let runtime = {
            let (storage, layout, config) = (storage.clone(), layout.clone(), settings.runtime);
            let clock = clock.clone();
            tokio::task::spawn_blocking(move || Runtime::start(storage, layout, clock, config))
                .await??
        };
        if let Some(torn) = &runtime.recovery.torn {
            tracing::warn!(path = %torn.path.display(), offset = torn.offset, bytes = torn.bytes, "cut off a torn final journal record");
        }
        Ok(Started { runtime, province, demo: is_demo })
    }

    /// Follows the market's stream with a warm engine until this node holds the lease (standing
    /// by meanwhile), reads the stream to its end, and starts the engine task appending to it;
    /// an empty market gets the demo province first when `demo` is set.
    async fn take_ownership(
        cluster: &crate::cluster::Cluster,
        settings: &Settings,
        demo: bool,
        clock: &Arc<dyn Clock>,
        owner: &tokio::sync::watch::Sender<Option<String>>,
        sealer: &Arc<crate::sealing::Sealer>,
    ) -> anyhow::Result<(Started, crate::cluster::lease::Lease)> {
        use crate::cluster::lease::Lease;
        use crate::cluster::warm::Warm;
        let warm = Warm::start(cluster).await?;
        let holder = holder_name();
        let (tx, rx) = tokio::sync::oneshot::channel();
        {
            let (cluster, holder, told) = (cluster.clone(), holder.clone(), owner.clone());
            tokio::spawn(async move {
                let taken = Lease::acquire(&cluster, &holder, |owner| {
                    told.send_replace(Some(owner.to_string()));
                    eprintln!("Standing by: {owner} owns market \"{}\"", cluster.market());
                })
                .await;
                let _ = tx.send(taken);
            });
        }
        let mut taken = None;
        let warm = warm
            .follow_until(cluster, async {
                taken = rx.await.ok();
            })
            .await?;
        let lease = taken.context("the lease task stopped")??;
        let stored = warm.next - 1;
        let crate::cluster::reading::Replay { engine, head } = warm.replay;
        tracing::info!(holder, seq = %engine.seq(), stored, "this node owns the market");
        let journal = crate::cluster::journal::StreamJournal::new(
            cluster.clone(),
            lease.clone(),
            tokio::runtime::Handle::current(),
            head,
            engine.seq().next(),
            stored,
        );
        let mut province = None;
        let (engine, journal): (engine::Engine, Box<dyn crate::journal::Journal>) =
            if demo && engine.seq() == Seq(0) {
                let now = clock.now();
                let (days, sealer) = (settings.demo_history_days, sealer.clone());
                let (engine, journal, loaded) = tokio::task::spawn_blocking(move || {
                    let start = demo::history::start(now, days);
                    let mut sink = JournalSink::over(engine, Box::new(journal), start);
                    let loaded = demo::load_with_history(&mut sink, start, now, Some(&sealer))?;
                    let (engine, journal) = sink.finish_into()?;
                    anyhow::Ok((engine, journal, loaded))
                })
                .await??;
                cluster.mark_demo().await?;
                province = Some(loaded);
                (engine, journal)
            } else {
                (engine, Box::new(journal))
            };
        let runtime = Runtime::start_with(
            engine,
            journal,
            clock.clone(),
            settings.runtime,
            Arc::new(std::sync::atomic::AtomicU64::new(0)),
        )?;
        let demo = cluster.is_demo().await?;
        Ok((Started { runtime, province, demo }, lease))
    }

    /// The state the HTTP API serves from.
    pub fn app_state(&self) -> crate::http::AppState {
        crate::http::Shared {
            handle: self.runtime.handle(),
            replica: self.replica.clone(),
            tokens: self.tokens.clone(),
            logins: self.logins.clone(),
            books: Some(crate::http::Books { db: self.db.clone(), journal: self.journal.clone() }),
            journal: Some(self.journal.clone()),
            hub: Some(self.hub.clone()),
            clock: self.clock.clone(),
            prices: Some(self.prices.clone()),
            sealer: Some(self.sealer.clone()),
            health: self.health(),
            limits: self.limits.clone(),
            demo: self.demo,
            security: self.security.clone(),
        }
        .into()
    }

    /// What readiness and metrics report of this node's parts.
    pub fn health(&self) -> crate::health::Health {
        crate::health::Health {
            journal: Some(crate::health::JournalHealth {
                durable: self.runtime.durable(),
                failure: self.runtime.failure(),
            }),
            database: Some(crate::health::DatabaseHealth {
                kind: self.db.kind(),
                persister: self.persister.status(),
                published: self.publisher.watch(),
            }),
            redis: self.bus.clone(),
            cluster: self.ownership.as_ref().map(|o| crate::health::ClusterHealth {
                cluster: o.cluster.clone(),
                role: crate::health::ClusterRole::Owner(o.lease.clone()),
            }),
        }
    }

    /// Resolves with the reason once the journal has failed: the node can no longer take
    /// commands, and the process should exit (fail-stop) for its supervisor to restart it.
    /// On a cluster, losing the lease counts the same: another node owns the market now.
    pub async fn journal_failed(&self) -> std::sync::Arc<str> {
        let mut failure = self.runtime.failure();
        let failed = async {
            match failure.wait_for(Option::is_some).await {
                Ok(why) => why.clone().unwrap_or_else(|| "the journal failed".into()),
                Err(_) => "the engine task has gone".into(),
            }
        };
        match &self.ownership {
            None => failed.await,
            Some(ownership) => tokio::select! {
                why = failed => why,
                why = ownership.lease.lost() => format!("this node no longer owns the market: {why}").into(),
            },
        }
    }

    /// The sequence up to which everything is durable.
    pub fn durable(&self) -> Seq {
        *self.runtime.durable().borrow()
    }

    /// Waits until the database holds everything durable now.
    pub async fn persisted(&self) {
        self.persister.caught_up(self.durable()).await;
    }

    /// Waits until everything durable now is published.
    pub async fn published(&self) {
        self.publisher.caught_up(self.durable()).await;
    }

    /// Stops the engine task (with a final snapshot) and the persister, once it has caught up.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let last = self.durable();
        self.runtime.shutdown().await?;
        // The last append is made: a standby may take over at once.
        if let Some(ownership) = &self.ownership {
            ownership.lease.release().await;
        }
        // The journal holds everything; a database that stays away only delays its copy.
        if tokio::time::timeout(std::time::Duration::from_secs(30), self.persister.caught_up(last))
            .await
            .is_err()
        {
            tracing::warn!(%last, "stopping before the database caught up; it will on the next start");
        }
        // The security log's last entries, unless its store is away too.
        if tokio::time::timeout(std::time::Duration::from_secs(2), self.security.flushed())
            .await
            .is_err()
        {
            tracing::warn!("stopping before the security log's last entries were written");
        }
        self.persister.stop().await;
        // Publication resumes from its committed offset on the next start: nothing to wait for.
        self.publisher.stop().await;
        self.follower_db.close().await;
        self.db.close().await;
        Ok(())
    }
}

/// An edge node: no data folder, journal or database of its own. It follows the market's stream
/// with a warm engine of its own, which feeds its replica and hub exactly as the owner's are fed,
/// and forwards commands to whoever owns the market, with a deadline.
#[derive(Debug)]
pub struct EdgeNode {
    /// Forwards to the owner.
    pub handle: crate::runtime::EngineHandle,
    /// The read replica, fed from the stream.
    pub replica: crate::read::Replica,
    /// The live feed hub.
    pub hub: Arc<crate::feed::Hub>,
    /// Candles, reference prices and alerts, computed here too from the same batches.
    pub prices: crate::prices::PriceDesk,
    tokens: Arc<crate::auth::Tokens>,
    logins: Arc<crate::auth::LoginLimiter>,
    bus: crate::bus::Bus,
    cluster: crate::cluster::Cluster,
    owner: crate::cluster::lease::OwnerWatch,
    following: tokio::sync::watch::Receiver<Option<String>>,
    limits: Arc<crate::http::Limits>,
    demo: bool,
    /// Its security log, handed to the owner.
    pub security: crate::audit::SecurityLog,
    /// Seals the quotes this node takes; without it, quotes go through the owner's nodes.
    pub sealer: Option<Arc<crate::sealing::Sealer>>,
}

impl EdgeNode {
    /// Joins the market on `cluster`, sharing tickets, logins and its security log through the
    /// Redis at `redis_url` under `namespace`.
    pub async fn start(
        cluster: crate::cluster::ClusterSettings,
        redis_url: &str,
        namespace: &str,
        limits: crate::http::LimitsConfig,
        tokens: crate::auth::Tokens,
    ) -> anyhow::Result<Self> {
        let bus = crate::bus::Bus::connect(redis_url, namespace).await?;
        let cluster = crate::cluster::Cluster::connect(cluster).await?;
        let warm = crate::cluster::warm::Warm::start(&cluster).await?;
        let (released, _) = tokio::sync::broadcast::channel(1_024);
        let (copies, copy_requests) = tokio::sync::mpsc::channel(16);
        let subscribed = released.subscribe();
        let (problem, following) = tokio::sync::watch::channel(None);
        tokio::spawn(warm.serve(cluster.clone(), released, copy_requests, problem));
        let handle = crate::cluster::commands::forwarding(&cluster, copies);
        // The owner writes the price history; an edge node computes the same for its own readers.
        let crate::read::ReadSide { replica, hub, prices } = crate::read::ReadSide::start(
            handle.clone(),
            subscribed,
            engine::analytics::Thresholds::default(),
            None,
        )
        .await?;
        hub.share_tickets(bus.clone());
        hub.limit_sockets(limits.sockets_per_participant);
        let tokens = Arc::new(tokens.sharing_revocations(bus.clone()));
        let logins = Arc::new(crate::auth::LoginLimiter::shared(bus.clone()));
        let limits = crate::http::Limits::start(limits);
        let security =
            crate::audit::SecurityLog::start(crate::audit::Store::Bus(Box::new(bus.clone())));
        let owner = crate::cluster::lease::OwnerWatch::start(&cluster).await?;
        let demo = cluster.is_demo().await?;
        Ok(Self {
            handle,
            replica,
            hub,
            prices,
            tokens,
            logins,
            bus,
            cluster,
            owner,
            following,
            limits,
            demo,
            security,
            sealer: None,
        })
    }

    /// The state the HTTP API serves from; reconciliation is the owner's.
    pub fn app_state(&self) -> crate::http::AppState {
        crate::http::Shared {
            handle: self.handle.clone(),
            replica: self.replica.clone(),
            tokens: self.tokens.clone(),
            logins: self.logins.clone(),
            books: None,
            journal: Some(JournalAccess::Stream(Box::new(self.cluster.clone()))),
            hub: Some(self.hub.clone()),
            clock: Arc::new(SystemClock),
            prices: Some(self.prices.clone()),
            sealer: self.sealer.clone(),
            health: crate::health::Health {
                redis: Some(self.bus.clone()),
                cluster: Some(crate::health::ClusterHealth {
                    cluster: self.cluster.clone(),
                    role: crate::health::ClusterRole::Edge(
                        self.owner.clone(),
                        self.following.clone(),
                    ),
                }),
                ..Default::default()
            },
            limits: self.limits.clone(),
            demo: self.demo,
            security: self.security.clone(),
        }
        .into()
    }
}

/// How this node names itself in the lease: host and process, for operators reading it.
fn holder_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    format!("{host}/{}", std::process::id())
}

/// Checks the journal in a data folder without starting anything: the `verify` command.
pub fn verify(data_dir: &std::path::Path) -> anyhow::Result<reader::ScanReport> {
    reader::verify(&FileStorage::new(), &Layout::new(data_dir))
}
