//! Replays the committed corpus (`fuzz/corpus/<target>/`) through each target's function, so
//! `cargo test` fails if any input that once ran clean now panics. No coverage, no
//! mutation: the fuzzing itself is `cargo fuzz run` (see the README).

use std::fs;
use std::io;
use std::path::PathBuf;

/// Runs every input of `target`'s corpus through `run`; returns how many there were.
fn replay(target: &str, run: fn(&[u8])) -> io::Result<usize> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut inputs = 0;
    for entry in fs::read_dir(&dir)? {
        let path = entry?.path();
        let data = fs::read(&path)?;
        eprintln!("{}", path.display());
        run(&data);
        inputs += 1;
    }
    Ok(inputs)
}

#[test]
fn the_csv_feed_corpus_reads_without_a_panic() {
    assert!(replay("feed_csv", fuzz::feed::csv).unwrap() >= 10);
}

#[test]
fn the_json_feed_corpus_reads_without_a_panic() {
    assert!(replay("feed_json", fuzz::feed::json).unwrap() >= 10);
}

#[test]
fn the_xlsx_feed_corpus_reads_without_a_panic() {
    assert!(replay("feed_xlsx", fuzz::feed::xlsx).unwrap() >= 5);
}

#[test]
fn the_host_protocol_corpus_decodes_without_a_panic() {
    assert!(replay("host_protocol", fuzz::protocol::invocation).unwrap() >= 8);
}

#[test]
fn the_mp4_corpus_reads_without_a_panic() {
    assert!(replay("mp4", fuzz::mp4::movie).unwrap() >= 10);
}

#[test]
fn the_webhook_corpus_verifies_without_a_panic() {
    assert!(replay("webhook", fuzz::webhook::delivery).unwrap() >= 6);
}
