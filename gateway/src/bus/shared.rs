//! What all nodes share through the bus: single-use WebSocket tickets (issued by one node,
//! redeemed at another) and failed-login counts (a password guesser gains nothing by spreading its
//! guesses over nodes). A Redis that cannot be reached fails safe: no ticket redeems, and each node
//! still counts failures of its own.

use std::time::Duration;

use engine::types::{Actor, ParticipantId, UserId};

use super::Bus;

impl Bus {
    /// Stores a ticket for `actor`, valid for `ttl`.
    pub async fn put_ticket(
        &self,
        ticket: &str,
        actor: Actor,
        ttl: Duration,
    ) -> anyhow::Result<()> {
        let mut conn = self.conn.clone();
        let value = format!("{}:{}", actor.participant.0, actor.user.0);
        let _: () = redis::cmd("SET")
            .arg(self.key(&format!("ticket:{ticket}")))
            .arg(value)
            .arg("PX")
            .arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// The actor a ticket was issued to, once: the ticket is gone with the first read.
    pub async fn take_ticket(&self, ticket: &str) -> Option<Actor> {
        let mut conn = self.conn.clone();
        let value: Option<String> = redis::cmd("GETDEL")
            .arg(self.key(&format!("ticket:{ticket}")))
            .query_async(&mut conn)
            .await
            .inspect_err(|error| tracing::warn!(%error, "redeeming a ticket on the bus"))
            .ok()?;
        let (participant, user) =
            value?.split_once(':').map(|(p, u)| (p.parse().ok(), u.parse().ok()))?;
        Some(Actor::new(ParticipantId(participant?), UserId(user?)))
    }

    /// Failed logins of `login` in the current window, across nodes.
    pub async fn login_failures(&self, login: &str) -> u32 {
        let mut conn = self.conn.clone();
        redis::cmd("GET")
            .arg(self.key(&format!("login-failures:{login}")))
            .query_async::<Option<u32>>(&mut conn)
            .await
            .ok()
            .flatten()
            .unwrap_or(0)
    }

    /// Counts a failed login; the count lapses `window` after the first failure.
    pub async fn login_failed(&self, login: &str, window: Duration) {
        let mut conn = self.conn.clone();
        let key = self.key(&format!("login-failures:{login}"));
        let counted: redis::RedisResult<()> = redis::pipe()
            .cmd("INCR")
            .arg(&key)
            .ignore()
            .cmd("EXPIRE")
            .arg(&key)
            .arg(window.as_secs().max(1))
            .arg("NX")
            .ignore()
            .query_async(&mut conn)
            .await;
        if let Err(error) = counted {
            tracing::warn!(%error, "counting a failed login on the bus");
        }
    }

    /// Clears the failures of `login` after a good login.
    pub async fn login_succeeded(&self, login: &str) {
        let mut conn = self.conn.clone();
        let _: redis::RedisResult<()> = redis::cmd("DEL")
            .arg(self.key(&format!("login-failures:{login}")))
            .query_async(&mut conn)
            .await;
    }

    /// Marks a token revoked (by its hash) on every node, until it would have expired anyway.
    pub async fn revoke_token(&self, hash: &[u8; 16], ttl: Duration) {
        let mut conn = self.conn.clone();
        let key = self.key(&format!("revoked:{}", hex16(hash)));
        let set: redis::RedisResult<()> = redis::cmd("SET")
            .arg(&key)
            .arg(1)
            .arg("EX")
            .arg(ttl.as_secs().max(1))
            .query_async(&mut conn)
            .await;
        if let Err(error) = set {
            tracing::warn!(%error, "sharing a revoked token on the bus");
        }
    }

    /// True when some node revoked the token with this hash. When the bus cannot say, only this
    /// node's own revocations count (and the gap is logged): refusing every session through a
    /// Redis outage would stop the whole market to guard against a token already logged out.
    pub async fn token_revoked(&self, hash: &[u8; 16]) -> bool {
        let mut conn = self.conn.clone();
        match redis::cmd("EXISTS")
            .arg(self.key(&format!("revoked:{}", hex16(hash))))
            .query_async::<bool>(&mut conn)
            .await
        {
            Ok(revoked) => revoked,
            Err(error) => {
                tracing::warn!(%error, "cannot read shared revocations; this node's own still hold");
                false
            }
        }
    }
}

fn hex16(bytes: &[u8; 16]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
