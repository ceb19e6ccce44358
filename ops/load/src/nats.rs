//! NATS JetStream servers of a tool's or test's own, on free loopback ports with their own store
//! folders: a three-server cluster whose servers may be killed and started again, and a single
//! server that admits only a user with a password.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Removes a market's streams (journal, lease, snapshots) from the servers at `url` (the first of
/// a comma-separated list).
pub async fn drop_market(url: &str, market: &str) {
    let first = url.split(',').next().unwrap_or(url).trim().to_string();
    let Ok(client) = async_nats::connect(first).await else { return };
    let js = async_nats::jetstream::new(client);
    for stream in [
        format!("JOURNAL_{market}"),
        format!("KV_LEASE_{market}"),
        format!("OBJ_SNAPSHOTS_{market}"),
    ] {
        let _ = js.delete_stream(stream).await;
    }
}

/// A port free on loopback now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port()
}

/// Three JetStream servers in a cluster of a test's own.
#[derive(Debug)]
pub struct NatsCluster {
    dir: tempfile::TempDir,
    client_ports: Vec<u16>,
    route_ports: Vec<u16>,
    servers: Vec<Option<Child>>,
}

impl NatsCluster {
    /// Starts three servers and waits until they replicate a stream.
    pub async fn start_new() -> Self {
        let dir = tempfile::Builder::new().prefix("market-nats-").tempdir().expect("tempdir");
        let client_ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let route_ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let mut cluster = Self { dir, client_ports, route_ports, servers: vec![None, None, None] };
        for i in 0..3 {
            cluster.start(i);
        }
        cluster.wait_replicating().await;
        cluster
    }

    /// Client URLs of every server, for a node to fail over between.
    pub fn url(&self) -> String {
        self.client_ports
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Starts server `i` (again), on its ports and store folder.
    pub fn start(&mut self, i: usize) {
        let routes = self
            .route_ports
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, p)| format!("nats://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",");
        let store = self.dir.path().join(format!("s{i}"));
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &self.client_ports[i].to_string(), "-js", "-sd"])
            .arg(&store)
            .args(["--server_name", &format!("s{i}"), "--cluster_name", "market-test"])
            .args(["--cluster", &format!("nats://127.0.0.1:{}", self.route_ports[i])])
            .args(["--routes", &routes])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts (ops/test.sh installs it)");
        self.servers[i] = Some(child);
    }

    /// Kills server `i` at once.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.servers[i].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits until the cluster has a JetStream leader and stores a replicated stream.
    pub async fn wait_replicating(&self) {
        let url = self.url();
        let probe = async {
            loop {
                let servers: Vec<async_nats::ServerAddr> =
                    url.split(',').map(|u| u.parse().expect("a server URL")).collect();
                if let Ok(client) = async_nats::connect(servers).await {
                    let js = async_nats::jetstream::new(client);
                    let made = js
                        .get_or_create_stream(async_nats::jetstream::stream::Config {
                            name: "PROBE".into(),
                            subjects: vec!["probe".into()],
                            num_replicas: 3,
                            ..Default::default()
                        })
                        .await;
                    if made.is_ok() && js.publish("probe", "up".into()).await.is_ok() {
                        let _ = js.delete_stream("PROBE").await;
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), probe)
            .await
            .expect("the NATS cluster replicates within 60 s");
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for i in 0..self.servers.len() {
            self.kill(i);
        }
    }
}

/// One JetStream server of a test's own that admits only `user` with `password`.
#[derive(Debug)]
pub struct GuardedServer {
    _dir: tempfile::TempDir,
    child: Child,
    /// Its port.
    pub port: u16,
}

impl GuardedServer {
    /// Starts it and waits until it takes connections.
    pub async fn start(user: &str, password: &str) -> Self {
        let dir = tempfile::Builder::new().prefix("market-nats-").tempdir().expect("tempdir");
        let port = free_port();
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(dir.path())
            .args(["--user", user, "--pass", password])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        let up = async {
            while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(30), up).await.expect("nats-server listens");
        Self { _dir: dir, child, port }
    }
}

impl Drop for GuardedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
