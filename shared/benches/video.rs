//! Video analysis time and memory on a huge file: `cargo bench -p shared --bench video [-- GIB]`.
//!
//! Builds a video of GIB gibibytes (default 4) from the committed 3-second vertical clip with
//! its `moov` at the end: the clip's `ftyp` and `mdat`, then a sparse `free` box (a hole in the
//! file, so the disk holds only the clip) of the size asked for, then the clip's `moov`. The
//! `moov` still points into the `mdat`, so the file is a valid video of that size, with its
//! index after gigabytes of data, as a camera or an unprocessed export writes it.
//!
//! Then, in a fresh child process so that peak RSS belongs to it alone, it runs the whole
//! analysis (`Analyzer::analyze`: claim, facts, audio, keyframes and thumbnails, channels, the
//! offline review, the store) from a local blob folder into SQLite, and prints the seconds,
//! the bytes the process read (`rchar`) and its peak RSS (VmHWM). The claim (issue 8): bounded
//! memory for a 4 GB file, and reads of the `moov` and the samples used, not the file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use shared::ai::AiEngine;
use shared::blobs::Blobs;
use shared::domain::TenantId;
use shared::store::Store;
use shared::store::sqlite::SqliteStore;
use shared::video::analyze::{Analyzer, Outcome, VideoUpload};

const TENANT: &str = "bench";
const BLOB: &str = "bench/huge.mp4";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, dir] = args.as_slice()
        && flag == "--child"
    {
        run_child(Path::new(dir));
        return;
    }
    let gib: u64 = args.iter().find_map(|a| a.parse().ok()).unwrap_or(4);
    let dir = tempfile::tempdir().unwrap();
    let size = build(&dir.path().join("blobs/videos").join(BLOB), gib << 30);
    println!("video: {size} bytes ({gib} GiB of sparse padding before the moov)");
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--child", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    print!("{}", String::from_utf8_lossy(&output.stdout));
}

/// Writes the huge video at `path`; returns its size.
fn build(path: &Path, padding: u64) -> u64 {
    let clip = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/video/h264_moov_at_end.mp4"),
    )
    .unwrap();
    let moov = top_level(&clip)
        .into_iter()
        .find(|(kind, _, _)| kind == b"moov")
        .map(|(_, start, _)| start)
        .expect("a moov");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut file = std::fs::File::create(path).unwrap();
    file.write_all(&clip[..moov]).unwrap();
    // A `free` box with a 64-bit size: header, then a hole.
    let free = padding + 16;
    file.write_all(&1u32.to_be_bytes()).unwrap();
    file.write_all(b"free").unwrap();
    file.write_all(&free.to_be_bytes()).unwrap();
    file.seek(SeekFrom::Current(i64::try_from(padding).unwrap()))
        .unwrap();
    file.write_all(&clip[moov..]).unwrap();
    file.flush().unwrap();
    file.metadata().unwrap().len()
}

/// The top-level boxes of `bytes`: type, start, size (32-bit sizes only, as the clip has).
fn top_level(bytes: &[u8]) -> Vec<([u8; 4], usize, usize)> {
    let mut boxes = Vec::new();
    let mut at = 0;
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = bytes[at + 4..at + 8].try_into().unwrap();
        boxes.push((kind, at, size));
        at += size.max(8);
    }
    boxes
}

fn run_child(dir: &Path) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = SqliteStore::open(&dir.join("bench.db")).unwrap();
        store.migrate().await.unwrap();
        let tenant = TenantId::parse(TENANT).unwrap();
        store.ensure_tenant(&tenant, "Bench").await.unwrap();
        let blobs = Blobs::local_folder(&dir.join("blobs")).unwrap();
        let size = std::fs::metadata(blob_path(dir)).unwrap().len();
        let upload = VideoUpload::locate((&store, &blobs), ("videos", BLOB), "\"bench\"", size)
            .await
            .unwrap();
        let read_before = read_bytes();
        let started = Instant::now();
        let analyzer = Analyzer {
            store: &store,
            blobs: &blobs,
            ai: &AiEngine::Offline,
            last_review_try: false,
        };
        let outcome = analyzer.analyze(&upload).await.unwrap();
        let seconds = started.elapsed().as_secs_f64();
        let Outcome::Analyzed(video) = outcome else {
            panic!("not analysed: {outcome:?}")
        };
        let analysis = video.analysis.unwrap();
        println!(
            "analysed in {seconds:.3} s: {} keyframes, audible {:?}, {} insights",
            analysis.keyframes.len(),
            analysis.audio.map(|a| a.audible),
            analysis.insights.len()
        );
        println!(
            "read {} bytes of {size}; peak RSS {} KiB",
            read_bytes() - read_before,
            peak_rss_kib()
        );
    });
}

fn blob_path(dir: &Path) -> PathBuf {
    dir.join("blobs/videos").join(BLOB)
}

/// Bytes this process has read through `read`-like calls (`/proc/self/io` `rchar`).
fn read_bytes() -> u64 {
    proc_field("/proc/self/io", "rchar:")
}

/// Peak resident set size in KiB (`/proc/self/status` `VmHWM`).
fn peak_rss_kib() -> u64 {
    proc_field("/proc/self/status", "VmHWM:")
}

fn proc_field(file: &str, name: &str) -> u64 {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
