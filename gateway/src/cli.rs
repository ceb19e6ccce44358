//! The command line: runs the marketplace, and checks its journal and its budgets.

use std::path::PathBuf;

use crate::demo::{self, DemoProvince, live};
use crate::journal::reader::describe;
use crate::node::{self, Node, Settings};
use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(version, about = "The provincial government procurement marketplace")]
struct Cli {
    /// A settings file (TOML); `marketplace.toml` in the working folder is read when present.
    #[arg(long, env = "APP_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// The data folder: journal, snapshots and the embedded database [default: data].
    #[arg(long, env = "APP_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Address the API listens on [default: 127.0.0.1:8080].
    #[arg(long, env = "APP_LISTEN", global = true)]
    listen: Option<String>,
    /// PostgreSQL to persist to (`postgres://...`); the embedded SQLite file when unset.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Redis (`redis://[:password@]host:port`): a market's nodes share WebSocket tickets, login
    /// limits, revoked tokens and the edges' security log through it.
    #[arg(long, env = "REDIS_URL", global = true, hide_env_values = true)]
    redis_url: Option<String>,
    /// The namespace of this market's keys in Redis [default: market].
    #[arg(long, env = "APP_REDIS_NAMESPACE", global = true)]
    redis_namespace: Option<String>,
    /// The sealing key file of inquiry quotes, kept outside the data folder
    /// [default: <data folder>.sealing-key beside it].
    #[arg(long, env = "APP_SEALING_KEY_FILE", global = true)]
    sealing_key_file: Option<PathBuf>,
    /// The token signing key file, the same for every node of a market (never kept in Redis)
    /// [default: <data folder>.token-key beside it].
    #[arg(long, env = "APP_TOKEN_KEY_FILE", global = true)]
    token_key_file: Option<PathBuf>,
    /// NATS with JetStream (`nats://[user:password@]host:port`, several separated by commas): the
    /// journal is a replicated stream, ownership a lease a standby takes over; the local file
    /// journal when unset.
    #[arg(long, env = "NATS_URL", global = true, hide_env_values = true)]
    nats_url: Option<String>,
    /// A NATS credentials file (JWT and nkey seed), where the servers ask for one.
    #[arg(long, env = "APP_NATS_CREDENTIALS", global = true)]
    nats_credentials: Option<PathBuf>,
    /// The market this node serves: names its stream, lease and subjects on the cluster, so
    /// markets sharing a cluster never see each other [default: market].
    #[arg(long, env = "APP_MARKET", global = true)]
    market: Option<String>,
    /// Copies the cluster keeps of the journal, lease and snapshots: 3 survives the loss of any
    /// one server; 1 on a single server [default: 3].
    #[arg(long, env = "APP_NATS_REPLICAS", global = true)]
    nats_replicas: Option<usize>,
    /// How long an owner's lease lasts unrenewed, in milliseconds [default: 2000].
    #[arg(long, env = "APP_LEASE_MS", global = true)]
    lease_ms: Option<u64>,
    /// How long an edge waits for the owner's answer, in milliseconds [default: 5000].
    #[arg(long, env = "APP_COMMAND_DEADLINE_MS", global = true)]
    command_deadline_ms: Option<u64>,
    /// In a demo market, keep it still: no demo trading in the background.
    #[arg(long, env = "APP_DEMO_STILL", global = true, value_parser = clap::builder::FalseyValueParser::new())]
    still: bool,
    /// Days of history a fresh demo market that lives is given before today, so that its charts
    /// and statistics are not empty at first sight (none for a still one).
    #[arg(long, env = "APP_DEMO_HISTORY_DAYS", global = true, default_value_t = 28)]
    demo_history_days: u32,
    #[command(subcommand)]
    command: Option<Command>,
}

impl Cli {
    fn cluster(&self) -> Option<crate::cluster::ClusterSettings> {
        use crate::cluster::ClusterSettings;
        let url = self.nats_url.clone().filter(|u| !u.is_empty())?;
        Some(ClusterSettings {
            url,
            market: self.market.clone().unwrap_or_else(|| "market".into()),
            replicas: self.nats_replicas.unwrap_or(ClusterSettings::REPLICAS),
            credentials: self.nats_credentials.clone(),
            lease: self.lease_ms.map_or(ClusterSettings::LEASE, std::time::Duration::from_millis),
            deadline: self
                .command_deadline_ms
                .map_or(ClusterSettings::DEADLINE, std::time::Duration::from_millis),
        })
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serves the marketplace over HTTP (the default): the demo province on first start.
    Run(ServeArgs),
    /// Stands by to own the market on the cluster (`NATS_URL`): follows its journal with a warm
    /// engine, takes the lease when the owner's lapses, and then serves as `run` does.
    Standby,
    /// Serves the marketplace as an edge node of the market on the cluster (`NATS_URL`), sharing
    /// tickets and logins through `REDIS_URL`.
    Edge,
    /// Runs a scripted trading session against the marketplace, reconciles, and exits.
    Simulate(RunArgs),
    /// Checks the journal end to end: checksums, sequence and hash chain. Exits 1 on damage, and 3
    /// on a torn final record (which a start would cut) unless `--torn-tail-expected`.
    Verify {
        /// A torn final record is expected (the node was killed) and is not a failure.
        #[arg(long)]
        torn_tail_expected: bool,
    },
    /// Cuts a torn final record, or zeros or garbage after the last record, keeping the cut bytes
    /// under `<data>/repair/`; refuses to cut past any record whose checksums hold.
    Repair {
        /// Say what would be cut, and cut nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Reconciles budgets as of the persister's watermark: engine, ledger and database side by side.
    Reconcile,
    /// Writes every published OCDS release (or, with `--records`, every record) as JSON Lines,
    /// from the database, to `--out` or standard output.
    ExportOcds {
        /// Records (linked releases and the compiled release) instead of releases.
        #[arg(long)]
        records: bool,
        /// The file to write; standard output when not given.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Where the releases are served, for the records' links.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base_url: String,
    },
    /// Registers an operator with an account and a one-time password, printed once: how a
    /// production marketplace (`run --no-demo`) gets its first operator. Run with the node stopped.
    Operator {
        /// The account's login.
        #[arg(long)]
        login: String,
        /// The operator's name.
        #[arg(long, default_value = "省级政府采购中心")]
        name: String,
    },
}

/// Where `run` listens.
#[derive(Debug, Default, clap::Args)]
struct ServeArgs {
    /// Start empty instead of loading the demo province.
    #[arg(long)]
    no_demo: bool,
}

impl ServeArgs {
    const LISTEN: &'static str = "127.0.0.1:8080";
}

/// How `simulate` trades.
#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Commands in the session.
    #[arg(long, default_value_t = RunArgs::COMMANDS)]
    commands: usize,
    /// Clients trading at once.
    #[arg(long, default_value_t = RunArgs::CLIENTS)]
    clients: usize,
    /// Print `ack <seq>` for every acknowledged command.
    #[arg(long)]
    print_acks: bool,
    /// Start empty instead of loading the demo province.
    #[arg(long)]
    no_demo: bool,
}

impl RunArgs {
    const COMMANDS: usize = 20_000;
    const CLIENTS: usize = 32;
}

impl Default for RunArgs {
    fn default() -> Self {
        Self { commands: Self::COMMANDS, clients: Self::CLIENTS, print_acks: false, no_demo: false }
    }
}

/// Parses the command line and runs what it asks for.
pub fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(async_main())
}

async fn async_main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let file = crate::settings::FileSettings::load(cli.config.as_deref())?;
    let settings = Settings {
        data_dir: cli
            .data_dir
            .clone()
            .or(file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from("data")),
        // An empty variable (`DATABASE_URL=`) means unset, not a database named "".
        database_url: cli
            .database_url
            .clone()
            .filter(|u| !u.is_empty())
            .or(file.database_url.clone()),
        runtime: file.runtime(),
        redis_url: cli.redis_url.clone().filter(|u| !u.is_empty()).or(file.redis_url.clone()),
        redis_namespace: cli
            .redis_namespace
            .clone()
            .or(file.redis_namespace.clone())
            .unwrap_or_else(|| node::REDIS_NAMESPACE.into()),
        thresholds: file.thresholds()?,
        sealing_key_file: cli.sealing_key_file.clone().or(file.sealing_key_file.clone()),
        limits: file.limits(),
        token_key_file: cli.token_key_file.clone().or(file.token_key_file.clone()),
        cluster: cli.cluster(),
        // A still market (tests, measurements) starts today; a living one with some history.
        demo_history_days: if cli.still { 0 } else { cli.demo_history_days },
    };
    let listen =
        cli.listen.clone().or(file.listen.clone()).unwrap_or_else(|| ServeArgs::LISTEN.into());
    match cli.command.unwrap_or(Command::Run(ServeArgs::default())) {
        Command::Run(args) => serve(&settings, &listen, args, cli.still).await,
        Command::Standby => {
            anyhow::ensure!(settings.cluster.is_some(), "a standby needs NATS_URL");
            serve(&settings, &listen, ServeArgs { no_demo: true }, cli.still).await
        }
        Command::Edge => edge(&settings, &listen).await,
        Command::Simulate(args) => {
            // A scripted session measures itself: it starts from the province alone.
            let settings = Settings { demo_history_days: 0, ..settings };
            run(&settings, args).await
        }
        Command::Verify { torn_tail_expected } => {
            let report = node::verify(&settings.data_dir).context("verifying the journal")?;
            match &report.torn {
                None => println!("journal ok: {}", describe(&report)),
                Some(torn) => {
                    println!("journal ok up to the torn final record: {}", describe(&report));
                    println!(
                        "a start would cut {} bytes at byte {} of {} (record {} was never acknowledged)",
                        torn.bytes,
                        torn.offset,
                        torn.path.display(),
                        torn.seq
                    );
                    if !torn_tail_expected {
                        std::process::exit(3);
                    }
                }
            }
            Ok(())
        }
        Command::Repair { dry_run } => repair(&settings, dry_run),
        Command::Operator { login, name } => {
            let created = crate::accounts_cli::create_operator(&settings, &login, &name).await?;
            println!("operator account {} created", created.login);
            println!("one-time password (shown once; it must be replaced at the first login):");
            println!("{}", created.password);
            Ok(())
        }
        Command::ExportOcds { records, out, base_url } => {
            let db = crate::persist::Database::connect_in(
                &settings.database_url(),
                settings.schema().as_deref(),
            )
            .await?;
            let mut sink: Box<dyn std::io::Write> = match &out {
                Some(path) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(path)
                        .with_context(|| format!("creating {}", path.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            let written = if records {
                crate::publish::export::records(&db, base_url.trim_end_matches('/'), &mut sink)
                    .await?
            } else {
                crate::publish::export::releases(&db, &mut sink).await?
            };
            sink.flush()?;
            eprintln!("{written} {} written", if records { "records" } else { "releases" });
            Ok(())
        }
        Command::Reconcile => {
            let db = crate::persist::Database::connect_in(
                &settings.database_url(),
                settings.schema().as_deref(),
            )
            .await?;
            let journal = match &settings.cluster {
                Some(cluster) => crate::journal::access::JournalAccess::Stream(Box::new(
                    crate::cluster::Cluster::connect(cluster.clone()).await?,
                )),
                None => crate::journal::access::JournalAccess::Files {
                    storage: std::sync::Arc::new(crate::journal::storage::FileStorage::new()),
                    layout: crate::journal::Layout::new(&settings.data_dir),
                },
            };
            let report = crate::reconcile::reconcile_with(&db, &journal).await?;
            print!("{report}");
            if report.differences.is_empty() { Ok(()) } else { std::process::exit(2) }
        }
    }
}

fn repair(settings: &Settings, dry_run: bool) -> anyhow::Result<()> {
    use crate::journal::repair::{Finding, apply, examine};
    let _lock = node::lock(&settings.data_dir)?;
    let storage = crate::journal::storage::FileStorage::new();
    let layout = crate::journal::Layout::new(&settings.data_dir);
    match examine(&storage, &layout)? {
        Finding::Whole(report) => {
            println!("nothing to repair: {}", describe(&report));
            Ok(())
        }
        Finding::Refused(why) => {
            anyhow::bail!("nothing was cut: {why}")
        }
        Finding::Cut(cut) if dry_run => {
            println!("would cut {cut}; the bytes would be kept in {}", cut.side_file.display());
            Ok(())
        }
        Finding::Cut(cut) => {
            apply(&storage, &cut)?;
            println!("cut {cut}; the bytes are kept in {}", cut.side_file.display());
            let report = crate::journal::reader::verify(&storage, &layout)?;
            println!("journal ok: {}", describe(&report));
            Ok(())
        }
    }
}

/// A future that resolves when the process is asked to stop: Ctrl-C, or SIGTERM, which is how an
/// orchestrator asks (and then waits for the final snapshot before it kills). The handlers are
/// registered when this is called, not when the future is first polled, so a stop asked for while
/// the node is still starting is kept rather than killing the process.
fn stop_asked() -> impl std::future::Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};
    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    async move {
        let (Ok(mut interrupt), Ok(mut terminate)) = (interrupt, terminate) else {
            tracing::warn!("cannot listen for stop signals; the process stops when killed");
            return std::future::pending().await;
        };
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    }
}

fn report_loaded(province: &DemoProvince) {
    eprintln!(
        "Demo province loaded: {} regions, {} products, {} suppliers, {} agreements, {} purchasing units",
        province.regions.len(),
        province.products.len(),
        province.suppliers.len(),
        province.agreements.len(),
        province.purchasers.len()
    );
}

async fn serve(
    settings: &Settings,
    listen: &str,
    args: ServeArgs,
    still: bool,
) -> anyhow::Result<()> {
    let stop = stop_asked();
    // On a cluster the port opens at once: a node standing by says so (`/ready` 503) until it owns
    // the market, then the full API takes the same socket over.
    let (owner, waiting) = tokio::sync::watch::channel(None);
    let early = match &settings.cluster {
        Some(_) => {
            let socket = std::net::TcpListener::bind(listen)
                .with_context(|| format!("listening on {listen}"))?;
            socket.set_nonblocking(true)?;
            // Said at once, so that whoever started it on port 0 learns where it answers.
            eprintln!(
                "Listening at http://{}/ (standing by until this node owns the market)",
                socket.local_addr()?
            );
            let standing = tokio::net::TcpListener::from_std(socket.try_clone()?)?;
            let (owned, until) = tokio::sync::oneshot::channel::<()>();
            let task = tokio::spawn(crate::http::standby::serve(standing, waiting, async {
                let _ = until.await;
            }));
            Some((socket, owned, task))
        }
        None => None,
    };
    let clock = std::sync::Arc::new(crate::runtime::SystemClock);
    let (node, loaded) = Node::open_standing_by(settings, !args.no_demo, clock, &owner).await?;
    if let Some(province) = &loaded {
        report_loaded(province);
        let (terms, _) = node
            .replica
            .read(|engine| demo::inquiry::terms(engine, node.clock.now().max(engine.clock())));
        let opened = match terms {
            Some(terms) => demo::inquiry::open(&node.runtime.handle(), terms).await,
            None => None,
        };
        if let Some((id, invited)) = opened {
            eprintln!(
                "Demo inquiry {} open by unit1, quotes sealed until its deadline; invited: {}",
                id.0,
                invited.join(", ")
            );
        }
    }
    let listener = match early {
        Some((socket, owned, task)) => {
            // The standby's answers stop at once: a client's idle keep-alive connection must not
            // hold the full API up (a graceful stop would wait for it); it reconnects and meets the
            // full API on the same socket.
            let _ = owned.send(());
            task.abort();
            let _ = task.await;
            tokio::net::TcpListener::from_std(socket)?
        }
        None => tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?,
    };
    let address = listener.local_addr()?;
    eprintln!(
        "Marketplace at http://{address}/ (journal at seq {}, data in {})",
        node.durable(),
        settings.data_dir.display()
    );
    let (accounts, _) = node.replica.read(|engine| {
        ["centre", "supervisor", "unit1", "supplier1"]
            .iter()
            .filter_map(|login| {
                let user = engine.user_by_login(login)?;
                let p = engine.participant(user.participant)?;
                Some(format!("  {login:<12} {:<10} {}", p.kind.name(), p.name))
            })
            .collect::<Vec<_>>()
    });
    if !accounts.is_empty() {
        eprintln!("Demo accounts (password \"{}\"):", crate::demo::DEMO_PASSWORD);
        accounts.iter().for_each(|a| eprintln!("{a}"));
    }
    // Stop on Ctrl-C, or at once when the journal fails (fail-stop): a node that cannot journal
    // must not look healthy, and its supervisor restarts it to recover from what is on disk.
    let (failed_tx, mut failed) = tokio::sync::watch::channel(None);
    let shutdown = {
        async move {
            tokio::select! {
                () = stop => {}
                _ = failed.wait_for(Option::is_some) => {}
            }
        }
    };
    if node.demo && !still {
        // A demo market lives: its units and suppliers trade at a gentle pace (`--still` stops it).
        demo::living::start(
            node.runtime.handle(),
            node.replica.clone(),
            node.clock.clone(),
            demo::living::Pace::default(),
        );
        eprintln!(
            "The demo market lives: orders, offers, settlement and an auction every few minutes (--still to keep it still)"
        );
    }
    let server = crate::http::serve(listener, node.app_state(), shutdown);
    tokio::pin!(server);
    tokio::select! {
        served = &mut server => served?,
        why = node.journal_failed() => {
            failed_tx.send_replace(Some(why.clone()));
            // Answers already decided (503 outcome_unknown) get a moment to leave; open sockets
            // do not hold the exit up.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), &mut server).await;
            anyhow::bail!("the journal could not be written, so the marketplace stops: {why}");
        }
    }
    eprintln!("Stopping: final snapshot, database catching up");
    node.shutdown().await
}

async fn edge(settings: &Settings, listen: &str) -> anyhow::Result<()> {
    let stop = stop_asked();
    let cluster = settings.cluster.clone().context("an edge node needs NATS_URL")?;
    let url = settings.redis_url.as_deref().context(
        "an edge node needs REDIS_URL: tickets, login limits and its security log go through it",
    )?;
    let mut edge = node::EdgeNode::start(
        cluster,
        url,
        &settings.redis_namespace,
        settings.limits,
        settings.tokens()?,
    )
    .await?;
    // Quotes taken here are sealed here, with the owner's sealing key file.
    edge.sealer = Some(settings.sealer()?);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    eprintln!(
        "Edge node of market \"{}\" at http://{}/ (replica at seq {})",
        settings.cluster.as_ref().map_or("", |c| c.market.as_str()),
        listener.local_addr()?,
        edge.replica.seq()
    );
    let shutdown = stop;
    crate::http::serve(listener, edge.app_state(), shutdown).await
}

async fn run(settings: &Settings, args: RunArgs) -> anyhow::Result<()> {
    let (node, loaded) = Node::open(settings, !args.no_demo).await?;
    // A journal failure ends the session wherever it is (trading, the database catching up, the
    // reconciliation): the node cannot record anything more.
    tokio::select! {
        done = session(settings, args, &node, loaded) => done?,
        why = node.journal_failed() => {
            anyhow::bail!("the journal could not be written, so the session stops: {why}")
        }
    }
    node.shutdown().await
}

async fn session(
    settings: &Settings,
    args: RunArgs,
    node: &Node,
    loaded: Option<DemoProvince>,
) -> anyhow::Result<()> {
    let RunArgs { commands, clients, print_acks, .. } = args;
    let recovery = &node.runtime.recovery;
    eprintln!(
        "Marketplace in {} (database {}): recovered to seq {} from {} and {} replayed records",
        settings.data_dir.display(),
        if settings.database_url.is_some() { "PostgreSQL" } else { "SQLite" },
        node.durable(),
        recovery.snapshot.map_or("no snapshot".into(), |s| format!("the snapshot at {s}")),
        recovery.replayed,
    );
    if let Some(province) = &loaded {
        report_loaded(province);
    }
    let handle = node.runtime.handle();
    let engine = handle.copy_engine().await?;
    let province = DemoProvince::from_engine(&engine);
    if province.purchasers.is_empty() || commands == 0 {
        eprintln!("No trading session: the marketplace has no purchasing units yet.");
    } else {
        let today = engine::types::shanghai_date(engine.clock());
        let script: Vec<_> = demo::day_commands(&province, today, commands, engine.seq().0)
            .into_iter()
            .map(|(command, _)| command)
            .collect();
        let summary = live::trade(handle, script, clients, print_acks).await;
        let per_second = summary.commands * 1_000
            / u64::try_from(summary.elapsed.as_millis().max(1)).unwrap_or(1);
        eprintln!(
            "Trading session: {} commands by {clients} clients in {:.2?} ({per_second} commands/s, each durable before its answer)",
            summary.commands, summary.elapsed
        );
        eprintln!(
            "  orders filled {}, trades {}, amount {} yuan, offer changes {}, settlement steps {}",
            summary.filled,
            summary.trades,
            summary.amount,
            summary.offer_changes,
            summary.settlement_steps
        );
        for ((rule, code), count) in &summary.rejections {
            eprintln!("  refused {rule:<6} {code:<22} {count:>7}");
        }
    }
    node.persisted().await;
    let report = crate::reconcile::reconcile_with(&node.db, &node.journal).await?;
    eprint!("{report}");
    Ok(())
}
