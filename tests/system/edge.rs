//! An owner and an edge node of one market on the machine's NATS, sharing the machine's Redis: a
//! purchasing unit logs in on the edge and orders there; the owner strikes the trade; subscribers of
//! either node receive it. A ticket issued by one node opens a socket on the other, and failed
//! logins count across nodes. Each test runs as a market and a Redis namespace of its own, and
//! removes both.

use std::time::Duration;

use gateway::node::{EdgeNode, Node};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::nats::{NATS, drop_market, market, market_name};

async fn login(client: &HttpClient, base: &str, who: &str, password: &str) -> (u16, Value) {
    let body = json!({ "login": who, "password": password });
    call(client, "POST", &format!("{base}/api/v1/login"), None, Some(body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_placed_through_an_edge_node_is_struck_by_the_owner_and_reaches_both_nodes() {
    let namespace = namespace();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = settings(dir.path(), None);
    settings.redis_url = Some(REDIS.into());
    settings.redis_namespace = namespace.clone();
    let name = market_name();
    settings.cluster = Some(market(NATS, &name, 1));
    let (owner, _) = Node::open(&settings, true).await.expect("the owner opens");
    let owner_base = serve(owner.app_state()).await;
    let edge = within(
        Duration::from_secs(120),
        "the edge joining",
        EdgeNode::start(
            market(NATS, &name, 1),
            REDIS,
            &namespace,
            gateway::http::LimitsConfig::default(),
            settings.tokens().expect("the market's token key"),
        ),
    )
    .await
    .expect("the edge joins");
    assert!(edge.replica.seq() > engine::types::Seq(0), "the edge starts from the stream");
    let edge_base = serve(edge.app_state()).await;
    let client = http_client();

    // Logged in on the edge, the token holds on the owner too: the nodes share the token key file,
    // and Redis holds no key at all.
    let (status, unit) = login(&client, &edge_base, "unit7", "demo").await;
    assert_eq!(status, 200, "{unit}");
    let token = unit["token"].as_str().expect("token").to_string();
    let me = unit["participant"].as_u64().expect("participant");
    let (status, _) =
        call(&client, "GET", &format!("{owner_base}/api/v1/me"), Some(&token), None).await;
    assert_eq!(status, 200);
    let mut conn = redis::Client::open(REDIS)
        .expect("redis url")
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{namespace}:*key*"))
        .query_async(&mut conn)
        .await
        .expect("keys");
    assert!(keys.is_empty(), "no signing key is kept in Redis: {keys:?}");

    // One subscriber on each node, each with a ticket issued by the other node.
    let topic = format!("orders:{me}");
    let mut on_owner = follow(&client, &edge_base, &owner_base, &token, &topic).await;
    let mut on_edge = follow(&client, &owner_base, &edge_base, &token, &topic).await;

    let order = order_body(&client, &edge_base, &token).await;
    let (status, placed) =
        call(&client, "POST", &format!("{edge_base}/api/v1/orders"), Some(&token), Some(order))
            .await;
    assert_eq!(status, 201, "{placed}");
    let trade = placed["trades"][0]["id"].as_str().expect("a trade").to_string();
    let seq = placed["seq"].as_u64().expect("seq");

    // The owner struck it: its journal has it, and both subscribers receive it.
    assert!(
        owner.replica.read(|e| e.trades().any(|t| t.trade.id.to_string() == trade)).0 || {
            owner.replica.caught_up(engine::types::Seq(seq)).await;
            owner.replica.read(|e| e.trades().any(|t| t.trade.id.to_string() == trade)).0
        }
    );
    for socket in [&mut on_owner, &mut on_edge] {
        let message = loop {
            let message = next(socket).await;
            if message["event"]["kind"] == "trade" {
                break message;
            }
        };
        assert_eq!(message["event"]["id"], trade);
        assert_eq!(message["seq"], seq);
    }
    // The edge reads its own write.
    let (_, trades) = call(
        &client,
        "GET",
        &format!("{edge_base}/api/v1/trades?min_seq={seq}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(trades["items"][0]["id"], trade);

    // Failed logins count on every node: five on the owner block the sixth on the edge.
    for _ in 0..5 {
        let (status, _) = login(&client, &owner_base, "unit8", "wrong").await;
        assert_eq!(status, 401);
    }
    let (status, blocked) = login(&client, &edge_base, "unit8", "demo").await;
    assert_eq!((status, blocked["error"]["code"].as_str()), (429, Some("too_many_attempts")));

    // The edge's security log reaches the owner's database: its logins are on the one record.
    edge.security.flushed().await;
    let page = gateway::audit::Page { limit: 200, ..Default::default() };
    let kept = within(Duration::from_secs(30), "the edge's entries reaching the owner", async {
        loop {
            let kept = owner.security.store().read(&page).await.expect("read").expect("kept");
            let from_edge = |kind: gateway::audit::Kind, login: &str| {
                kept.iter().any(|s| s.entry.kind == kind && s.entry.login.as_deref() == Some(login))
            };
            if from_edge(gateway::audit::Kind::LoginRefused, "unit8")
                && from_edge(gateway::audit::Kind::LoginSucceeded, "unit7")
            {
                return kept;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(kept.iter().filter(|s| s.entry.kind == gateway::audit::Kind::LoginFailed).count() >= 5);

    // The edge is ready while the owner renews its lease. Once the owner has stopped (giving its
    // lease up), the edge says it is not ready, and an order there is answered at once with 503,
    // well within the forwarding deadline: nobody takes commands for the market.
    let (status, ready) = call(&client, "GET", &format!("{edge_base}/ready"), None, None).await;
    assert_eq!((status, ready["cluster"]["role"].as_str()), (200, Some("edge")), "{ready}");
    owner.shutdown().await.expect("shutdown");
    within(Duration::from_secs(30), "the edge noticing the owner has gone", async {
        loop {
            let (status, _) = call(&client, "GET", &format!("{edge_base}/ready"), None, None).await;
            if status == 503 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let body = order_body(&client, &edge_base, &token).await;
    let asked = std::time::Instant::now();
    let (status, refused) =
        call(&client, "POST", &format!("{edge_base}/api/v1/orders"), Some(&token), Some(body))
            .await;
    assert_eq!(status, 503, "{refused}");
    assert!(asked.elapsed() < gateway::cluster::ClusterSettings::DEADLINE, "{:?}", asked.elapsed());
    drop(edge);
    clean(&namespace).await;
    drop_market(NATS, &name).await;
}
