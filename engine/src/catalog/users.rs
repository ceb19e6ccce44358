//! User accounts: a person logs in as a user of one participant and acts in its role. Accounts are reference data like any other, so the journal holds them; the gateway hashes
//! passwords before the command (the engine keeps only the hash, a PHC string) and checks them at
//! login.

use serde::{Deserialize, Serialize};

use crate::command::Ctx;
use crate::event::Event;
use crate::reject::{Entity, Field, Reason};
use crate::state::State;
use crate::types::{Actor, ParticipantId, UserId};

/// A user account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAccount {
    /// Id.
    pub id: UserId,
    /// The participant it acts for.
    pub participant: ParticipantId,
    /// Login name, unique.
    pub login: String,
    /// Password hash in PHC string format.
    pub password_hash: String,
}

/// True for a login of 3 to 64 lowercase letters, digits and `.`, `-`, `_`, `@`.
fn login_ok(login: &str) -> bool {
    (3..=64).contains(&login.len())
        && login
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-@".contains(&b))
}

impl State {
    pub(crate) fn register_user(
        &mut self,
        actor: Actor,
        participant: ParticipantId,
        login: String,
        password_hash: String,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_operator(actor)?;
        if self.participants.index_of(participant).is_none() {
            return Err(Reason::NotFound { what: Entity::Participant });
        }
        if !login_ok(&login) || !password_hash.starts_with('$') || password_hash.len() > 512 {
            return Err(Reason::Invalid { field: Field::Name });
        }
        if self.logins.contains_key(&login) {
            return Err(Reason::AlreadyExists { what: Entity::User });
        }
        let id = UserId::from_seq(ctx.seq);
        self.logins.insert(login.clone(), id);
        self.users.push(id, UserAccount { id, participant, login: login.clone(), password_hash });
        ctx.emit(Event::UserRegistered { user: id, participant, login });
        Ok(())
    }
}
