//! The review's request on the wire and the checks its answer must pass.

use super::*;
use crate::video::facts::{Container, VideoFacts};

fn facts(duration: f64) -> VideoFacts {
    VideoFacts {
        container: Container::Mp4,
        major_brand: "isom".into(),
        file_size: 1000,
        duration_seconds: duration,
        overall_bit_rate: None,
        faststart: true,
        edit_lists: false,
        video: None,
        audio: None,
    }
}

fn answer() -> Value {
    json!({
        "shown": {"value": "A ceramic mug turned on a wooden table", "confidence": 0.9},
        "product_visible_early": {"value": true, "first_seen_seconds": 0.5, "confidence": 0.8},
        "hook": {"quality": "weak", "reason": "the first second is a blank wall", "confidence": 0.7},
        "caption": {"value": "Morning coffee, made better.", "confidence": 0.6},
        "hashtags": {"value": ["#mug", "ceramics", "#Mug", "#coffee time", "##", "#latte_art"], "confidence": 0.5},
        "concerns": [
            {"value": "Dim lighting", "confidence": 0.6, "start_seconds": 2.0, "end_seconds": 1.0},
            {"value": "Logo cut off", "confidence": 0.4, "start_seconds": null, "end_seconds": null}
        ]
    })
}

#[test]
fn a_good_answer_becomes_ai_insights_with_checked_times_and_clean_hashtags() {
    let insights = check_answer(&answer().to_string(), 3.0).unwrap();
    type Row<'a> = (&'a str, &'a str, f64, Vec<(f64, f64)>);
    let summary: Vec<Row<'_>> = insights
        .iter()
        .map(|i| {
            assert_eq!(i.source, InsightSource::Ai);
            (
                i.kind.as_str(),
                i.value.as_str(),
                i.confidence,
                i.instances.iter().map(|r| (r.start, r.end)).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "shown",
                "A ceramic mug turned on a wooden table",
                0.9,
                vec![]
            ),
            (
                "product_visibility",
                "The product is clearly visible from 0.5 s",
                0.8,
                vec![(0.5, 0.5)]
            ),
            (
                "hook",
                "weak: the first second is a blank wall",
                0.7,
                vec![(0.0, 3.0)]
            ),
            ("caption", "Morning coffee, made better.", 0.6, vec![]),
            (
                "hashtags",
                "#mug #ceramics #coffeetime #latte_art",
                0.5,
                vec![]
            ),
            ("concern", "Dim lighting", 0.6, vec![(1.0, 2.0)]),
            ("concern", "Logo cut off", 0.4, vec![]),
        ]
    );
}

#[test]
fn answers_that_break_the_rules_are_refused_with_the_reason() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/shown/confidence", json!(1.5), "shown.confidence 1.5"),
        ("/hook/quality", json!("amazing"), "hook.quality `amazing`"),
        ("/caption/value", json!("   "), "caption is empty"),
        (
            "/product_visible_early/first_seen_seconds",
            json!(42.0),
            "lies outside the video's 3.0 s",
        ),
        (
            "/concerns/0/end_seconds",
            json!(-1.0),
            "concerns.end_seconds -1",
        ),
    ];
    for (pointer, value, expected) in cases {
        let mut bad = answer();
        *bad.pointer_mut(pointer).unwrap() = value;
        let error = check_answer(&bad.to_string(), 3.0).unwrap_err();
        assert!(error.contains(expected), "{pointer}: {error}");
    }
    let mut extra = answer();
    extra["verdict"] = json!("buy it");
    assert!(
        check_answer(&extra.to_string(), 3.0)
            .unwrap_err()
            .contains("unknown field")
    );
    assert!(
        check_answer("I think it is a mug", 3.0)
            .unwrap_err()
            .starts_with("not the review schema")
    );
}

#[test]
fn a_product_not_seen_early_is_said_over_the_hook_window_even_in_a_short_video() {
    let mut late = answer();
    late["product_visible_early"] =
        json!({"value": false, "first_seen_seconds": null, "confidence": 0.6});
    let insights = check_answer(&late.to_string(), 2.0).unwrap();
    let visibility = insights
        .iter()
        .find(|i| i.kind == "product_visibility")
        .unwrap();
    assert_eq!(
        visibility.value,
        "The product is not clearly visible in the first 3 seconds"
    );
    assert_eq!(
        visibility.instances,
        vec![TimeRange {
            start: 0.0,
            end: 2.0
        }]
    );
}

#[test]
fn the_request_sends_low_detail_jpeg_frames_labelled_by_time_and_a_strict_schema() {
    let frames = [
        ReviewFrame {
            time: 0.0,
            jpeg: &[0xff, 0xd8, 1],
        },
        ReviewFrame {
            time: 1.5,
            jpeg: &[0xff, 0xd8, 2],
        },
    ];
    let request = request("gpt-4o-mini", &facts(3.0), &frames, Some("Ceramic Mug"));
    let wire = serde_json::to_value(&request).unwrap();
    assert_eq!(wire["model"], "gpt-4o-mini");
    assert_eq!(wire["response_format"]["type"], "json_schema");
    assert_eq!(wire["response_format"]["json_schema"]["strict"], true);
    let parts = wire["messages"][1]["content"].as_array().unwrap();
    assert_eq!(parts.len(), 5, "facts, then a label and an image per frame");
    assert!(
        parts[0]["text"]
            .as_str()
            .unwrap()
            .contains("\"product_title\":\"Ceramic Mug\"")
    );
    assert_eq!(parts[3]["text"], "Keyframe at 1.50 s:");
    assert_eq!(parts[4]["type"], "image_url");
    assert_eq!(parts[4]["image_url"]["detail"], "low");
    assert_eq!(parts[4]["image_url"]["url"], "data:image/jpeg;base64,/9gC");
    // Strict mode: every object lists all its properties as required and allows no others.
    fn strict(schema: &Value) {
        if schema["type"] == "object" {
            let properties: Vec<&String> =
                schema["properties"].as_object().unwrap().keys().collect();
            let required: Vec<&str> = schema["required"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap())
                .collect();
            assert_eq!(properties.len(), required.len());
            assert_eq!(schema["additionalProperties"], false);
            schema["properties"]
                .as_object()
                .unwrap()
                .values()
                .for_each(strict);
        }
        if let Some(items) = schema.get("items") {
            strict(items);
        }
    }
    strict(&answer_schema());
}
