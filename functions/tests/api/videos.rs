//! `AnalyzeVideo` and `Videos`, end to end: a video dropped into the local blob folder raises
//! BlobCreated on `video-files`, is analysed by the real handler through the local host, and
//! its insights are read back through `GET /api/videos`.

use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually};
use crate::mock_openai::{MockOpenAi, Reply};

pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/tests/fixtures/video")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Drops fixture `file` as `videos/demo/{name}`, the way a merchant would.
fn drop_video(app: &TestApp, name: &str, file: &str) {
    app.drop_blob("videos", "demo", name, &fixture(file));
}

/// The full record of the video a listing item summarises.
async fn detail(app: &TestApp, summary: &Value) -> Value {
    let link = summary["links"]["video"].as_str().expect("a link");
    app.get_json(link.trim_start_matches("/api")).await
}

/// Waits until the listing shows `name` analysed (or failed), and returns its summary.
async fn wait_for_video(app: &TestApp, name: &str) -> Value {
    eventually(60, &format!("video {name} analysed"), || async {
        let page = app.get_json("/videos?limit=200").await;
        page["items"]
            .as_array()?
            .iter()
            .find(|v| v["name"] == name && v["status"] != "analyzing")
            .cloned()
    })
    .await
}

fn verdict(summary: &Value, channel: &str) -> String {
    summary["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .find(|c| c["channel"] == channel)
        .unwrap_or_else(|| panic!("no {channel} in {summary}"))["verdict"]
        .as_str()
        .expect("verdict")
        .to_owned()
}

#[tokio::test]
async fn a_vertical_clip_with_audio_is_analysed_with_thumbnails_and_passes_the_short_video_channels()
 {
    let app = TestApp::spawn().await;
    drop_video(&app, "clip.mp4", "h264_1080x1920_aac.mp4");
    let summary = wait_for_video(&app, "clip.mp4").await;
    assert_eq!(summary["status"], "analyzed", "{summary}");
    assert_eq!(summary["duration_seconds"], 3.0);
    assert_eq!(
        (summary["width"].clone(), summary["height"].clone()),
        (json!(1080), json!(1920))
    );
    assert_eq!(summary["frame_rate"], json!({"num": 30, "den": 1}));
    assert_eq!(summary["fps"], 30.0);
    assert_eq!(summary["has_audio"], true);
    assert_eq!(summary["audible"], true);
    for channel in ["instagram_reels", "tiktok", "youtube_shorts"] {
        assert_eq!(verdict(&summary, channel), "pass", "{channel}: {summary}");
    }
    let listing = app.get("/videos", Some("local-dev-key")).await;
    assert_eq!(
        listing.headers()["cache-control"],
        "no-store",
        "its thumbnail URLs expire"
    );
    let poster = summary["poster_url"].as_str().expect("a poster");
    let jpeg = app.client.get(poster).send().await.expect("poster");
    assert_eq!(jpeg.status(), 200);
    assert_eq!(jpeg.headers()["content-type"], "image/jpeg");
    assert_eq!(&jpeg.bytes().await.expect("bytes")[..2], &[0xff, 0xd8]);

    let video = detail(&app, &summary).await;
    let keyframes = video["keyframes"].as_array().expect("keyframes");
    let times: Vec<f64> = keyframes
        .iter()
        .map(|k| k["time"].as_f64().unwrap())
        .collect();
    assert_eq!(times, vec![0.0, 1.0, 2.0]);
    for k in keyframes {
        assert_eq!(
            (k["width"].clone(), k["height"].clone()),
            (json!(270), json!(480))
        );
        let url = k["thumbnail_url"].as_str().expect("url");
        assert_eq!(app.client.get(url).send().await.unwrap().status(), 200);
        assert!(k["thumbnail"].as_str().unwrap().starts_with("demo/"));
    }
    assert_eq!(video["frames"]["status"], "decoded");
    assert_eq!(video["facts"]["video"]["codec_string"], "avc1.640028");
    assert_eq!(video["review"]["status"], "not_reviewed");
    assert!(
        video["review"]["reason"]
            .as_str()
            .unwrap()
            .contains("no AI provider is configured")
    );
    let kinds: Vec<&str> = video["insights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    for kind in [
        "duration",
        "resolution",
        "frame_rate",
        "audio_track",
        "audio",
        "channel",
    ] {
        assert!(kinds.contains(&kind), "no {kind} insight: {kinds:?}");
    }
    assert!(!kinds.contains(&"faststart"));
    app.stop().await;
}

#[tokio::test]
async fn the_same_clip_with_its_moov_at_the_end_gets_an_instagram_faststart_warning() {
    let app = TestApp::spawn().await;
    drop_video(&app, "late-moov.mp4", "h264_moov_at_end.mp4");
    let summary = wait_for_video(&app, "late-moov.mp4").await;
    assert_eq!(verdict(&summary, "instagram_reels"), "warn", "{summary}");
    let video = detail(&app, &summary).await;
    let reels = video["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == "instagram_reels")
        .unwrap();
    let rules: Vec<&str> = reels["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, vec!["faststart"], "{reels}");
    assert!(
        reels["findings"][0]["fix"]
            .as_str()
            .unwrap()
            .contains("moov")
    );
    app.stop().await;
}

#[tokio::test]
async fn an_hevc_clip_gets_exact_facts_and_says_its_keyframes_cannot_be_decoded() {
    let app = TestApp::spawn().await;
    drop_video(&app, "phone.mp4", "hevc.mp4");
    let summary = wait_for_video(&app, "phone.mp4").await;
    assert_eq!(summary["status"], "analyzed", "{summary}");
    let video = detail(&app, &summary).await;
    let track = &video["facts"]["video"];
    assert_eq!(track["codec"], "hvc1");
    assert_eq!(track["profile"], "Main");
    assert_eq!(
        (
            track["display_width"].clone(),
            track["display_height"].clone()
        ),
        (json!(1080), json!(1920))
    );
    assert_eq!(video["frames"]["status"], "cannot_decode");
    assert_eq!(video["frames"]["codec"], "hvc1");
    assert_eq!(video["keyframes"], json!([]));
    assert!(summary["poster_url"].is_null());
    app.stop().await;
}

#[tokio::test]
async fn files_that_are_not_readable_videos_are_recorded_as_failed_with_the_reason() {
    let app = TestApp::spawn().await;
    drop_video(&app, "cut.mp4", "truncated.mp4");
    drop_video(&app, "feed.mp4", "not_a_video.mp4");
    let cut = wait_for_video(&app, "cut.mp4").await;
    assert_eq!(cut["status"], "failed");
    assert!(
        cut["error"].as_str().unwrap().contains("truncated"),
        "{cut}"
    );
    let feed = wait_for_video(&app, "feed.mp4").await;
    assert_eq!(feed["status"], "failed");
    assert!(
        feed["error"]
            .as_str()
            .unwrap()
            .contains("not an MP4/MOV video"),
        "{feed}"
    );
    // Not retried: nothing is dead-lettered and the queue is empty.
    let depth = app.queues().depths(chrono::Utc::now()).unwrap();
    let videos = depth.iter().find(|d| d.queue == "video-files").unwrap();
    assert_eq!(
        (videos.active, videos.locked, videos.dead_lettered),
        (0, 0, 0)
    );
    let failed = app.get_json("/videos?status=failed").await;
    assert_eq!(failed["items"].as_array().unwrap().len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn a_sku_in_the_name_links_the_video_to_its_product_and_filters_the_listing() {
    let app = TestApp::spawn().await;
    for sku in ["MUG-1", "TEE-2"] {
        let response = app
            .client
            .put(format!("{}/products/{sku}", app.api))
            .header("x-api-key", "local-dev-key")
            .json(&json!({"title": format!("Product {sku}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    drop_video(&app, "holiday.mp4", "no_audio.mp4");
    drop_video(&app, "MUG-1/turntable.mp4", "no_audio.mp4");
    drop_video(&app, "TEE-2--lookbook.mp4", "no_audio.mp4");
    let mug = wait_for_video(&app, "MUG-1/turntable.mp4").await;
    assert_eq!(mug["sku"], "MUG-1");
    assert_eq!(mug["has_audio"], false);
    assert!(mug["audible"].is_null());
    let tee = wait_for_video(&app, "TEE-2--lookbook.mp4").await;
    assert_eq!(tee["sku"], "TEE-2");
    let holiday = wait_for_video(&app, "holiday.mp4").await;
    assert!(holiday["sku"].is_null(), "no product `holiday`: {holiday}");
    let only = app.get_json("/videos?sku=MUG-1").await;
    let names: Vec<&str> = only["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["MUG-1/turntable.mp4"]);
    let response = app.get("/videos?status=lost", Some("local-dev-key")).await;
    assert_eq!(response.status(), 400);
    let response = app.get("/videos/not-a-uuid", Some("local-dev-key")).await;
    assert_eq!(response.status(), 404);
    app.stop().await;
}

pub(crate) fn review_answer() -> Value {
    json!({
        "shown": {"value": "A test pattern with moving colour bars", "confidence": 0.9},
        "product_visible_early": {"value": false, "first_seen_seconds": null, "confidence": 0.7},
        "hook": {"quality": "weak", "reason": "nothing in the first seconds says what is sold", "confidence": 0.6},
        "caption": {"value": "See it in motion.", "confidence": 0.5},
        "hashtags": {"value": ["#demo", "colour bars"], "confidence": 0.4},
        "concerns": [{"value": "No product is shown", "confidence": 0.8, "start_seconds": 0.0, "end_seconds": 3.0}]
    })
}

#[tokio::test]
async fn with_a_provider_the_keyframes_go_as_low_detail_images_and_the_review_becomes_insights() {
    let mock = MockOpenAi::start(review_answer()).await;
    let base = format!("{}/v1", mock.url);
    let app = TestApp::spawn_with(&[
        ("OPENAI_BASE_URL", base.as_str()),
        ("OPENAI_API_KEY", "sk-test"),
        ("OPENAI_MODEL", "gpt-4o-mini"),
    ])
    .await;
    drop_video(&app, "clip.mp4", "h264_1080x1920_aac.mp4");
    let summary = wait_for_video(&app, "clip.mp4").await;
    let video = detail(&app, &summary).await;
    assert_eq!(video["review"]["status"], "reviewed", "{}", video["review"]);
    assert_eq!(video["review"]["model"], "gpt-4o-mini");
    let ai: Vec<(String, String)> = video["insights"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["source"] == "ai")
        .map(|i| {
            (
                i["type"].as_str().unwrap().to_owned(),
                i["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let kinds: Vec<&str> = ai.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "shown",
            "product_visibility",
            "hook",
            "caption",
            "hashtags",
            "concern"
        ]
    );
    assert!(ai.contains(&("hashtags".into(), "#demo #colourbars".into())));
    let seen = mock.seen();
    assert_eq!(seen.len(), 1, "one review request");
    let parts = seen[0].body["messages"][1]["content"]
        .as_array()
        .unwrap()
        .clone();
    let images: Vec<&Value> = parts.iter().filter(|p| p["type"] == "image_url").collect();
    assert_eq!(images.len(), 3, "one per keyframe");
    assert!(images.iter().all(|i| {
        i["image_url"]["detail"] == "low"
            && i["image_url"]["url"]
                .as_str()
                .unwrap()
                .starts_with("data:image/jpeg;base64,/9j/")
    }));
    assert_eq!(
        seen[0].body["response_format"]["json_schema"]["name"],
        "video_review"
    );
    // The tokens count against the tenant's daily budget, as enrichment's do.
    let budget = app.get_json("/enrichment/budget").await;
    assert_eq!(budget["spent_tokens"], 850, "{budget}");

    // An answer that breaks the schema is not kept: the technical insights still are.
    mock.script([Reply::Text("It looks great!".into())]);
    drop_video(&app, "again.mp4", "h264_1080x1920_aac.mp4");
    let again = wait_for_video(&app, "again.mp4").await;
    let video = detail(&app, &again).await;
    assert_eq!(video["review"]["status"], "not_reviewed");
    assert!(
        video["review"]["reason"]
            .as_str()
            .unwrap()
            .contains("failed its checks"),
        "{}",
        video["review"]
    );
    assert!(
        video["insights"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["source"] != "ai")
    );
    assert_eq!(video["keyframes"].as_array().unwrap().len(), 3);
    app.stop().await;
}
