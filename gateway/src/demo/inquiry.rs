//! The demo's open inquiry: on a fresh demo province, `unit1` asks `supplier1` and three other
//! unaffiliated suppliers to quote for a product its budget can hold, with the regulations'
//! notice period, so a newcomer finds a sealed inquiry to quote in.

use engine::Engine;
use engine::catalog::ParticipantKind;
use engine::inquiry::{InquiryLine, InquirySpec};
use engine::types::{DealId, ParticipantId, Quantity, Timestamp};
use engine::{Action, Command, Event};

use super::demo_user;
use crate::runtime::EngineHandle;

/// A week: comfortably past three working days whatever the weekday.
const NOTICE_MS: i64 = 7 * 86_400_000;

/// The demo inquiry's purchasing unit, its terms at `now`, and the logins of its invitees.
pub type Terms = (ParticipantId, InquirySpec, Vec<String>);

/// The terms of the demo inquiry at `now`, when the province has `unit1` and `supplier1`.
pub fn terms(engine: &Engine, now: Timestamp) -> Option<Terms> {
    let login =
        |p: ParticipantId| engine.users().find(|u| u.participant == p).map(|u| u.login.clone());
    let unit = engine.user_by_login("unit1")?.participant;
    let line = engine
        .budget_lines()
        .filter(|l| l.purchaser == unit)
        .max_by_key(|l| l.balance.available())?;
    let first = engine.user_by_login("supplier1")?.participant;
    let mut invited = vec![first];
    for p in engine.participants().filter(|p| p.kind == ParticipantKind::Supplier && p.is_active())
    {
        if invited.len() < 4 && invited.iter().all(|i| *i != p.id && !engine.affiliated(*i, p.id)) {
            invited.push(p.id);
        }
    }
    // The product supplier1 holds an agreement for with the highest ceiling its line can hold 5 of.
    let quantity = Quantity::parse("5").ok()?;
    let (product, ceiling) = engine
        .agreements()
        .filter(|a| a.supplier == first && a.is_valid(now))
        .filter_map(|a| Some((a.product, a.ceiling, a.ceiling.times(quantity)?)))
        .filter(|(_, _, hold)| *hold <= line.balance.available())
        .max_by_key(|(_, _, hold)| *hold)
        .map(|(product, ceiling, _)| (product, ceiling))?;
    let logins = invited.iter().filter_map(|p| login(*p)).collect();
    let spec = InquirySpec {
        lines: vec![InquiryLine { product, quantity, ceiling }],
        budget_line: line.id,
        deadline: now.plus_ms(NOTICE_MS),
        invited,
        max_rounds: 2,
    };
    Some((unit, spec, logins))
}

/// Opens the demo inquiry on `terms`; its id and the logins invited, or `None` when the engine
/// refused it.
pub async fn open(
    handle: &EngineHandle,
    (unit, spec, logins): Terms,
) -> Option<(DealId, Vec<String>)> {
    let command = Command::new(demo_user(unit), Action::OpenInquiry(spec));
    let outcome = handle.submit_waiting(command).await.ok()?;
    outcome.events.iter().find_map(|e| match e.event {
        Event::InquiryOpened { inquiry, .. } => Some((inquiry, logins.clone())),
        _ => None,
    })
}
