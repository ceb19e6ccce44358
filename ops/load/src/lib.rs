//! What the load tools share: a marketplace node of their own with the demo province, served on a
//! loopback port; a small HTTP client; percentiles.

pub mod nats;

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// A pooled HTTP/1 client.
pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// A new client.
pub fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// POSTs `body` to `uri`, with a bearer token when given; the status and the JSON answered.
pub async fn call(
    client: &HttpClient,
    uri: &str,
    token: Option<&str>,
    body: &Value,
) -> anyhow::Result<(u16, Value)> {
    let mut request = hyper::Request::post(uri).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = client.request(request.body(Full::new(Bytes::from(body.to_string())))?).await?;
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await?.to_bytes();
    Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
}

/// Logs a demo account in (password `demo`); its bearer token.
pub async fn login(client: &HttpClient, base: &str, login: &str) -> anyhow::Result<String> {
    let body = serde_json::json!({ "login": login, "password": "demo" });
    let (_, reply) = call(client, &format!("{base}/api/v1/login"), None, &body).await?;
    reply["token"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("logging in {login}: {reply}"))
}

/// A marketplace node with the demo province in a temporary folder (SQLite, or the PostgreSQL
/// database `LOAD_DATABASE_URL` names, which must be empty), serving the API on a loopback port:
/// the node, its base URL, and the folder, removed when dropped. Its limits are raised out of the
/// way: one load generator on one address plays hundreds of buyers.
pub async fn demo_node() -> anyhow::Result<(gateway::node::Node, String, tempfile::TempDir)> {
    demo_node_with(gateway::http::LimitsConfig {
        requests_per_second: u32::MAX / 4,
        request_burst: u32::MAX / 4,
        commands_per_second: u32::MAX / 4,
        command_burst: u32::MAX / 4,
        in_flight: usize::MAX / 4,
        sockets_per_participant: usize::MAX / 4,
    })
    .await
}

/// As [`demo_node`], with the limits given.
pub async fn demo_node_with(
    limits: gateway::http::LimitsConfig,
) -> anyhow::Result<(gateway::node::Node, String, tempfile::TempDir)> {
    let dir = tempfile::tempdir()?;
    let settings = gateway::node::Settings {
        data_dir: dir.path().join("data"),
        database_url: std::env::var("LOAD_DATABASE_URL").ok(),
        runtime: gateway::runtime::RuntimeConfig::default(),
        redis_url: None,
        redis_namespace: gateway::node::REDIS_NAMESPACE.into(),
        sealing_key_file: None,
        thresholds: engine::analytics::Thresholds::default(),
        limits,
        token_key_file: Some(dir.path().join("token.key")),
        cluster: None,
        demo_history_days: 0,
    };
    eprintln!("starting a marketplace node with the demo province in {}", dir.path().display());
    let (node, _) = gateway::node::Node::open(&settings, true).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(gateway::http::serve(listener, node.app_state(), std::future::pending()));
    Ok((node, base, dir))
}

/// The body of an order of one unit of the first product on offer to the caller, on its first
/// budget line.
pub async fn order_body(client: &HttpClient, base: &str, token: &str) -> anyhow::Result<Value> {
    let get = |path: String| {
        let request = hyper::Request::get(format!("{base}{path}"))
            .header("authorization", format!("Bearer {token}"))
            .body(Full::new(Bytes::new()));
        async move {
            let response = client.request(request?).await?;
            let bytes = response.into_body().collect().await?.to_bytes();
            anyhow::Ok(serde_json::from_slice::<Value>(&bytes)?)
        }
    };
    let catalog = get("/api/v1/catalog/products?per_page=100".into()).await?;
    let product = catalog["items"]
        .as_array()
        .and_then(|items| items.iter().find(|p| p["best_offer"].is_string()))
        .context("a product on offer")?["id"]
        .clone();
    let budgets = get("/api/v1/budgets".into()).await?;
    Ok(
        serde_json::json!({ "product": product, "quantity": "1", "budget_line": budgets["lines"][0]["id"] }),
    )
}

/// The value at `per_mille` of a sorted list; 0 when empty.
pub fn percentile(sorted: &[u64], per_mille: usize) -> u64 {
    sorted
        .get((sorted.len() * per_mille / 1000).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0)
}
