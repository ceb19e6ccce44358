//! What every handler can reach: cheap, cloneable handles only.

use std::sync::Arc;

use crate::journal::access::JournalAccess;
use crate::persist::Database;
use crate::read::Replica;
use crate::runtime::EngineHandle;

use crate::auth::LoginLimiter;
use crate::auth::Tokens;

/// Where reconciliation reads from.
#[derive(Clone, Debug)]
pub struct Books {
    /// The database.
    pub db: Database,
    /// The journal.
    pub journal: JournalAccess,
}

/// The gateway's shared state, behind one reference count: every request clones it once per
/// middleware layer, and a clone of the handles themselves (a dozen reference counts, the journal's
/// access) showed in the profile of the order path.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

impl From<Shared> for AppState {
    fn from(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Changes one state's handles (a test's own security log): copied first if shared.
impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }
}

/// What [`AppState`] holds.
#[derive(Clone, Debug)]
pub struct Shared {
    /// Commands go here.
    pub handle: EngineHandle,
    /// Reads come from here.
    pub replica: Replica,
    /// Token keys.
    pub tokens: Arc<Tokens>,
    /// Failed-login counts.
    pub logins: Arc<LoginLimiter>,
    /// Database and journal, for reconciliation; absent on a node without a database.
    pub books: Option<Books>,
    /// The journal, on the node that keeps it.
    pub journal: Option<JournalAccess>,
    /// Live feeds; absent on a node that serves none.
    pub hub: Option<Arc<crate::feed::Hub>>,
    /// The engine task's clock: what "now" means to a request (an auction starting at once).
    pub clock: Arc<dyn crate::runtime::Clock>,
    /// Candles, reference prices and alerts; absent on a node that computes none.
    pub prices: Option<crate::prices::PriceDesk>,
    /// Seals inquiry quotes; absent on a node that takes none.
    pub sealer: Option<Arc<crate::sealing::Sealer>>,
    /// What readiness and metrics report of the journal, the database and Redis.
    pub health: crate::health::Health,
    /// Request rates and each participant's share of the engine's queue.
    pub limits: Arc<super::limits::Limits>,
    /// True for a demo market, whose passwords are public.
    pub demo: bool,
    /// The security log (U-7).
    pub security: crate::audit::SecurityLog,
}

impl axum::extract::FromRef<AppState> for crate::auth::Sessions {
    fn from_ref(state: &AppState) -> Self {
        Self { tokens: state.tokens.clone(), replica: state.replica.clone() }
    }
}
