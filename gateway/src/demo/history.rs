//! Some weeks of history for a fresh demo market, so that its charts, statistics and notices are
//! not empty on the first visit: the province is loaded as of the first day, then each working day
//! up to yesterday trades as a scripted day does (orders, offer moves, settlement steps), opens a
//! reverse auction before the day's trading that three holders bid down and that closes with an
//! award, and ends with the day's timers run. Every command goes through the engine and into the
//! journal at its own time, refusals included, as it would have live.

use engine::auction::{AuctionSpec, Disclosure, Eligibility, MinStep};
use engine::types::Actor;
use engine::types::{Amount, Quantity, Timestamp, UnitPrice};
use engine::{Action, Command};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use time::{Date, Weekday};

use super::day::{ScriptStep, day_script, next_settlement_step};
use super::journal_sink::JournalSink;
use super::{DemoProvince, contests, demo_user};

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

/// Trades every working day from `from` up to the day before `today`.
pub fn backfill(
    sink: &mut JournalSink,
    province: &DemoProvince,
    from: Date,
    today: Date,
) -> anyhow::Result<History> {
    let mut history = History::default();
    let mut day = from;
    while day < today {
        if !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            trade_a_past_day(sink, province, day, &mut history)?;
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
