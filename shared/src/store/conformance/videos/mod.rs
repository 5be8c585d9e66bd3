//! The video insights store: a video made once per tenant and id, claimed and finished by
//! compare-and-set, listed newest first, and its analysis read back exactly as written.

mod analyses;

use chrono::{DateTime, Duration};
use uuid::Uuid;

use self::analyses::{reviewed_analysis, unreviewed_analysis};
use super::*;
use crate::video::insights::ReviewOutcome;

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 9, minute, 0).unwrap() + Duration::milliseconds(250)
}

fn sku(text: &str) -> Sku {
    Sku::parse(text).unwrap()
}

/// A video a delivery has just claimed, as the function makes it.
fn video(
    tenant_id: &TenantId,
    name: &str,
    sku_text: Option<&str>,
    created: DateTime<Utc>,
) -> VideoRecord {
    let blob_name = format!("{tenant_id}/{name}");
    VideoRecord {
        tenant: tenant_id.clone(),
        id: video_id(tenant_id, &blob_name),
        blob_name,
        etag: "\"0x8DC5A1B2C3D4E5F\"".into(),
        size: 40_000_000,
        sku: sku_text.map(sku),
        status: VideoStatus::Analyzing,
        error: None,
        analysis: None,
        created_at: created,
        updated_at: created,
        analyzed_at: None,
        lease_until: Some(created + Duration::minutes(5)),
        version: 1,
    }
}

async fn tenants(store: &dyn Store) -> (TenantId, TenantId) {
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    store.ensure_tenant(&acme, "Acme").await.unwrap();
    (demo, acme)
}

pub(super) async fn a_video_is_made_once_and_saved_only_at_the_version_it_was_read(
    store: &dyn Store,
) {
    let (demo, acme) = tenants(store).await;
    let first = video(&demo, "mug.mp4", Some("MUG-1"), at(0));
    assert_eq!(
        store.create_video(&first).await.unwrap(),
        (first.clone(), true)
    );
    // A redelivered event makes nothing and gets the first video back, as it was made.
    let mut again = video(&demo, "mug.mp4", None, at(7));
    again.etag = "\"0x8DC5FFFFFFFFFFF\"".into();
    again.status = VideoStatus::Failed;
    again.error = Some("late".into());
    assert_eq!(
        store.create_video(&again).await.unwrap(),
        (first.clone(), false)
    );
    // Another tenant neither sees the id nor is kept from making its own video with it.
    assert_eq!(store.get_video(&acme, first.id).await.unwrap(), None);
    let theirs = VideoRecord {
        tenant: acme.clone(),
        blob_name: "acme/mug.mp4".into(),
        ..first.clone()
    };
    assert_eq!(
        store.create_video(&theirs).await.unwrap(),
        (theirs.clone(), true)
    );
    assert_eq!(
        store.get_video(&demo, first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store
            .get_video(&demo, video_id(&demo, "demo/none.mp4"))
            .await
            .unwrap(),
        None
    );

    // Two deliveries read version 1 and both try to finish it: only the first wins, and every
    // mutable field it wrote is read back.
    let mut done = first.clone();
    done.blob_name = "demo/mug-v2.mp4".into();
    done.etag = "\"0x8DC5A1B2C3D4E60\"".into();
    done.size = 41_000_123;
    done.sku = Some(sku("MUG-2"));
    done.status = VideoStatus::Analyzed;
    done.analysis = Some(reviewed_analysis());
    done.updated_at = at(2);
    done.analyzed_at = Some(at(2));
    done.lease_until = None;
    let mut rival = first.clone();
    rival.status = VideoStatus::Failed;
    rival.error = Some("moov box is truncated".into());
    rival.updated_at = at(3);
    assert!(store.save_video(&done).await.unwrap());
    assert!(!store.save_video(&rival).await.unwrap());
    let saved = VideoRecord {
        version: 2,
        ..done.clone()
    };
    assert_eq!(
        store.get_video(&demo, first.id).await.unwrap(),
        Some(saved.clone())
    );

    // The next write goes on from version 2: fields set to nothing are cleared, and the
    // creation time is kept whatever the record says.
    let mut redo = saved.clone();
    redo.sku = None;
    redo.status = VideoStatus::Failed;
    redo.error = Some("moov box is truncated".into());
    redo.analysis = None;
    redo.analyzed_at = None;
    redo.lease_until = Some(at(9));
    redo.updated_at = at(4);
    redo.created_at = at(30);
    assert!(store.save_video(&redo).await.unwrap());
    let expected = VideoRecord {
        created_at: at(0),
        version: 3,
        ..redo.clone()
    };
    assert_eq!(
        store.get_video(&demo, first.id).await.unwrap(),
        Some(expected.clone())
    );
    // The other tenant's row with that id is its own: a save naming it leaves demo's alone.
    let other = VideoRecord {
        tenant: acme.clone(),
        version: 3,
        ..redo
    };
    assert!(!store.save_video(&other).await.unwrap());
    assert_eq!(
        store.get_video(&acme, first.id).await.unwrap(),
        Some(theirs)
    );
    assert_eq!(
        store.get_video(&demo, first.id).await.unwrap(),
        Some(expected)
    );
}

fn names(videos: &[VideoRecord]) -> Vec<&str> {
    videos.iter().map(|v| v.blob_name.as_str()).collect()
}

fn listing(limit: u32) -> VideoQuery {
    VideoQuery {
        limit,
        ..VideoQuery::default()
    }
}

/// Four videos of demo's, two made in the same millisecond. Their ids are chosen so that
/// ordering them as text and as SQL Server's UNIQUEIDENTIFIER (last bytes first) disagree.
async fn four_videos(store: &dyn Store, demo: &TenantId) -> [VideoRecord; 4] {
    let v1 = video(demo, "1.mp4", Some("A"), at(1));
    let mut v2 = video(demo, "2.mp4", Some("B"), at(2));
    v2.id = Uuid::parse_str("10000000-0000-0000-0000-0000000000ff").unwrap();
    v2.status = VideoStatus::Analyzed;
    v2.analysis = Some(unreviewed_analysis());
    v2.analyzed_at = Some(at(3));
    v2.lease_until = None;
    let mut v3 = video(demo, "3.mp4", Some("A"), at(2));
    v3.id = Uuid::parse_str("a0000000-0000-0000-0000-000000000001").unwrap();
    v3.status = VideoStatus::Failed;
    v3.error = Some("not a video: the file starts with %PDF".into());
    v3.lease_until = None;
    let mut v4 = video(demo, "4.mp4", None, at(3));
    v4.status = VideoStatus::Analyzed;
    for v in [&v1, &v2, &v3, &v4] {
        assert!(store.create_video(v).await.unwrap().1);
    }
    [v1, v2, v3, v4]
}

pub(super) async fn videos_are_listed_newest_first_a_page_at_a_time_by_sku_and_status(
    store: &dyn Store,
) {
    let (demo, acme) = tenants(store).await;
    let [_, v2, v3, v4] = four_videos(store, &demo).await;
    let theirs = video(&acme, "1.mp4", Some("A"), at(9));
    assert!(store.create_video(&theirs).await.unwrap().1);

    let page = store.list_videos(&demo, &listing(2)).await.unwrap();
    assert_eq!(
        page,
        [v4, v3.clone()],
        "newest first, then by id, descending"
    );
    let next = VideoQuery {
        after: Some((v3.created_at, v3.id)),
        ..listing(2)
    };
    let page = store.list_videos(&demo, &next).await.unwrap();
    assert_eq!(names(&page), ["demo/2.mp4", "demo/1.mp4"]);
    assert_eq!(page[0], v2);
    let last = VideoQuery {
        after: Some((page[1].created_at, page[1].id)),
        ..listing(2)
    };
    assert!(store.list_videos(&demo, &last).await.unwrap().is_empty());

    let of_a = VideoQuery {
        sku: Some(sku("A")),
        ..listing(10)
    };
    let found = store.list_videos(&demo, &of_a).await.unwrap();
    assert_eq!(names(&found), ["demo/3.mp4", "demo/1.mp4"]);
    let after_v3 = VideoQuery {
        after: Some((v3.created_at, v3.id)),
        ..of_a.clone()
    };
    let found = store.list_videos(&demo, &after_v3).await.unwrap();
    assert_eq!(names(&found), ["demo/1.mp4"]);

    let analyzed = VideoQuery {
        status: Some(VideoStatus::Analyzed),
        ..listing(10)
    };
    let found = store.list_videos(&demo, &analyzed).await.unwrap();
    assert_eq!(names(&found), ["demo/4.mp4", "demo/2.mp4"]);
    let one = VideoQuery {
        limit: 1,
        ..analyzed.clone()
    };
    let found = store.list_videos(&demo, &one).await.unwrap();
    assert_eq!(names(&found), ["demo/4.mp4"]);
    let analyzed_b = VideoQuery {
        sku: Some(sku("B")),
        ..analyzed
    };
    let found = store.list_videos(&demo, &analyzed_b).await.unwrap();
    assert_eq!(names(&found), ["demo/2.mp4"]);
    let analyzing_b = VideoQuery {
        sku: Some(sku("B")),
        status: Some(VideoStatus::Analyzing),
        ..listing(10)
    };
    assert!(
        store
            .list_videos(&demo, &analyzing_b)
            .await
            .unwrap()
            .is_empty()
    );
    let failed = VideoQuery {
        status: Some(VideoStatus::Failed),
        ..listing(10)
    };
    let found = store.list_videos(&demo, &failed).await.unwrap();
    assert_eq!(found, [v3]);

    assert_eq!(
        store.list_videos(&acme, &listing(10)).await.unwrap(),
        [theirs]
    );
}

pub(super) async fn a_full_video_analysis_is_read_back_exactly_as_it_was_written(
    store: &dyn Store,
) {
    let (demo, _) = tenants(store).await;
    // Made analysed in one step…
    let mut unreviewed = video(&demo, "hevc.mov", None, at(1));
    unreviewed.status = VideoStatus::Analyzed;
    unreviewed.analysis = Some(unreviewed_analysis());
    unreviewed.analyzed_at = Some(at(1));
    unreviewed.lease_until = None;
    assert!(store.create_video(&unreviewed).await.unwrap().1);
    // …or claimed, then finished by a save.
    let claimed = video(&demo, "mug.mp4", Some("MUG-1"), at(2));
    assert!(store.create_video(&claimed).await.unwrap().1);
    let mut reviewed = claimed;
    reviewed.status = VideoStatus::Analyzed;
    reviewed.analysis = Some(reviewed_analysis());
    reviewed.analyzed_at = Some(at(3));
    reviewed.updated_at = at(3);
    reviewed.lease_until = None;
    assert!(store.save_video(&reviewed).await.unwrap());
    let reviewed = VideoRecord {
        version: 2,
        ..reviewed
    };

    let read = store.get_video(&demo, reviewed.id).await.unwrap();
    assert_eq!(read.as_ref(), Some(&reviewed));
    assert_eq!(
        read.and_then(|v| v.analysis).map(|a| a.review),
        Some(ReviewOutcome::Reviewed {
            model: "gpt-4o-mini".into(),
            input_tokens: 1_850,
            output_tokens: 240,
        })
    );
    let read = store.get_video(&demo, unreviewed.id).await.unwrap();
    assert_eq!(read, Some(unreviewed.clone()));
    let listed = store.list_videos(&demo, &listing(10)).await.unwrap();
    assert_eq!(listed, [reviewed, unreviewed]);
}
