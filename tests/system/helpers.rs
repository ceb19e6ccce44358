//! What the system tests share: fresh PostgreSQL databases, a throwaway PostgreSQL cluster, node
//! settings in a temporary folder, and clean replays of a journal.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use engine::{Engine, Event, StateHash};
use futures_util::{SinkExt, StreamExt};
use gateway::journal::Layout;
use gateway::journal::reader::scan;
use gateway::journal::storage::FileStorage;
use gateway::node::Settings;
use gateway::runtime::RuntimeConfig;
use serde_json::{Value, json};
use sqlx::Connection;
use tokio_tungstenite::tungstenite::Message;

/// The machine's PostgreSQL server, where each test makes its own database.
pub const SERVER: &str = "postgres://postgres@127.0.0.1:5432";

/// The node binary built from this package.
pub fn node_binary() -> &'static str {
    env!("CARGO_BIN_EXE_marketplace-node")
}

/// Settings for a node in `dir`, with `database_url` or the embedded SQLite file.
pub fn settings(dir: &Path, database_url: Option<String>) -> Settings {
    Settings {
        data_dir: dir.to_path_buf(),
        database_url,
        runtime: RuntimeConfig::default(),
        redis_url: None,
        redis_namespace: gateway::node::REDIS_NAMESPACE.into(),
        sealing_key_file: None,
        thresholds: engine::analytics::Thresholds::default(),
        limits: gateway::http::LimitsConfig::default(),
        // Inside the test's own folder, so that it goes with it.
        token_key_file: Some(dir.join("token.key")),
        cluster: None,
        demo_history_days: 0,
    }
}

/// A database of its own on the machine's PostgreSQL server, dropped by [`Database::drop_now`].
pub struct Database {
    pub url: String,
    name: String,
}

static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// Creates a fresh database on the machine's server.
pub async fn fresh_database() -> Database {
    let name =
        format!("market_test_{}_{}", std::process::id(), NEXT_DB.fetch_add(1, Ordering::SeqCst));
    let mut admin = sqlx::PgConnection::connect(&format!("{SERVER}/postgres"))
        .await
        .expect("the machine's PostgreSQL at 127.0.0.1:5432 (ops/test.sh starts it)");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .expect("drop");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create database");
    Database { url: format!("{SERVER}/{name}"), name }
}

impl Database {
    /// Drops the database.
    pub async fn drop_now(self) {
        if let Ok(mut admin) = sqlx::PgConnection::connect(&format!("{SERVER}/postgres")).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
                .execute(&mut admin)
                .await;
        }
    }
}

/// A PostgreSQL cluster of the test's own, in a temporary folder, on a free port: stopping it
/// disturbs no other test.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

fn postgres_bin() -> PathBuf {
    let mut versions: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries in /usr/lib/postgresql")
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().expect("an initdb under /usr/lib/postgresql/*/bin")
}

fn as_postgres(bin: &Path, tool: &str, args: &[&str]) {
    let status = Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(bin.join(tool))
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("running {tool} as postgres: {e}"));
    assert!(status.success(), "{tool} {args:?} failed: {status}");
}

impl Cluster {
    /// Initialises and starts a cluster.
    pub fn start_new() -> Self {
        let dir =
            tempfile::Builder::new().prefix("market-pg-").tempdir_in("/tmp").expect("tempdir");
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path())
            .status()
            .expect("chown");
        assert!(status.success());
        let bin = postgres_bin();
        let data = dir.path().join("data");
        as_postgres(
            &bin,
            "initdb",
            &["-D", data.to_str().expect("utf-8"), "-A", "trust", "-U", "postgres", "--no-sync"],
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        let cluster = Self { dir, bin, port };
        cluster.start();
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").to_string_lossy().into_owned()
    }

    /// Starts the cluster and waits until it accepts connections.
    pub fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").to_string_lossy().into_owned();
        as_postgres(
            &self.bin,
            "pg_ctl",
            &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "-t", "60", "start"],
        );
    }

    /// Stops the cluster at once, as a crash would.
    pub fn stop(&self) {
        as_postgres(&self.bin, "pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
    }

    /// The URL of a database in the cluster.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", &self.data(), "-m", "immediate", "stop"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// The engine a journal gives when replayed from its first record, ignoring every snapshot.
pub fn clean_replay(dir: &Path) -> Engine {
    let mut engine = Engine::new();
    let mut out = Vec::new();
    scan(&FileStorage::new(), &Layout::new(dir), |record, _| {
        out.clear();
        engine.apply(record.command, record.ts, &mut out);
        Ok(())
    })
    .expect("the journal scans");
    engine
}

/// The state hash of a clean replay.
pub fn clean_replay_hash(dir: &Path) -> StateHash {
    clean_replay(dir).state_hash()
}

/// How many journaled events match `pick`.
pub fn count_events(dir: &Path, pick: impl Fn(&Event) -> bool) -> i64 {
    let mut count = 0;
    scan(&FileStorage::new(), &Layout::new(dir), |record, _| {
        count += record.events.iter().filter(|e| pick(&e.event)).count() as i64;
        Ok(())
    })
    .expect("the journal scans");
    count
}

/// Fails the test if `future` takes longer than `limit`: a guard against hanging, not a timing.
pub async fn within<T>(
    limit: Duration,
    what: &str,
    future: impl std::future::Future<Output = T>,
) -> T {
    tokio::time::timeout(limit, future)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {limit:?}"))
}

/// An HTTP/1 client for the API over a real port.
pub type HttpClient = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Full<bytes::Bytes>,
>;

/// A new client.
pub fn http_client() -> HttpClient {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

/// One request: the status and the JSON answered (`null` when it is not JSON).
pub async fn call(
    client: &HttpClient,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    use http_body_util::BodyExt;
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = body.map_or_else(bytes::Bytes::new, |b| bytes::Bytes::from(b.to_string()));
    let request = request.body(http_body_util::Full::new(body)).expect("request");
    let response = client.request(request).await.expect("response");
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

/// The body of an order of one unit of the first product on offer in the caller's region, on its
/// first budget line.
pub async fn order_body(client: &HttpClient, base: &str, token: &str) -> serde_json::Value {
    let uri = format!("{base}/api/v1/catalog/products?per_page=100");
    let (_, catalog) = call(client, "GET", &uri, Some(token), None).await;
    let product = catalog["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["best_offer"].is_string())
        .expect("a product on offer")["id"]
        .clone();
    let (_, budgets) =
        call(client, "GET", &format!("{base}/api/v1/budgets"), Some(token), None).await;
    serde_json::json!({ "product": product, "quantity": "1", "budget_line": budgets["lines"][0]["id"] })
}

/// The machine's Redis (ops/test.sh starts it when it is not running).
pub const REDIS: &str = "redis://127.0.0.1:6379";

static NEXT_NAMESPACE: AtomicU32 = AtomicU32::new(0);

/// A Redis namespace of the test's own.
pub fn namespace() -> String {
    format!("market-test-{}-{}", std::process::id(), NEXT_NAMESPACE.fetch_add(1, Ordering::SeqCst))
}

/// Removes every key of `namespace`.
pub async fn clean(namespace: &str) {
    let client = redis::Client::open(REDIS).expect("url");
    let mut conn = client.get_multiplexed_async_connection().await.expect("the machine's Redis");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{namespace}:*"))
        .query_async(&mut conn)
        .await
        .expect("keys");
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL").arg(keys).query_async(&mut conn).await.expect("del");
    }
}

/// Serves `state` on a port of its own; the base URL.
pub async fn serve(state: gateway::http::AppState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port 0");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(gateway::http::serve(listener, state, std::future::pending()));
    base
}

/// A client's WebSocket.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A socket opened on `on` with a ticket issued by `issuer`, subscribed to `topic`.
pub async fn follow(
    client: &HttpClient,
    issuer: &str,
    on: &str,
    token: &str,
    topic: &str,
) -> Socket {
    let (status, ticket) =
        call(client, "POST", &format!("{issuer}/api/v1/ws/ticket"), Some(token), None).await;
    assert_eq!(status, 200, "{ticket}");
    let url = format!(
        "{}/api/v1/ws?ticket={}",
        on.replacen("http", "ws", 1),
        ticket["ticket"].as_str().expect("ticket")
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.expect("the socket opens");
    let subscribe = json!({ "op": "subscribe", "topic": topic });
    socket.send(Message::Text(subscribe.to_string().into())).await.expect("sent");
    // A deal's room sends its snapshot too, in either order with the confirmation.
    let first = next(&mut socket).await;
    assert!(matches!(first["type"].as_str(), Some("subscribed" | "snapshot")), "{first}");
    socket
}

/// The next text frame, as JSON.
pub async fn next(socket: &mut Socket) -> Value {
    loop {
        let frame = within(Duration::from_secs(20), "a frame", socket.next()).await;
        if let Message::Text(text) = frame.expect("open").expect("a frame") {
            return serde_json::from_str(&text).expect("json");
        }
    }
}
