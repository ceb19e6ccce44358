//! Damage to the journal on disk: corruption in the middle, a torn final record.

use std::process::{Command, Stdio};

use engine::types::Seq;
use gateway::journal::Layout;
use gateway::node::Node;

use crate::helpers::*;

/// Runs a short session to completion in `dir` and returns the last durable sequence.
fn short_session(dir: &std::path::Path) -> Seq {
    let status = Command::new(node_binary())
        .args(["--data-dir", dir.to_str().expect("utf-8"), "simulate", "--commands", "300"])
        .env("APP_TOKEN_KEY_FILE", dir.join("token.key"))
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the node runs");
    assert!(status.success());
    clean_replay(dir).seq()
}

fn segment(dir: &std::path::Path) -> std::path::PathBuf {
    Layout::new(dir).segment(Seq(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_record_in_the_middle_is_found_by_verify_and_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    short_session(dir.path());
    let path = segment(dir.path());
    let mut bytes = std::fs::read(&path).expect("segment");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    std::fs::write(&path, &bytes).expect("write");

    let verify = Command::new(node_binary())
        .args(["--data-dir", dir.path().to_str().expect("utf-8"), "verify"])
        .output()
        .expect("verify runs");
    assert!(!verify.status.success(), "verify must fail on corruption");
    let stderr = String::from_utf8_lossy(&verify.stderr);
    assert!(stderr.contains("corrupt"), "{stderr}");

    let error =
        Node::open(&settings(dir.path(), None), false).await.expect_err("the start is refused");
    assert!(format!("{error:#}").contains("corrupt"), "{error:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_final_record_is_cut_off_and_the_rest_recovers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let last = short_session(dir.path());
    let path = segment(dir.path());
    let whole = std::fs::read(&path).expect("segment");
    // The start of a record whose write the crash cut short: a header and part of a body (the
    // segment's first record, after its 8-byte magic, stands in for the next one).
    let mut torn = whole.clone();
    let first_record = &whole[8..];
    let mut header = first_record[..20].to_vec();
    let next = last.0 + 1;
    header[4..12].copy_from_slice(&next.to_le_bytes());
    let crc = crc32c::crc32c(&header[..16]);
    header[16..20].copy_from_slice(&crc.to_le_bytes());
    torn.extend_from_slice(&header);
    torn.extend_from_slice(&first_record[20..40]);
    std::fs::write(&path, &torn).expect("write");

    let data = dir.path().to_str().expect("utf-8");
    let verify = Command::new(node_binary())
        .args(["--data-dir", data, "verify"])
        .output()
        .expect("verify runs");
    assert_eq!(verify.status.code(), Some(3), "a cut is not passed over unless expected");
    let said = String::from_utf8_lossy(&verify.stdout);
    assert!(said.contains("torn") && said.contains("would cut"), "{said}");
    let verify = Command::new(node_binary())
        .args(["--data-dir", data, "verify", "--torn-tail-expected"])
        .output()
        .expect("verify runs");
    assert!(verify.status.success(), "a torn tail, when expected, is not a failure");

    let (node, _) = Node::open(&settings(dir.path(), None), false).await.expect("the node starts");
    let cut = node.runtime.recovery.torn.clone().expect("the torn record is reported");
    assert_eq!(cut.offset, whole.len() as u64);
    assert_eq!(node.durable(), last);
    assert_eq!(std::fs::read(&path).expect("segment"), whole, "the torn bytes are cut off");
    node.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zeros_after_the_last_record_stop_the_start_until_the_repair_command_cuts_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let last = short_session(dir.path());
    let path = segment(dir.path());
    let whole = std::fs::read(&path).expect("segment");
    let mut zeroed = whole.clone();
    zeroed.extend_from_slice(&[0; 4_096]);
    std::fs::write(&path, &zeroed).expect("write");
    let data = dir.path().to_str().expect("utf-8");

    let error = Node::open(&settings(dir.path(), None), false).await.expect_err("refused");
    assert!(format!("{error:#}").contains("gateway repair"), "{error:#}");
    let dry = Command::new(node_binary())
        .args(["--data-dir", data, "repair", "--dry-run"])
        .output()
        .expect("repair runs");
    assert!(dry.status.success());
    assert!(String::from_utf8_lossy(&dry.stdout).contains("would cut 4096 bytes"));
    assert_eq!(std::fs::read(&path).expect("segment"), zeroed, "a dry run cuts nothing");
    let repair = Command::new(node_binary())
        .args(["--data-dir", data, "repair"])
        .output()
        .expect("repair runs");
    let said = String::from_utf8_lossy(&repair.stdout);
    assert!(repair.status.success() && said.contains("cut 4096 bytes"), "{said}");
    assert_eq!(std::fs::read(&path).expect("segment"), whole);
    let kept = std::fs::read_dir(dir.path().join("repair")).expect("side folder");
    let kept: Vec<_> =
        kept.map(|e| std::fs::read(e.expect("entry").path()).expect("read")).collect();
    assert_eq!(kept, vec![vec![0; 4_096]], "the cut bytes are kept aside");

    let (node, _) = Node::open(&settings(dir.path(), None), false).await.expect("starts");
    assert_eq!(node.durable(), last);
    node.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_repair_command_refuses_damage_with_records_after_it_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    short_session(dir.path());
    let path = segment(dir.path());
    let mut bytes = std::fs::read(&path).expect("segment");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&path, &bytes).expect("write");
    let repair = Command::new(node_binary())
        .args(["--data-dir", dir.path().to_str().expect("utf-8"), "repair"])
        .output()
        .expect("repair runs");
    assert!(!repair.status.success());
    assert!(String::from_utf8_lossy(&repair.stderr).contains("nothing was cut"));
    assert_eq!(std::fs::read(&path).expect("segment"), bytes);
}

/// Runs `simulate` with its data folder on a file system of `megabytes`, in a mount namespace of its
/// own (so nothing is left mounted), and copies the folder out once the node has exited. Returns the
/// node's exit status, its standard output and its standard error.
fn simulate_on_a_small_disk(
    megabytes: u32,
    out: &std::path::Path,
) -> (Option<i32>, String, String) {
    let script = r#"
        set -u
        mnt=$(mktemp -d)
        mount -t tmpfs -o "size=${MEGABYTES}m" marketplace-test "$mnt" || exit 90
        "$NODE" --data-dir "$mnt/data" simulate --commands 40000 --clients 16 --print-acks
        status=$?
        cp -a "$mnt/data" "$OUT/data" || exit 91
        exit $status
    "#;
    let output = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", script])
        .env("MEGABYTES", megabytes.to_string())
        .env("NODE", std::fs::canonicalize(node_binary()).expect("node binary"))
        .env("OUT", out)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("unshare runs (the tests run as root)");
    let code = output.status.code();
    assert!(
        !matches!(code, Some(90 | 91)),
        "could not mount a small file system or copy the data out: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        code,
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_mid_session_ends_the_process_and_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, stdout, stderr) = simulate_on_a_small_disk(6, dir.path());
    assert!(code.is_some_and(|c| c != 0), "the node must exit non-zero: {code:?}\n{stderr}");
    assert!(stderr.contains("the journal could not be written"), "{stderr}");
    let acked: Vec<u64> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("ack "))
        .map(|s| s.parse().expect("a sequence"))
        .collect();
    let last_acked = acked.iter().max().copied().expect("some commands were acknowledged");
    let data = dir.path().join("data");
    // The write that failed may have left part of a record: a start cuts a torn tail, a repair
    // the rest; neither may cut anything acknowledged.
    let node = match Node::open(&settings(&data, None), false).await {
        Ok((node, _)) => node,
        Err(_) => {
            let repair = Command::new(node_binary())
                .args(["--data-dir", data.to_str().expect("utf-8"), "repair"])
                .output()
                .expect("repair runs");
            assert!(repair.status.success(), "{}", String::from_utf8_lossy(&repair.stderr));
            Node::open(&settings(&data, None), false).await.expect("starts after the repair").0
        }
    };
    assert!(
        node.durable().0 >= last_acked,
        "recovered to {}, acknowledged {last_acked}",
        node.durable()
    );
    node.shutdown().await.expect("shutdown");
}

#[test]
fn sigterm_stops_the_node_as_ctrl_c_does_with_a_final_snapshot() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().expect("tempdir");
    let last = short_session(dir.path());
    let mut node = Command::new(node_binary())
        .args(["--data-dir", dir.path().to_str().expect("utf-8"), "--listen", "127.0.0.1:0"])
        .env("APP_TOKEN_KEY_FILE", dir.path().join("token.key"))
        .args(["run", "--no-demo"])
        .env_remove("DATABASE_URL")
        // A demo folder's market would live; this node must do nothing but stop.
        .env("APP_DEMO_STILL", "1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the node starts");
    let mut stderr = BufReader::new(node.stderr.take().expect("stderr"));
    let mut said = String::new();
    while !said.contains("Marketplace at") {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).expect("read") > 0, "the node ended early: {said}");
        said.push_str(&line);
    }
    let status =
        Command::new("kill").args(["-TERM", &node.id().to_string()]).status().expect("kill runs");
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).expect("read");
    let exit = node.wait().expect("the node exits");
    assert!(exit.success(), "a stop asked for is a clean exit: {exit:?}\n{rest}");
    assert!(rest.contains("Stopping: final snapshot"), "{rest}");
    tokio::runtime::Runtime::new().expect("runtime").block_on(async {
        let (node, _) = Node::open(&settings(dir.path(), None), false).await.expect("starts again");
        assert_eq!(node.durable(), last);
        assert_eq!(node.runtime.recovery.replayed, 0, "recovered from the final snapshot alone");
        node.shutdown().await.expect("shutdown");
    });
}
