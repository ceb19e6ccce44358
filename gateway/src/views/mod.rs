//! What each viewer may see of a deal, built from the engine as of one sequence, so that the REST
//! answers and the live feeds cannot disagree on what is disclosed. A view takes a plain
//! [`Viewer`], never an HTTP session: who is looking, in what role, overseeing which region.
//!
//! - [`auction`]: reverse auction rooms and their results.
//! - [`award`]: an award, its ranking and its challenges (C-1 to C-5).
//! - [`inquiry`]: sealed inquiry rounds: nothing of a quote before its opening.
//! - [`trade`]: a settled trade.

pub mod auction;
pub mod award;
pub mod inquiry;
pub mod trade;

use engine::catalog::{ParticipantKind, RegionChain};
use engine::types::ParticipantId;

/// Who is looking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Viewer {
    /// The participant.
    pub participant: ParticipantId,
    /// Its role.
    pub role: ParticipantKind,
    /// The region it belongs to (and, for analysts and operators, oversees).
    pub region: Option<RegionChain>,
}

/// A supplier's 12-month score (E-1) as text: the mean mark to two decimals, such as `4.67`.
pub fn score_text(score: engine::evaluation::Score) -> String {
    format!("{}.{:02}", score.hundredths / 100, score.hundredths % 100)
}

/// The name and credit code of a participant, for the published results.
pub type Names<'a> = &'a dyn Fn(ParticipantId) -> Option<(String, String)>;

/// Names as the engine has them: what every caller of the results views passes.
pub fn names_in(
    engine: &engine::Engine,
) -> impl Fn(ParticipantId) -> Option<(String, String)> + '_ {
    |p| {
        engine
            .participant(p)
            .map(|p| (p.name.clone(), p.credit_code.map(|c| c.to_string()).unwrap_or_default()))
    }
}
