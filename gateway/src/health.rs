//! What a node knows of its own parts, from memory: whether its journal still takes records, how far
//! the database is behind and why, whether Redis answers. Readiness and metrics read it and never
//! wait on the database or the network themselves, so they answer at once in an outage, which is
//! when they are needed.

use std::sync::Arc;

use engine::types::Seq;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::persist::persister::PersisterStatus;

/// The parts a node runs, each present where this node runs it.
#[derive(Clone, Debug, Default)]
pub struct Health {
    /// The owner's journal.
    pub journal: Option<JournalHealth>,
    /// The owner's database, as the persister last heard from it.
    pub database: Option<DatabaseHealth>,
    /// Redis, where nodes share it.
    pub redis: Option<crate::bus::Bus>,
    /// The cluster, where the market runs on one.
    pub cluster: Option<ClusterHealth>,
}

/// This node's place in the cluster.
#[derive(Clone, Debug)]
pub struct ClusterHealth {
    /// The connection.
    pub cluster: crate::cluster::Cluster,
    /// Owner or edge.
    pub role: ClusterRole,
}

/// What a node is to its market.
#[derive(Clone, Debug)]
pub enum ClusterRole {
    /// It owns the market, by this lease.
    Owner(crate::cluster::lease::Lease),
    /// It forwards to the owner, whose lease it watches, and follows the stream; the second
    /// part says why the stream cannot be followed, while it cannot.
    Edge(crate::cluster::lease::OwnerWatch, watch::Receiver<Option<String>>),
}

/// The journal's durable watermark and, once it has failed, why.
#[derive(Clone, Debug)]
pub struct JournalHealth {
    /// Everything up to here is durable.
    pub durable: watch::Receiver<Seq>,
    /// Why the journal stopped, once it has.
    pub failure: watch::Receiver<Option<Arc<str>>>,
}

/// Which database, and what the persister last heard from it.
#[derive(Clone, Debug)]
pub struct DatabaseHealth {
    /// `postgresql` or `sqlite`.
    pub kind: &'static str,
    /// The persister's status.
    pub persister: PersisterStatus,
    /// The offset the publisher of notices and releases has committed.
    pub published: watch::Receiver<Seq>,
}

impl JournalHealth {
    /// The sequence up to which everything is durable.
    pub fn durable(&self) -> Seq {
        *self.durable.borrow()
    }

    /// Why the journal stopped, if it has.
    pub fn failure(&self) -> Option<Arc<str>> {
        self.failure.borrow().clone()
    }
}

impl Health {
    /// Records durable in the journal and not yet in the database.
    pub fn persister_lag(&self) -> Option<u64> {
        let (journal, database) = (self.journal.as_ref()?, self.database.as_ref()?);
        Some(journal.durable().0.saturating_sub(database.persister.persisted().0))
    }

    /// Records durable in the journal and not yet published (notices and OCDS releases).
    pub fn publication_lag(&self) -> Option<u64> {
        let (journal, database) = (self.journal.as_ref()?, self.database.as_ref()?);
        Some(journal.durable().0.saturating_sub(database.published.borrow().0))
    }

    /// The journal's part of readiness: ready unless it has failed.
    pub fn journal_report(&self) -> Option<(bool, Value)> {
        let journal = self.journal.as_ref()?;
        let failure = journal.failure();
        Some((
            failure.is_none(),
            json!({
                "ok": failure.is_none(),
                "durable_seq": journal.durable().0,
                "error": failure.as_deref(),
            }),
        ))
    }

    /// The cluster's part of readiness: an owner is ready while its lease is fresh, an edge while
    /// some owner renews its lease (without one, every command it took would go unanswered).
    pub fn cluster_report(&self) -> Option<(bool, Value)> {
        let ClusterHealth { cluster, role } = self.cluster.as_ref()?;
        let connected = cluster.connected();
        let (role, owner) = match role {
            ClusterRole::Owner(lease) if lease.fresh() => ("owner", Ok("this node".to_string())),
            ClusterRole::Owner(_) => {
                ("owner", Err("this node's lease was not renewed".to_string()))
            }
            ClusterRole::Edge(watch, following) => match following.borrow().clone() {
                Some(problem) => ("edge", Err(format!("the journal stream: {problem}"))),
                None => ("edge", watch.owner()),
            },
        };
        let ok = connected && owner.is_ok();
        let error = if connected {
            owner.as_ref().err().cloned()
        } else {
            Some("NATS is not connected".into())
        };
        Some((
            ok,
            json!({
                "ok": ok,
                "market": cluster.market(),
                "role": role,
                "owner": owner.ok(),
                "error": error,
            }),
        ))
    }

    /// The database's part of readiness. A database outage does not make the node unready: the
    /// engine keeps trading from the journal and the persister catches up.
    pub fn database_report(&self) -> Option<Value> {
        let database = self.database.as_ref()?;
        let problem = database.persister.problem();
        Some(json!({
            "ok": problem.is_none(),
            "kind": database.kind,
            "persisted_seq": database.persister.persisted().0,
            "lag": self.persister_lag(),
            "published_seq": database.published.borrow().0,
            "publication_lag": self.publication_lag(),
            "last_error": problem,
        }))
    }
}
