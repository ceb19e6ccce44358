//! User accounts: a person logs in as a user of one participant and acts in its role. Accounts are reference data like any other, so the journal holds them; the gateway hashes
//! passwords before the command (the engine keeps only the hash, a PHC string) and checks them at
//! login.

use serde::{Deserialize, Serialize};

use crate::command::Ctx;
use crate::event::Event;
use crate::jurisdiction::Reach;
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
    /// False once an operator disabled the account: it logs in no more, its sessions end.
    pub active: bool,
    /// True after an operator reset the password: the user must choose its own before anything
    /// else (U-2).
    pub must_change_password: bool,
    /// Sessions opened before this moment are void: a password change or a disabling ends them.
    pub sessions_from: crate::types::Timestamp,
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
        self.require_operator(actor, Reach::Participant(participant))?;
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
        let account = UserAccount {
            id,
            participant,
            login: login.clone(),
            password_hash,
            active: true,
            must_change_password: false,
            sessions_from: crate::types::Timestamp(0),
        };
        self.users.push(id, account);
        ctx.emit(Event::UserRegistered { user: id, participant, login });
        Ok(())
    }

    /// U-2: a user sets its own password, or an operator resets one to a one-time password the
    /// user must replace. Either way the user's sessions opened before end.
    pub(crate) fn set_password(
        &mut self,
        actor: Actor,
        user: UserId,
        password_hash: String,
        one_time: bool,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let own = actor.user == user && !one_time;
        if !own {
            self.require_operator(actor, self.account_reach(user))?;
        }
        if !password_hash.starts_with('$') || password_hash.len() > 512 {
            return Err(Reason::Invalid { field: Field::Password });
        }
        let ix = self.users.index_of(user).ok_or(Reason::NotFound { what: Entity::User })?;
        let account = self.users.at_mut(ix);
        account.password_hash = password_hash;
        account.must_change_password = one_time;
        account.sessions_from = ctx.now;
        ctx.emit(Event::PasswordSet { user, one_time });
        Ok(())
    }

    /// U-2: an operator disables an account (its sessions end at once) or enables it again.
    pub(crate) fn set_user_active(
        &mut self,
        actor: Actor,
        user: UserId,
        active: bool,
        reason: String,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_operator(actor, self.account_reach(user))?;
        if !super::text_ok(&reason) {
            return Err(Reason::Invalid { field: Field::Name });
        }
        if actor.user == user {
            // An operator cannot shut itself out; another operator can.
            return Err(Reason::NotPermitted);
        }
        let ix = self.users.index_of(user).ok_or(Reason::NotFound { what: Entity::User })?;
        let account = self.users.at_mut(ix);
        account.active = active;
        account.sessions_from = ctx.now;
        ctx.emit(Event::UserActiveSet { user, active, reason });
        Ok(())
    }
}
