//! The command that gives a production marketplace its first operator (rule U-1): run on the
//! machine that holds the data folder, with the node stopped, it registers an operator and an
//! account with a one-time password, printed once, which opens nothing until its owner chooses a
//! password of its own. Whoever can run it could read the data folder anyway: the command line is
//! the trust anchor, not a default password.

use anyhow::{Context, bail};
use engine::catalog::{ParticipantKind, Registration};
use engine::types::Actor;
use engine::{Action, Command, Event};

use crate::node::{Node, Settings};

/// The account created.
#[derive(Debug)]
pub struct FirstOperator {
    /// Its login.
    pub login: String,
    /// The one-time password, shown once.
    pub password: String,
}

async fn apply(node: &Node, action: Action) -> anyhow::Result<Vec<Event>> {
    let outcome = node
        .runtime
        .handle()
        .submit_waiting(Command::new(Actor::SYSTEM, action))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let events: Vec<Event> = outcome.events.into_iter().map(|e| e.event).collect();
    if let Some(Event::Rejected { reason, .. }) = events.last() {
        bail!("refused: {reason}");
    }
    Ok(events)
}

/// Registers an operator named `name` with an account `login` and a one-time password.
pub async fn create_operator(
    settings: &Settings,
    login: &str,
    name: &str,
) -> anyhow::Result<FirstOperator> {
    let (node, _) = Node::open(settings, false).await?;
    let result = async {
        let registration = Registration {
            kind: ParticipantKind::Operator,
            name: name.into(),
            credit_code: None,
            region: None,
        };
        let events = apply(&node, Action::RegisterParticipant(registration)).await?;
        let participant = events
            .iter()
            .find_map(|e| match e {
                Event::ParticipantRegistered { participant, .. } => Some(*participant),
                _ => None,
            })
            .context("the operator was not registered")?;
        let password = one_time_password();
        let password_hash = crate::http::hash_password(password.clone())
            .await
            .map_err(|_| anyhow::anyhow!("the password could not be hashed"))?;
        let events = apply(
            &node,
            Action::RegisterUser {
                participant,
                login: login.into(),
                password_hash: password_hash.clone(),
            },
        )
        .await?;
        let user = events
            .iter()
            .find_map(|e| match e {
                Event::UserRegistered { user, .. } => Some(*user),
                _ => None,
            })
            .context("the account was not opened")?;
        apply(&node, Action::SetPassword { user, password_hash, one_time: true }).await?;
        Ok(FirstOperator { login: login.into(), password })
    }
    .await;
    node.shutdown().await?;
    result
}

fn one_time_password() -> String {
    crate::http::one_time_password()
}
