use super::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 8, 15).unwrap()
}

#[test]
fn good_arguments_parse_and_a_range_past_today_is_cut() {
    let call = parse(
        "sales_summary",
        r#"{"from":"2026-07-01","to":"2026-09-30","granularity":"month","group_by":null}"#,
        today(),
    )
    .unwrap();
    let ToolCall::SalesSummary(a) = call else {
        panic!("{call:?}")
    };
    assert_eq!(a.to, today());
    assert!(matches!(
        parse(
            "top_items",
            r#"{"from":"2026-07-01","to":"2026-07-31","by":"category","metric":"units","limit":5}"#,
            today()
        ),
        Ok(ToolCall::TopItems(_))
    ));
    assert!(matches!(
        parse(
            "low_stock",
            r#"{"lookback_days":30,"threshold_days":14,"limit":20}"#,
            today()
        ),
        Ok(ToolCall::LowStock(_))
    ));
}

#[test]
fn bad_arguments_are_refused_with_a_reason() {
    let cases = [
        (
            "sales_summary",
            r#"{"from":"2026-13-01","to":"2026-07-31","granularity":"day","group_by":null}"#,
            "invalid arguments",
        ),
        (
            "sales_summary",
            r#"{"from":"2026-07-31","to":"2026-07-01","granularity":"day","group_by":null}"#,
            "is after to",
        ),
        (
            "sales_summary",
            r#"{"from":"2026-07-01","to":"2026-07-31","granularity":"hour","group_by":null}"#,
            "unknown variant",
        ),
        (
            "sales_summary",
            r#"{"from":"2020-01-01","to":"2026-07-31","granularity":"day","group_by":null}"#,
            "longer than",
        ),
        (
            "sales_summary",
            r#"{"from":"2026-09-01","to":"2026-09-30","granularity":"day","group_by":null}"#,
            "after today",
        ),
        (
            "sales_summary",
            r#"{"from":"2026-07-01","to":"2026-07-31","granularity":"day","group_by":null,"sql":"DROP"}"#,
            "unknown field",
        ),
        (
            "top_items",
            r#"{"from":"2026-07-01","to":"2026-07-31","by":"product","metric":"revenue","limit":0}"#,
            "limit must be",
        ),
        (
            "low_stock",
            r#"{"lookback_days":1000,"threshold_days":14,"limit":20}"#,
            "lookback_days must be",
        ),
        ("run_sql", "{}", "no tool named"),
    ];
    for (name, args, why) in cases {
        let err = parse(name, args, today()).unwrap_err();
        assert!(err.contains(why), "{name} {args}: {err}");
    }
}

#[test]
fn every_schema_is_strict() {
    for (name, _, schema) in schemas() {
        assert_eq!(schema["additionalProperties"], false, "{name}");
        let props = schema["properties"].as_object().unwrap();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(props.len(), required.len(), "{name}");
        assert!(
            props.keys().all(|k| required.contains(&k.as_str())),
            "{name}"
        );
    }
}
