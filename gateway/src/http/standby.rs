//! What a standby answers while it waits to own the market: alive (`/health` 200), not ready
//! (`/ready` 503, naming the owner it waits on), and 503 `standing_by` to anything else. A load
//! balancer sends it nothing, and an operator sees at once why. Once the node owns the market the
//! full API takes the same port over.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::json;
use tokio::sync::watch;

use crate::error::ApiError;

/// Serves the standby's answers on `listener` until `until` resolves. `owner` names the node that
/// owns the market, once known.
pub async fn serve(
    listener: tokio::net::TcpListener,
    owner: watch::Receiver<Option<String>>,
    until: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = axum::Router::new()
        .route("/health", get(|| async { "standing by" }))
        .route("/ready", get(ready))
        .fallback(|| async {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "standing_by",
                "this node stands by to own the market and serves nothing yet; ask another node",
            )
        })
        .with_state(owner);
    axum::serve(listener, app).with_graceful_shutdown(until).await?;
    Ok(())
}

async fn ready(
    State(owner): State<watch::Receiver<Option<String>>>,
) -> (StatusCode, Json<serde_json::Value>) {
    let owner = owner.borrow().clone();
    let body = json!({
        "ready": false,
        "cluster": { "ok": false, "role": "standby", "owner": owner, "error": "standing by" },
    });
    (StatusCode::SERVICE_UNAVAILABLE, Json(body))
}
