//! Idempotent retries (docs/DESIGN.md, Runtime).

use engine::idempotency::{IdempotencyKey, KEY_RETENTION_MS};
use engine::{Action, Command, Engine, Event};

use crate::market::*;

fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey::parse(text).expect("key")
}

fn keyed_order(s: &Scene, quantity: &str, k: &str) -> Command {
    Command::new(as_user(s.school), Action::PlaceOrder(order(s.desktop, quantity, s.line)))
        .with_key(key(k))
}

fn send(s: &mut Scene, quantity: &str, k: &str) -> Vec<Event> {
    let command = keyed_order(s, quantity, k);
    apply(s, command)
}

fn apply(s: &mut Scene, command: Command) -> Vec<Event> {
    let start = s.market.log.len();
    s.market.engine.apply(command, s.market.now, &mut s.market.log);
    s.market.log[start..].iter().map(|e| e.event.clone()).collect()
}

#[test]
fn a_retry_with_the_same_key_answers_with_the_first_command_and_strikes_nothing() {
    let mut s = Scene::new();
    let first = send(&mut s, "2", "order-7f3a");
    let first_seq = s.market.engine.seq();
    assert_eq!(trades(&first).len(), 1);
    let retry = send(&mut s, "2", "order-7f3a");
    assert_eq!(retry, vec![Event::AlreadyApplied { original: first_seq }]);
    assert_eq!(s.market.available(s.line), amount("90400"));
}

#[test]
fn a_refused_first_attempt_is_also_the_answer_to_its_retry() {
    let mut s = Scene::new();
    let first = send(&mut s, "1.5", "bad-qty");
    assert!(matches!(first.as_slice(), [Event::Rejected { .. }]));
    let first_seq = s.market.engine.seq();
    assert_eq!(send(&mut s, "1.5", "bad-qty"), vec![Event::AlreadyApplied { original: first_seq }]);
}

#[test]
fn keys_are_scoped_to_the_participant_and_expire_after_24_hours() {
    let mut s = Scene::new();
    send(&mut s, "1", "k-1");
    // Another participant may use the same key.
    let other = s.market.purchaser("另一所学校", XIHU);
    let line = s.market.budget(other, "10000");
    let theirs = Command::new(as_user(other), Action::PlaceOrder(order(s.desktop, "1", line)))
        .with_key(key("k-1"));
    assert_eq!(trades(&apply(&mut s, theirs)).len(), 1);
    // A day later the key is new again.
    s.market.now = s.market.now.plus_ms(KEY_RETENTION_MS);
    assert_eq!(trades(&send(&mut s, "1", "k-1")).len(), 1);
}

#[test]
fn keys_survive_a_snapshot_and_restore() {
    let mut s = Scene::new();
    send(&mut s, "1", "across-restart");
    let original = s.market.engine.seq();
    let mut restored = Engine::restore(&s.market.engine.snapshot()).expect("restore");
    let mut out = Vec::new();
    restored.apply(keyed_order(&s, "1", "across-restart"), s.market.now, &mut out);
    assert_eq!(out[0].event, Event::AlreadyApplied { original });
}
