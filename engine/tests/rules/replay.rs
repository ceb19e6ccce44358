//! Snapshots, restore and replay: the same commands give the same state, bytes for bytes.

use engine::{Engine, SnapshotError};

use crate::market::*;

fn busy_scene() -> Scene {
    let mut s = Scene::new();
    let trade = first_trade(&s.buy("12"));
    s.market.ok(as_user(s.lenovo), engine::Action::RecordDelivery { trade });
    s.market.offer(s.dell, s.dell_fa, "4700");
    s.buy("2");
    s
}

#[test]
fn replaying_the_commands_gives_the_same_events_and_state_hash() {
    let s = busy_scene();
    let mut replayed = Engine::new();
    let mut events = Vec::new();
    for (command, at) in &s.market.commands {
        replayed.apply(command.clone(), *at, &mut events);
    }
    assert_eq!(events, s.market.log);
    assert_eq!(replayed.state_hash(), s.market.engine.state_hash());
}

#[test]
fn a_restored_snapshot_plus_the_rest_of_the_commands_equals_the_live_engine() {
    let s = busy_scene();
    let half = s.market.commands.len() / 2;
    let mut first = Engine::new();
    let mut events = Vec::new();
    for (command, at) in &s.market.commands[..half] {
        first.apply(command.clone(), *at, &mut events);
    }
    let mut restored = Engine::restore(&first.snapshot()).expect("restore");
    assert_eq!(restored.state_hash(), first.state_hash());
    for (command, at) in &s.market.commands[half..] {
        restored.apply(command.clone(), *at, &mut events);
    }
    assert_eq!(restored.state_hash(), s.market.engine.state_hash());
    assert_eq!(restored.seq(), s.market.engine.seq());
}

#[test]
fn a_snapshot_of_another_format_is_refused() {
    assert!(matches!(Engine::restore(b"not a snapshot"), Err(SnapshotError::Format)));
    let mut bytes = Engine::new().snapshot();
    bytes.truncate(bytes.len() - 1);
    assert!(matches!(Engine::restore(&bytes), Err(SnapshotError::Decode(_))));
}

#[test]
fn engine_time_never_goes_back() {
    let mut s = Scene::new();
    let before = s.market.engine.clock();
    s.market.now = engine::types::Timestamp(before.0 - 60_000);
    s.buy("1");
    assert_eq!(s.market.engine.clock(), before);
}
