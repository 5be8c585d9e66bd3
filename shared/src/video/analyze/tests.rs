//! The analyser over a real SQLite store and a local blob folder: one analysis per blob
//! version however often its event comes, deliveries that never overlap, a crashed delivery
//! taken over after its lease, and a re-upload analysed afresh.

use chrono::{Duration, Utc};

use super::*;
use crate::domain::TenantId;
use crate::store::sqlite::SqliteStore;
use crate::store::video_id;

struct Fixture {
    _dir: tempfile::TempDir,
    store: SqliteStore,
    blobs: Blobs,
    ai: AiEngine,
    tenant: TenantId,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    store.migrate().await.unwrap();
    let tenant = TenantId::parse("acme").unwrap();
    store.ensure_tenant(&tenant, "Acme").await.unwrap();
    let blobs = Blobs::local_folder(&dir.path().join("blobs")).unwrap();
    Fixture {
        _dir: dir,
        store,
        blobs,
        ai: AiEngine::Offline,
        tenant,
    }
}

impl Fixture {
    fn analyzer(&self) -> Analyzer<'_> {
        Analyzer {
            store: &self.store,
            blobs: &self.blobs,
            ai: &self.ai,
            last_review_try: false,
        }
    }

    /// Uploads fixture `file` as `acme/{name}` and returns its upload as the event names it.
    async fn upload(&self, file: &str, name: &str, etag: &str) -> VideoUpload {
        let bytes = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/video")
                .join(file),
        )
        .unwrap();
        let size = bytes.len() as u64;
        let blob = format!("acme/{name}");
        self.blobs
            .write(Container::Videos, &blob, bytes.into())
            .await
            .unwrap();
        VideoUpload::locate((&self.store, &self.blobs), ("videos", &blob), etag, size)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn the_same_event_twice_analyses_once_and_a_new_version_is_analysed_afresh() {
    let f = fixture().await;
    let upload = f.upload("no_audio.mp4", "MUG-1--spin.mp4", "\"v1\"").await;
    assert_eq!(upload.sku, None, "the tenant has no product MUG-1");
    let Outcome::Analyzed(first) = f.analyzer().analyze(&upload).await.unwrap() else {
        panic!("analysed")
    };
    assert_eq!(first.status, VideoStatus::Analyzed);
    assert_eq!(first.lease_until, None);
    let stored = f
        .store
        .get_video(&f.tenant, first.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, first, "what the outcome says is what is stored");
    let Outcome::AlreadyDone(again) = f.analyzer().analyze(&upload).await.unwrap() else {
        panic!("a no-op")
    };
    assert_eq!(again, first, "nothing written");

    let newer = f.upload("hevc.mp4", "MUG-1--spin.mp4", "\"v2\"").await;
    let Outcome::Analyzed(second) = f.analyzer().analyze(&newer).await.unwrap() else {
        panic!("analysed again")
    };
    assert_eq!(second.id, first.id, "the same record");
    assert_eq!(second.created_at, first.created_at);
    let codec = |v: &VideoRecord| {
        v.analysis
            .as_ref()
            .unwrap()
            .facts
            .video
            .as_ref()
            .unwrap()
            .codec
            .clone()
    };
    assert_eq!(
        (codec(&first), codec(&second)),
        ("avc1".into(), "hvc1".into())
    );
    // A third version that is not a video keeps nothing of the second's analysis.
    let broken = f.upload("truncated.mp4", "MUG-1--spin.mp4", "\"v3\"").await;
    let Outcome::Failed(third) = f.analyzer().analyze(&broken).await.unwrap() else {
        panic!("failed")
    };
    assert_eq!((third.id, third.analysis.as_ref()), (first.id, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_holding_the_lease_makes_the_next_wait_and_a_crashed_one_is_taken_over() {
    let f = fixture().await;
    let upload = f.upload("no_audio.mp4", "clip.mp4", "\"v1\"").await;
    // A delivery claimed it and is still working (or crashed a moment ago).
    let id = video_id(&f.tenant, &upload.blob_name);
    let now = Utc::now();
    let held = VideoRecord {
        tenant: f.tenant.clone(),
        id,
        blob_name: upload.blob_name.clone(),
        etag: upload.etag.clone(),
        size: upload.size,
        sku: None,
        status: VideoStatus::Analyzing,
        error: None,
        analysis: None,
        created_at: now,
        updated_at: now,
        analyzed_at: None,
        lease_until: Some(now + Duration::seconds(LEASE_SECONDS)),
        version: 1,
    };
    f.store.create_video(&held).await.unwrap();
    let f = std::sync::Arc::new(f);
    let waiting = {
        let (f, upload) = (std::sync::Arc::clone(&f), upload.clone());
        tokio::spawn(async move { f.analyzer().analyze(&upload).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(
        !waiting.is_finished(),
        "a second delivery waits for the holder"
    );
    // The holder crashed; its lease runs out a moment later and the waiting delivery takes
    // over within a couple of seconds.
    let mut expiring = f.store.get_video(&f.tenant, id).await.unwrap().unwrap();
    expiring.lease_until = Some(Utc::now() + Duration::milliseconds(300));
    assert!(f.store.save_video(&expiring).await.unwrap());
    let taken = tokio::time::timeout(std::time::Duration::from_secs(10), waiting).await;
    let Outcome::Analyzed(done) = taken.expect("in time").unwrap().unwrap() else {
        panic!("taken over")
    };
    assert_eq!(done.version, 4, "made, lease shortened, claimed, finished");
    // A delivery that waited for a holder who finished does nothing itself.
    assert!(matches!(
        f.analyzer().analyze(&upload).await.unwrap(),
        Outcome::AlreadyDone(_)
    ));
}

#[tokio::test]
async fn unreadable_files_fail_once_with_the_reason_and_are_not_analysed_again() {
    let f = fixture().await;
    for (file, expected) in [
        ("truncated.mp4", "truncated"),
        ("not_a_video.mp4", "not an MP4/MOV video"),
    ] {
        let upload = f.upload(file, file, "\"v1\"").await;
        let Outcome::Failed(failed) = f.analyzer().analyze(&upload).await.unwrap() else {
            panic!("{file} failed")
        };
        assert!(
            failed.error.as_deref().unwrap().contains(expected),
            "{failed:?}"
        );
        assert_eq!(failed.analysis, None);
        assert!(matches!(
            f.analyzer().analyze(&upload).await.unwrap(),
            Outcome::AlreadyDone(_)
        ));
    }
}

#[tokio::test]
async fn only_a_tenants_videos_folder_is_analysed() {
    let f = fixture().await;
    let refused = |r: Result<VideoUpload, AnalyzeError>| match r {
        Err(AnalyzeError::NotAVideoUpload(why)) => why,
        other => panic!("{other:?}"),
    };
    let why =
        refused(VideoUpload::locate((&f.store, &f.blobs), ("ingest", "acme/a.mp4"), "e", 1).await);
    assert!(why.contains("is not `videos`"));
    let why = refused(VideoUpload::locate((&f.store, &f.blobs), ("videos", "a.mp4"), "e", 1).await);
    assert!(why.contains("not under a tenant folder"));
    let why =
        refused(VideoUpload::locate((&f.store, &f.blobs), ("videos", "ghost/a.mp4"), "e", 1).await);
    assert!(why.contains("unknown tenant"));
}

#[test]
fn sku_candidates_come_from_the_first_folder_then_the_file_stem() {
    let skus = |name: &str| -> Vec<String> {
        sku_candidates(name)
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect()
    };
    assert_eq!(skus("MUG-1/turntable.mp4"), vec!["MUG-1", "turntable"]);
    assert_eq!(skus("MUG-1--unboxing.mp4"), vec!["MUG-1"]);
    assert_eq!(skus("TEE_2__look--x.mov"), vec!["TEE_2"]);
    assert_eq!(skus("MUG-1.mp4"), vec!["MUG-1"]);
    assert_eq!(skus("a/b/c.mp4"), vec!["a", "c"]);
}
