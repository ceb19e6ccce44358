//! Some weeks of history for a fresh demo market, so that its charts, statistics and notices are
//! not empty on the first visit: the province is loaded as of the first day, then each working day
//! up to yesterday trades as a scripted day does (orders, offer moves, settlement steps), opens a
//! reverse auction before the day's trading that three holders bid down and that closes with an
//! award, and ends with the day's timers run. Every fifth working day a unit also opens a sealed
//! inquiry among four holders with the legal notice period; three of them seal quotes with the
//! market's own sealing key, and the round opens with it once its deadline has passed, as the
//! deadline timer would open it live (one still open at the end is opened live). Every command goes
//! through the engine and into the journal at its own time, refusals included.

use engine::auction::{AuctionSpec, Disclosure, Eligibility, MinStep};
use engine::types::Actor;
use engine::types::{Amount, Quantity, Timestamp, UnitPrice};
use engine::{Action, Command};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use time::{Date, Weekday};

use engine::inquiry::seal::Layer;
use engine::inquiry::{InquiryLine, InquirySpec};

use super::day::{ScriptStep, day_script, next_settlement_step};
use super::journal_sink::JournalSink;
use super::{DemoProvince, contests, demo_user};
use crate::sealing::{Sealer, Submission};

/// Commands of each past day's trading.
const COMMANDS_PER_DAY: usize = 150;
const HOUR_MS: i64 = 3_600_000;
const MINUTE_MS: i64 = 60_000;

/// The first day of `days` of history before `today`, within `today`'s year: the demo's budget
/// lines are of the current fiscal year, and its agreements valid from its first day.
pub fn first_day(today: Date, days: u32) -> Date {
    let back = today.saturating_sub(time::Duration::days(i64::from(days)));
    let new_year = Date::from_calendar_date(today.year(), time::Month::January, 1).unwrap_or(back);
    back.max(new_year)
}

/// When a fresh demo market's history begins: 07:00 in Shanghai on its first day, or `now` when
/// it has none.
pub fn start(now: Timestamp, days: u32) -> Timestamp {
    if days == 0 {
        return now;
    }
    let today = engine::types::shanghai_date(now);
    Timestamp::shanghai_midnight(first_day(today, days)).plus_ms(7 * HOUR_MS).min(now)
}

/// What the history holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// Working days traded.
    pub days: u32,
    /// Commands journaled.
    pub commands: u64,
    /// Commands the engine took (the rest it refused, as it would have live).
    pub taken: u64,
}

/// Trades every working day from `from` up to the day before `today`; with the market's
/// `sealer`, inquiries too.
pub fn backfill(
    sink: &mut JournalSink,
    province: &DemoProvince,
    from: Date,
    today: Date,
    sealer: Option<&Sealer>,
) -> anyhow::Result<History> {
    let mut history = History::default();
    let mut day = from;
    while day < today {
        if !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            trade_a_past_day(sink, province, day, &mut history)?;
            if let Some(sealer) = sealer {
                if history.days % 5 == 0 {
                    open_an_inquiry(sink, sealer, day, &mut history)?;
                }
                open_rounds_due(sink, sealer, day, &mut history)?;
            }
            history.days += 1;
        }
        day = day.next_day().unwrap_or(today);
    }
    Ok(history)
}

fn submit(
    sink: &mut JournalSink,
    history: &mut History,
    command: Command,
    at: Timestamp,
) -> anyhow::Result<()> {
    history.commands += 1;
    if sink.submit_at(command, at)? {
        history.taken += 1;
    }
    Ok(())
}

fn trade_a_past_day(
    sink: &mut JournalSink,
    province: &DemoProvince,
    day: Date,
    history: &mut History,
) -> anyhow::Result<()> {
    let midnight = Timestamp::shanghai_midnight(day);
    let seed = u64::try_from(day.to_julian_day()).unwrap_or(0);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Before the day's trading: an auction, bid down by three holders, closed with an award.
    let opens = midnight.plus_ms(8 * HOUR_MS);
    let contest = contests(sink.engine(), 3, Amount::ZERO)
        .nth(usize::try_from(seed % 40).unwrap_or(0))
        .or_else(|| contests(sink.engine(), 3, Amount::ZERO).next());
    if let Some(contest) = contest {
        let ceiling = sink
            .engine()
            .agreements()
            .filter(|a| a.product == contest.product && contest.bidders.contains(&a.supplier))
            .map(|a| a.ceiling)
            .min();
        if let (Some(ceiling), Ok(quantity)) = (ceiling, Quantity::parse("1")) {
            let step = UnitPrice::from_minor((ceiling.minor() / 1_000).max(100) / 100 * 100);
            let ends = opens.plus_ms(20 * MINUTE_MS);
            let spec = AuctionSpec {
                product: contest.product,
                quantity,
                budget_line: contest.line,
                ceiling,
                starts: opens,
                ends,
                min_step: MinStep::Price(step),
                soft_close_ms: 0,
                extension_ms: 0,
                max_extension_ms: 0,
                min_bidders: 3,
                disclosure: Disclosure::BestPrice,
                must_beat_best: false,
                eligibility: Eligibility::AgreementHolders,
            };
            let open = Command::new(demo_user(contest.purchaser), Action::OpenAuction(spec));
            submit(sink, history, open, opens)?;
            let auction = engine::types::DealId(sink.engine().seq().0);
            for (n, bidder) in contest.bidders.iter().take(3).enumerate() {
                let steps: i64 = rng.random_range(1..=40);
                let price = UnitPrice::from_minor(ceiling.minor() - steps * step.minor());
                let at = opens.plus_ms((5 + 4 * i64::try_from(n).unwrap_or(0)) * MINUTE_MS);
                let bid = Command::new(demo_user(*bidder), Action::SubmitBid { auction, price });
                submit(sink, history, bid, at)?;
            }
            submit(
                sink,
                history,
                Command::new(Actor::SYSTEM, Action::Tick),
                ends.plus_ms(MINUTE_MS),
            )?;
        }
    }
    // The day's trading.
    for (step, at) in day_script(province, day, COMMANDS_PER_DAY, seed) {
        let command = match step {
            ScriptStep::Command(command) => *command,
            ScriptStep::Settle { pick } => match next_settlement_step(sink.engine(), pick) {
                Some(command) => command,
                None => continue,
            },
        };
        submit(sink, history, command, at)?;
    }
    // The day's timers: challenge periods ending, payments falling due.
    submit(sink, history, Command::new(Actor::SYSTEM, Action::Tick), midnight.plus_ms(18 * HOUR_MS))
}

/// A unit's inquiry among four holders of a contested product, five units under the lowest of
/// their ceilings, quotes due twelve days later (past the notice period whatever the holidays);
/// three of the four seal quotes during the morning.
fn open_an_inquiry(
    sink: &mut JournalSink,
    sealer: &Sealer,
    day: Date,
    history: &mut History,
) -> anyhow::Result<()> {
    let midnight = Timestamp::shanghai_midnight(day);
    let seed = u64::try_from(day.to_julian_day()).unwrap_or(0);
    let Some(contest) =
        contests(sink.engine(), 4, Amount::ZERO).nth(usize::try_from(seed % 30).unwrap_or(0) + 40)
    else {
        return Ok(());
    };
    let invited: Vec<_> = contest.bidders.iter().take(4).copied().collect();
    let Some(ceiling) = sink
        .engine()
        .agreements()
        .filter(|a| a.product == contest.product && invited.contains(&a.supplier))
        .map(|a| a.ceiling)
        .min()
    else {
        return Ok(());
    };
    let mut sorted = invited.clone();
    sorted.sort_unstable();
    let spec = InquirySpec {
        lines: vec![InquiryLine {
            product: contest.product,
            quantity: Quantity::parse("5")?,
            ceiling,
        }],
        budget_line: contest.line,
        deadline: midnight.plus_ms(12 * 24 * HOUR_MS + 10 * HOUR_MS),
        invited: sorted,
        max_rounds: 2,
    };
    let opens = midnight.plus_ms(9 * HOUR_MS);
    let open = Command::new(demo_user(contest.purchaser), Action::OpenInquiry(spec));
    submit(sink, history, open, opens)?;
    let inquiry = engine::types::DealId(sink.engine().seq().0);
    if sink.engine().inquiry(inquiry).is_none() {
        return Ok(());
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    for (n, supplier) in invited.iter().take(3).enumerate() {
        let percent: i64 = rng.random_range(900..=990);
        let price = UnitPrice::from_minor(ceiling.minor() * percent / 1_000 / 100 * 100);
        let user = demo_user(*supplier).user;
        let sealing =
            sealer.seal(inquiry, 1, *supplier, user, &Submission::Quote(vec![price]), None)?;
        let quote = Action::SubmitQuote { inquiry, round: 1, quote: sealing.sealed };
        let at = opens.plus_ms((30 + 30 * i64::try_from(n).unwrap_or(0)) * MINUTE_MS);
        submit(sink, history, Command::new(Actor::SEALED, quote), at)?;
    }
    Ok(())
}

/// Opens, with the round keys, every inquiry round whose deadline has passed by the day's end:
/// first who quoted, then, with enough of them, the prices.
fn open_rounds_due(
    sink: &mut JournalSink,
    sealer: &Sealer,
    day: Date,
    history: &mut History,
) -> anyhow::Result<()> {
    let at = Timestamp::shanghai_midnight(day).plus_ms(18 * HOUR_MS + MINUTE_MS);
    loop {
        let due = sink.engine().inquiries().find_map(|q| {
            let layer = if q.awaits_author_key() {
                Layer::Author
            } else if q.awaits_content_key() {
                Layer::Content
            } else {
                return None;
            };
            Some((q.id, q.round_number(), layer))
        });
        let Some((inquiry, round, layer)) = due else { return Ok(()) };
        let key = sealer.round_key(inquiry, round, layer)?;
        let action = match layer {
            Layer::Author => Action::OpenAuthors { inquiry, round, key },
            Layer::Content => Action::OpenPrices { inquiry, round, key },
        };
        if !sink.submit_at(Command::new(Actor::SYSTEM, action), at)? {
            anyhow::bail!("the engine refused to open round {round} of inquiry {}", inquiry.0);
        }
        history.commands += 1;
        history.taken += 1;
    }
}
