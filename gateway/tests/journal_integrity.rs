//! Journal integrity on a disk that loses unsynced writes and can be made to fail: no single flipped
//! byte passes for a torn tail, the repair command cuts zeros and garbage after the last record but
//! never a record, and a journal that cannot be written stops the engine with every unanswered
//! caller told its outcome is unknown, and nothing acknowledged lost.

use std::path::PathBuf;
use std::sync::Arc;

use engine::types::{Actor, Seq, Timestamp};
use engine::{Action, Command};
use gateway::journal::reader::{Corruption, scan, scan_ahead, verify};
use gateway::journal::repair::{Finding, apply, examine};
use gateway::journal::storage::{FaultyStorage, Storage};
use gateway::journal::{Layout, recovery};
use gateway::runtime::{ManualClock, Runtime, RuntimeConfig, SubmitError};

fn layout() -> Layout {
    Layout::new("/data")
}

/// A command that makes a record of a realistic size; most are refused after the first few
/// hundred regions, which makes no difference to the journal: refusals are records too.
fn command(n: u32) -> Command {
    let code = format!("{}", 330_000 + (n % 900) * 100 + n / 900).parse().expect("code");
    let parent = if n == 0 { None } else { Some("330000".parse().expect("code")) };
    Command::new(Actor::SYSTEM, Action::DefineRegion { code, name: format!("地区{n}"), parent })
}

fn start(disk: &FaultyStorage) -> anyhow::Result<Runtime> {
    let clock = ManualClock::at(Timestamp(1_781_488_800_000));
    Runtime::start(Arc::new(disk.clone()), layout(), Arc::new(clock), RuntimeConfig::default())
}

/// Writes `count` records, acknowledged one batch at a time, then "kills" the node: unsynced bytes
/// are lost and no snapshot covers the tail. Returns the last acknowledged sequence.
async fn killed_folder(disk: &FaultyStorage, count: u32) -> Seq {
    let runtime = start(disk).expect("start");
    let handle = runtime.handle();
    let mut last = Seq(0);
    for chunk in (0..count).collect::<Vec<_>>().chunks(200) {
        let receivers: Vec<_> =
            chunk.iter().map(|n| handle.try_enqueue(command(*n)).expect("queued")).collect();
        for rx in receivers {
            last = last.max(rx.await.expect("acknowledged").seq);
        }
    }
    disk.crash(false);
    drop(runtime);
    for snapshot in disk.list(&layout().snapshot_dir()).expect("list") {
        disk.remove(&snapshot).expect("remove");
    }
    last
}

fn segment() -> PathBuf {
    layout().segment(Seq(1))
}

/// Byte offsets where each record starts in the segment.
fn record_starts(disk: &FaultyStorage) -> Vec<usize> {
    let bytes = disk.read_from(&segment(), 0).expect("read");
    let mut starts = Vec::new();
    let mut at = gateway::journal::record::SEGMENT_MAGIC.len();
    while at < bytes.len() {
        starts.push(at);
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        at += gateway::journal::record::FRAME_HEADER + len;
    }
    starts
}

fn corruption(error: &anyhow::Error) -> &Corruption {
    error.downcast_ref::<Corruption>().unwrap_or_else(|| panic!("not a corruption: {error:#}"))
}

#[tokio::test]
async fn a_flipped_length_long_before_the_end_is_refused_with_its_place_not_cut_as_torn() {
    let disk = FaultyStorage::new();
    let last = killed_folder(&disk, 2_400).await;
    let starts = record_starts(&disk);
    let target = starts.len() - 1_200;
    // The most significant byte of the length field: the length now runs past the end of file.
    disk.flip(&segment(), starts[target] + 3, 0x01);
    let error = verify(&disk, &layout()).expect_err("refused");
    let damage = corruption(&error);
    assert_eq!(damage.offset, starts[target] as u64);
    assert_eq!(damage.seq, Seq(target as u64 + 1));
    let text = format!("{error:#}");
    assert!(text.contains("00000000000000000001.log") && text.contains("record"), "{text}");
    let refused = start(&disk).expect_err("the start is refused");
    assert!(format!("{refused:#}").contains("corrupt"), "{refused:#}");
    // Nothing was cut: every acknowledged record is still there once the byte is put back.
    disk.flip(&segment(), starts[target] + 3, 0x01);
    assert_eq!(verify(&disk, &layout()).expect("whole again").last, Some(last));
}

/// Recovery reads ahead on a thread of its own: it sees the same records in the same order as a
/// plain scan, those before a damaged record included, then the same corruption; and an error of
/// its own stops the reading.
#[tokio::test]
async fn reading_ahead_gives_what_a_plain_scan_gives_up_to_the_damage_and_stops_on_an_error() {
    let disk = FaultyStorage::new();
    killed_folder(&disk, 1_300).await;
    let starts = record_starts(&disk);
    disk.flip(&segment(), starts[1_000] + 20, 0x40);
    let (mut plain, mut ahead) = (Vec::new(), Vec::new());
    let plain_error = scan(&disk, &layout(), |r, h| {
        plain.push((r.seq, h));
        Ok(())
    })
    .expect_err("damage");
    let ahead_error = scan_ahead(&disk, &layout(), |r, h| {
        ahead.push((r.seq, h));
        Ok(())
    })
    .expect_err("damage");
    assert_eq!(plain.len(), 1_000, "every record before the damaged one");
    assert_eq!(ahead, plain);
    assert_eq!(corruption(&ahead_error).offset, corruption(&plain_error).offset);
    assert_eq!(corruption(&ahead_error).seq, Seq(1_001));

    let mut seen = 0;
    let error = scan_ahead(&disk, &layout(), |r, _| {
        seen += 1;
        anyhow::ensure!(r.seq < Seq(300), "stop at {}", r.seq);
        Ok(())
    })
    .expect_err("stopped");
    assert_eq!(format!("{error}"), "stop at 300");
    assert_eq!(seen, 300, "nothing is visited after the error");
}

#[tokio::test]
async fn no_single_byte_flip_in_the_last_two_thousand_records_is_taken_for_a_torn_tail() {
    let disk = FaultyStorage::new();
    let last = killed_folder(&disk, 2_100).await;
    let starts = record_starts(&disk);
    let end = disk.durable_len(&segment());
    let first = starts[starts.len() - 2_000];
    // Every header byte of the last 50 records and of a few far back, and a deterministic sample
    // of every other byte (bodies included) across the 2,000.
    let mut positions: Vec<usize> = starts[starts.len() - 50..]
        .iter()
        .chain(starts[starts.len() - 2_000..].iter().step_by(97))
        .flat_map(|s| *s..*s + gateway::journal::record::FRAME_HEADER)
        .collect();
    let mut x = 0x9e37_79b9_u64;
    for _ in 0..400 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        positions.push(first + (x as usize) % (end - first));
    }
    for (i, at) in positions.iter().enumerate() {
        let mask = 1_u8 << (i % 8);
        disk.flip(&segment(), *at, mask);
        match verify(&disk, &layout()) {
            Err(error) => {
                let damage = corruption(&error);
                assert!(damage.offset as usize <= *at, "damage reported after the flip at {at}");
            }
            Ok(report) => {
                // A torn tail is only acceptable if it costs nothing acknowledged.
                let torn = report.torn.as_ref().map(|t| t.seq);
                panic!("flip at byte {at} passed as whole or torn ({torn:?}), last acked {last}");
            }
        }
        disk.flip(&segment(), *at, mask);
    }
    assert_eq!(verify(&disk, &layout()).expect("whole").last, Some(last));
}

#[tokio::test]
async fn a_record_cut_short_by_the_crash_is_a_torn_tail_cut_at_start_with_nothing_acknowledged_lost()
 {
    let disk = FaultyStorage::new();
    let runtime = start(&disk).expect("start");
    let handle = runtime.handle();
    let mut acked = Seq(0);
    for n in 0..50 {
        acked = handle.submit_waiting(command(n)).await.expect("acknowledged").seq;
    }
    // Writes that never reached their fsync, half of them left on disk by the power cut.
    let before = disk.durable_len(&segment());
    let tail = disk.read_from(&segment(), before as u64 - 300).expect("read");
    disk.append(&segment(), &tail).expect("append");
    disk.crash(true);
    drop(runtime);
    for snapshot in disk.list(&layout().snapshot_dir()).expect("list") {
        disk.remove(&snapshot).expect("remove");
    }
    // The appended bytes start inside a record: whatever shape they leave, the start either cuts
    // a torn tail after record 50 or refuses; it never loses record 50 or before.
    match start(&disk) {
        Ok(recovered) => {
            assert_eq!(*recovered.durable().borrow(), acked);
            recovered.shutdown().await.expect("shutdown");
        }
        Err(error) => assert!(format!("{error:#}").contains("corrupt"), "{error:#}"),
    }
}

#[tokio::test]
async fn zeros_after_the_last_record_are_refused_at_start_then_cut_by_repair_and_kept_aside() {
    let disk = FaultyStorage::new();
    let last = killed_folder(&disk, 300).await;
    let before = disk.durable_len(&segment());
    disk.append(&segment(), &[0; 4_096]).expect("append");
    disk.sync(&segment()).expect("sync");
    let error = start(&disk).expect_err("zeros are not a record");
    assert!(format!("{error:#}").contains("gateway repair"), "{error:#}");
    let Finding::Cut(cut) = examine(&disk, &layout()).expect("examine") else {
        panic!("zeros after the last record are cut")
    };
    assert_eq!((cut.offset as usize, cut.bytes, cut.seq), (before, 4_096, last.next()));
    assert!(cut.reason.contains("zeros"), "{}", cut.reason);
    apply(&disk, &cut).expect("repair");
    assert_eq!(disk.read_from(&cut.side_file, 0).expect("side file"), vec![0; 4_096]);
    assert_eq!(disk.durable_len(&segment()), before);
    let recovered = start(&disk).expect("starts after the repair");
    assert_eq!(*recovered.durable().borrow(), last);
    let next = recovered.handle().submit_waiting(command(9_999)).await.expect("applied");
    assert_eq!(next.seq, last.next());
    recovered.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_short_frame_with_a_bad_checksum_and_bytes_after_it_is_cut_by_repair() {
    let disk = FaultyStorage::new();
    let last = killed_folder(&disk, 300).await;
    let before = disk.durable_len(&segment());
    let mut garbage = vec![0x11, 0, 0, 0];
    garbage.extend((0..700_u32).map(|i| (i * 31 % 251) as u8));
    disk.append(&segment(), &garbage).expect("append");
    disk.sync(&segment()).expect("sync");
    start(&disk).expect_err("garbage is not a record");
    let Finding::Cut(cut) = examine(&disk, &layout()).expect("examine") else {
        panic!("garbage holding no record is cut")
    };
    assert_eq!(cut.offset as usize, before);
    apply(&disk, &cut).expect("repair");
    let recovered = start(&disk).expect("starts after the repair");
    assert_eq!(*recovered.durable().borrow(), last);
    recovered.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn repair_refuses_to_cut_damage_that_has_whole_records_after_it() {
    let disk = FaultyStorage::new();
    let last = killed_folder(&disk, 300).await;
    let starts = record_starts(&disk);
    let at = starts[starts.len() - 10] + 30;
    disk.flip(&segment(), at, 0x40);
    let before = disk.read_from(&segment(), 0).expect("read");
    match examine(&disk, &layout()).expect("examine") {
        Finding::Refused(why) => assert!(why.contains("nothing is cut"), "{why}"),
        other => panic!("cut past whole records: {other:?}"),
    }
    assert_eq!(disk.read_from(&segment(), 0).expect("read"), before, "nothing changed");
    disk.flip(&segment(), at, 0x40);
    assert_eq!(verify(&disk, &layout()).expect("whole").last, Some(last));
}

#[tokio::test]
async fn repair_refuses_to_cut_records_a_snapshot_shows_were_written() {
    let disk = FaultyStorage::new();
    let runtime = start(&disk).expect("start");
    let handle = runtime.handle();
    for n in 0..20 {
        handle.submit_waiting(command(n)).await.expect("acknowledged");
    }
    runtime.shutdown().await.expect("shutdown with a final snapshot at 20");
    // The last record's body rots: whole-looking header, failing body, nothing after it.
    let starts = record_starts(&disk);
    let at = starts[starts.len() - 1] + 25;
    disk.flip(&segment(), at, 0x08);
    match examine(&disk, &layout()).expect("examine") {
        Finding::Refused(why) => assert!(why.contains("snapshot"), "{why}"),
        other => panic!("cut a record the snapshot covers: {other:?}"),
    }
}

/// Submits `count` commands at once and waits for every answer; a command the stopped engine no
/// longer takes is answered `Unavailable` at once.
async fn flood(runtime: &Runtime, from: u32, count: u32) -> Vec<Result<Seq, SubmitError>> {
    let handle = runtime.handle();
    let receivers: Vec<_> = (from..from + count).map(|n| handle.try_enqueue(command(n))).collect();
    let mut answers = Vec::new();
    for rx in receivers {
        answers.push(match rx {
            Ok(rx) => rx.await.map(|o| o.seq).map_err(|_| SubmitError::OutcomeUnknown),
            Err(refused) => Err(refused),
        });
    }
    answers
}

async fn journal_failure_stops_the_engine_and_loses_nothing_acknowledged(
    fault: impl Fn(&FaultyStorage),
) {
    let disk = FaultyStorage::new();
    let runtime = start(&disk).expect("start");
    let mut answers = flood(&runtime, 0, 300).await;
    fault(&disk);
    answers.extend(flood(&runtime, 300, 3_000).await);
    let mut failure = runtime.failure();
    let why = failure.wait_for(Option::is_some).await.expect("reported").clone();
    assert!(why.is_some_and(|w| w.contains("journal")));
    let acked: Vec<Seq> = answers.iter().filter_map(|a| a.as_ref().ok().copied()).collect();
    let unknown = answers.iter().filter(|a| *a == &Err(SubmitError::OutcomeUnknown)).count();
    assert!(acked.len() >= 300 && unknown > 0, "{} acked, {unknown} unknown", acked.len());
    // Nothing that may have reached the journal is answered as never having entered: once a
    // command is refused at the door, every later one is too.
    let first_refused = answers.iter().position(|a| *a == Err(SubmitError::Unavailable));
    if let Some(first) = first_refused {
        assert!(answers[first..].iter().all(|a| *a == Err(SubmitError::Unavailable)));
    }
    assert!(!answers.contains(&Err(SubmitError::Overloaded)));
    // A command after the stop is never answered as done: refused as never having entered, or,
    // if the engine thread had not yet noticed the stop, unknown.
    let after = runtime.handle().submit(command(9_000)).await.map(|o| o.seq);
    assert!(
        matches!(after, Err(SubmitError::Unavailable | SubmitError::OutcomeUnknown)),
        "{after:?}"
    );
    let last_acked = acked.iter().max().copied().expect("acked");
    drop(runtime);
    disk.crash(true);
    disk.set_space(None);
    disk.fail_syncs(false);
    // The stop may leave a torn record behind (the write that failed): the start cuts it, or a
    // repair does; either way every acknowledged record comes back.
    let recovered = match start(&disk) {
        Ok(runtime) => runtime,
        Err(_) => {
            let Finding::Cut(cut) = examine(&disk, &layout()).expect("examine") else {
                panic!("the failed write left damage a repair cannot cut")
            };
            apply(&disk, &cut).expect("repair");
            start(&disk).expect("starts after the repair")
        }
    };
    let durable = *recovered.durable().borrow();
    assert!(durable >= last_acked, "recovered to {durable}, acknowledged {last_acked}");
    recovered.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_full_disk_stops_the_engine_and_every_unanswered_command_is_outcome_unknown() {
    journal_failure_stops_the_engine_and_loses_nothing_acknowledged(|disk| {
        disk.set_space(Some(20_000))
    })
    .await;
}

#[tokio::test]
async fn a_failing_fsync_stops_the_engine_and_every_unanswered_command_is_outcome_unknown() {
    journal_failure_stops_the_engine_and_loses_nothing_acknowledged(|disk| disk.fail_syncs(true))
        .await;
}

#[tokio::test]
async fn recovery_cuts_a_torn_tail_and_reports_its_sequence() {
    let disk = FaultyStorage::new();
    let last = killed_folder(&disk, 100).await;
    let starts = record_starts(&disk);
    let bytes = disk.read_from(&segment(), 0).expect("read");
    // The last record written again as the next one, then cut halfway through its body.
    let record = &bytes[starts[starts.len() - 1]..];
    let mut header = record[..20].to_vec();
    header[4..12].copy_from_slice(&(last.0 + 1).to_le_bytes());
    let crc = crc32c::crc32c(&header[..16]);
    header[16..20].copy_from_slice(&crc.to_le_bytes());
    header.extend_from_slice(&record[20..record.len() / 2]);
    disk.append(&segment(), &header).expect("append");
    disk.sync(&segment()).expect("sync");
    let report = verify(&disk, &layout()).expect("a torn tail is not damage");
    assert_eq!(report.torn.as_ref().map(|t| t.seq), Some(last.next()));
    let recovered =
        recovery::recover(Arc::new(disk.clone()), &layout(), 0, |_, _| {}).expect("recovers");
    assert_eq!(recovered.report.torn.map(|t| t.offset as usize), Some(bytes.len()));
    assert_eq!(disk.durable_len(&segment()), bytes.len());
}
