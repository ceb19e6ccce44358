//! The quotes workload and its baselines: sealed inquiry rounds on the benchmark province, each
//! inviting the unaffiliated agreement holders of a contested product, and a stream of sealed
//! submissions (quotes and replacements) sealed ahead, outside any timing, as the gateway would.
//!
//! `NaiveQuotes` does what a submission needs (the round exists and collects, the time is before
//! its deadline, the key fingerprints match, a retry is recognised) with a `HashMap` and a
//! `HashSet`, and keeps the envelopes in a `Vec`. `open_in_the_clear` decides the same rounds from
//! the plaintext quotes (the last per supplier, the lowest total), the baseline of the opening.

use std::collections::{HashMap, HashSet};

use engine::inquiry::seal::{
    Commitment, KeyCheck, Layer, QuoteAuthor, QuoteContent, RoundKey, SealContext, Sealed,
    SealedQuote,
};
use engine::inquiry::{InquiryLine, InquirySpec};
use engine::types::{Actor, Amount, DealId, ParticipantId, Quantity, Timestamp, UnitPrice, UserId};
use engine::{Action, Command, Engine, Event};
use gateway::demo::{self, Contest, DemoSizes, Driver};

use crate::workload::{DAY, Workload};

/// Ceiling of every benchmark inquiry.
const CEILING_MINOR: i64 = 20_000 * 10_000;
const HOUR_MS: i64 = 3_600_000;
/// A week of notice.
const NOTICE_MS: i64 = 7 * 24 * HOUR_MS;

/// A quote as its author wrote it: what the opening's baseline decides from.
#[derive(Clone, Copy, Debug)]
pub struct Plain {
    /// The inquiry.
    pub inquiry: DealId,
    /// Its author.
    pub supplier: ParticipantId,
    /// The unit price of its one line.
    pub price: UnitPrice,
}

/// The sealed rounds, the submissions to them, and what opening them takes.
#[derive(Debug)]
pub struct Quotes {
    /// The engine with the inquiries open and the sealed submissions, with their times.
    pub workload: Workload,
    /// The same submissions in the clear.
    pub plain: Vec<Plain>,
    /// When every round's deadline has passed.
    pub deadline: Timestamp,
    /// Each inquiry's two keys, as the gateway would send them at the opening.
    pub keys: Vec<(DealId, RoundKey, RoundKey)>,
}

/// The two keys of an inquiry's first round: fixed bytes per inquiry, as good as derived ones here.
fn keys_of(inquiry: DealId) -> (RoundKey, RoundKey) {
    let mut author = [7; 32];
    author[..8].copy_from_slice(&inquiry.0.to_be_bytes());
    let mut content = [9; 32];
    content[..8].copy_from_slice(&inquiry.0.to_be_bytes());
    (RoundKey::from_bytes(author), RoundKey::from_bytes(content))
}

/// Loads the province, opens up to `inquiries` inquiries at 09:00 and seals `count` submissions
/// spread over the next hour: each invitee quotes in turn, later ones replacing earlier ones.
pub fn quotes(sizes: DemoSizes, inquiries: usize, count: usize) -> Quotes {
    let opens = Timestamp::shanghai_midnight(DAY).plus_ms(9 * HOUR_MS);
    let mut driver = Driver { now: opens, ..Driver::default() };
    demo::load(&mut driver, DAY, sizes).expect("the demo province loads");
    let hold = Amount::from_minor(CEILING_MINOR / 100);
    let plans: Vec<Contest> = demo::contests(&driver.engine, 4, hold).take(inquiries).collect();
    let mut rounds = Vec::new();
    for Contest { purchaser, line, product, bidders } in plans {
        let spec = InquirySpec {
            lines: vec![InquiryLine {
                product,
                quantity: Quantity::parse("1").expect("one"),
                ceiling: UnitPrice::from_minor(CEILING_MINOR),
            }],
            budget_line: line,
            deadline: opens.plus_ms(NOTICE_MS),
            invited: bidders.clone(),
            max_rounds: 1,
        };
        let command = Command::new(demo::demo_user(purchaser), Action::OpenInquiry(spec));
        let mut out = Vec::new();
        let seq = driver.engine.apply(command, opens, &mut out);
        if out.iter().any(|e| matches!(e.event, Event::InquiryOpened { .. })) {
            rounds.push((DealId(seq.0), bidders));
        }
    }
    assert!(!rounds.is_empty(), "the province has contested products");
    let mut commands = Vec::with_capacity(count);
    let mut plain = Vec::with_capacity(count);
    for i in 0..count {
        let (inquiry, invited) = &rounds[i % rounds.len()];
        let supplier = invited[(i / rounds.len()) % invited.len()];
        let price =
            UnitPrice::from_minor(CEILING_MINOR - 10_000 * i64::try_from(i % 997).unwrap_or(0));
        let n = u64::try_from(i).unwrap_or(0);
        let mut nonce = [0; 16];
        nonce[..8].copy_from_slice(&n.to_be_bytes());
        let content = QuoteContent { prices: vec![price], nonce };
        let author = QuoteAuthor { supplier, user: UserId(supplier.0 + 1), withdrawn: false };
        let (author_key, content_key) = keys_of(*inquiry);
        let context = |layer| SealContext { inquiry: *inquiry, round: 1, layer };
        let aead = |tag: u8| {
            let mut nonce = [tag; 12];
            nonce[..8].copy_from_slice(&n.to_be_bytes());
            nonce
        };
        let quote = SealedQuote {
            author: Sealed::seal(&author, &author_key, context(Layer::Author), aead(1)),
            commitment: Commitment::of(*inquiry, 1, supplier, false, &content),
            content: Sealed::seal(&content, &content_key, context(Layer::Content), aead(2)),
            author_key: author_key.check(),
            content_key: content_key.check(),
        };
        let at = opens.plus_ms(i64::try_from(i).unwrap_or(0) * (HOUR_MS - 60_000) / count as i64);
        let action = Action::SubmitQuote { inquiry: *inquiry, round: 1, quote };
        commands.push((Command::new(Actor::SEALED, action), at));
        plain.push(Plain { inquiry: *inquiry, supplier, price });
    }
    let keys = rounds
        .iter()
        .map(|(id, _)| {
            let (a, c) = keys_of(*id);
            (*id, a, c)
        })
        .collect();
    Quotes {
        workload: Workload { engine: driver.engine, commands },
        plain,
        deadline: opens.plus_ms(NOTICE_MS),
        keys,
    }
}

/// Opens every round of `engine` at `deadline` with `keys`: the tick, then each round's two layers.
/// Returns how many rounds were awarded.
pub fn open_all(
    engine: &mut Engine,
    deadline: Timestamp,
    keys: &[(DealId, RoundKey, RoundKey)],
) -> usize {
    let mut out = Vec::new();
    engine.apply(Command::new(Actor::SYSTEM, Action::Tick), deadline, &mut out);
    let mut awarded = 0;
    for (inquiry, author, content) in keys {
        let open = Action::OpenAuthors { inquiry: *inquiry, round: 1, key: author.clone() };
        engine.apply(Command::new(Actor::SYSTEM, open), deadline, &mut out);
        let open = Action::OpenPrices { inquiry: *inquiry, round: 1, key: content.clone() };
        out.clear();
        engine.apply(Command::new(Actor::SYSTEM, open), deadline, &mut out);
        awarded += usize::from(out.iter().any(|e| matches!(e.event, Event::InquiryAwarded { .. })));
    }
    awarded
}

/// The same rounds decided from the plaintext quotes: the last quote per supplier counts, the
/// lowest wins with at least three. Returns how many rounds were awarded.
pub fn open_in_the_clear(plain: &[Plain]) -> usize {
    let mut last: HashMap<(DealId, ParticipantId), UnitPrice> = HashMap::new();
    for q in plain {
        last.insert((q.inquiry, q.supplier), q.price);
    }
    let mut rounds: HashMap<DealId, Vec<UnitPrice>> = HashMap::new();
    for ((inquiry, _), price) in last {
        rounds.entry(inquiry).or_default().push(price);
    }
    rounds.values().filter(|prices| prices.len() >= 3 && prices.iter().min().is_some()).count()
}

struct NaiveRound {
    deadline: Timestamp,
    keys: Option<(KeyCheck, KeyCheck)>,
    seen: HashSet<[u8; 32]>,
    submissions: Vec<(SealedQuote, Timestamp)>,
}

/// The naive keeper of sealed submissions.
pub struct NaiveQuotes {
    rounds: HashMap<DealId, NaiveRound>,
}

impl std::fmt::Debug for NaiveQuotes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NaiveQuotes({} rounds)", self.rounds.len())
    }
}

impl NaiveQuotes {
    /// The same collecting rounds as `engine` holds.
    pub fn from_engine(engine: &Engine) -> Self {
        let rounds = engine
            .inquiries()
            .map(|q| {
                let round = NaiveRound {
                    deadline: q.round().deadline,
                    keys: None,
                    seen: HashSet::new(),
                    submissions: Vec::new(),
                };
                (q.id, round)
            })
            .collect();
        Self { rounds }
    }

    /// Takes a submission; false when it is refused.
    pub fn apply(&mut self, command: &Command, now: Timestamp) -> bool {
        let Action::SubmitQuote { inquiry, round, quote } = &command.action else { return false };
        if command.actor != Actor::SEALED || *round != 1 {
            return false;
        }
        let Some(r) = self.rounds.get_mut(inquiry) else { return false };
        let keys = (quote.author_key, quote.content_key);
        if now >= r.deadline || r.keys.is_some_and(|k| k != keys) {
            return false;
        }
        if !r.seen.insert(quote.commitment.0) {
            return true;
        }
        r.keys = Some(keys);
        r.submissions.push((quote.clone(), now));
        true
    }
}
