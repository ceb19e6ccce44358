//! Alerts of what follows a deal: a payment overdue (P-6), a contract declined (C-4), a challenge
//! not answered in time (C-2), a ruling overdue (C-3). Raised live from the engine's events, and
//! found again in its state at a rebuild: the same alert either way, keyed by the command that
//! raised it. A contract of several lines declined at once raises one alert, not one a line.
//! A rating that takes a supplier's score below the low mark, and a second decline within 12
//! months, alert the operator too (E-1).

use engine::analytics::{
    Alert, challenge_unanswered, contract_declined, late_payment, low_score, repeated_declines,
    ruling_overdue,
};
use engine::evaluation::DECLINES_ALERTED;
use engine::settlement::{SettlementStep, TradeState};
use engine::{Engine, Event, EventEnvelope};

/// The alert `envelope` raises, if any.
pub fn alert_of(engine: &Engine, envelope: &EventEnvelope) -> Option<Alert> {
    let at = (envelope.seq, envelope.ts);
    match &envelope.event {
        Event::PaymentOverdue { trade, due, .. } => {
            Some(late_payment(&engine.trade(*trade)?.trade, *due, envelope.seq))
        }
        Event::TradeSettled { trade, step: SettlementStep::Decline, .. } => {
            Some(contract_declined(&engine.trade(*trade)?.trade, at))
        }
        Event::TradeRated { trade, .. } => {
            let score = engine.score_fell_low(*trade)?;
            Some(low_score(&engine.trade(*trade)?.trade, score, at))
        }
        Event::ChallengeUnanswered { deal, challenger, purchaser, .. } => {
            let region = engine.award(*deal)?.region.region();
            Some(challenge_unanswered(*deal, region, *challenger, *purchaser, at))
        }
        Event::RulingOverdue { deal, challenger } => {
            let region = engine.award(*deal)?.region.region();
            Some(ruling_overdue(*deal, region, *challenger, at))
        }
        _ => None,
    }
}

/// The repeated-declines alert a decline raises besides its own, if any (E-1).
pub fn second_alert_of(engine: &Engine, envelope: &EventEnvelope) -> Option<Alert> {
    let Event::TradeSettled { trade, step: SettlementStep::Decline, .. } = &envelope.event else {
        return None;
    };
    let record = engine.trade(*trade)?;
    let declines = engine.declines_within_year(record.trade.supplier, envelope.seq, envelope.ts);
    (declines >= DECLINES_ALERTED)
        .then(|| repeated_declines(&record.trade, declines, (envelope.seq, envelope.ts)))
}

/// Every such alert the engine's state holds, in the order raised.
pub fn alerts_in(engine: &Engine) -> Vec<Alert> {
    let mut alerts = Vec::new();
    for r in engine.trades() {
        if let (Some(seq), Some(due)) = (r.late, r.payment_due) {
            alerts.push(late_payment(&r.trade, due, seq));
        }
        if let Some(ended) = r.ended.filter(|_| r.state == TradeState::Declined) {
            alerts.push(contract_declined(&r.trade, ended));
            let declines = engine.declines_within_year(r.trade.supplier, ended.0, ended.1);
            if declines >= DECLINES_ALERTED {
                alerts.push(repeated_declines(&r.trade, declines, ended));
            }
        }
        if let (Some(rating), Some(score)) =
            (engine.rating(r.trade.id), engine.score_fell_low(r.trade.id))
        {
            alerts.push(low_score(&r.trade, score, (rating.seq, rating.ts)));
        }
    }
    for award in engine.awards() {
        let region = award.region.region();
        for c in &award.challenges {
            if let Some(at) = c.unanswered {
                alerts.push(challenge_unanswered(
                    award.deal,
                    region,
                    c.challenger,
                    award.purchaser,
                    at,
                ));
            }
            if let Some(at) = c.ruling_overdue {
                alerts.push(ruling_overdue(award.deal, region, c.challenger, at));
            }
        }
    }
    alerts.sort_by_key(|a| (a.seq, a.kind, a.deal));
    alerts.dedup_by_key(|a| (a.seq, a.kind, a.deal));
    alerts
}

/// True when `alert` repeats one already raised by the same command about the same deal.
pub fn repeats(raised: &[Alert], alert: &Alert) -> bool {
    raised
        .iter()
        .rev()
        .take_while(|a| a.seq == alert.seq)
        .any(|a| a.kind == alert.kind && a.deal == alert.deal)
}
