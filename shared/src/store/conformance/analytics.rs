//! The daily rollups: ingestion keeps them equal to a rebuild from the orders whatever
//! happens to an order, in the tenant's local days.

use chrono::{DateTime, NaiveDate};

use super::*;
use crate::analytics::*;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn placed(id: &str, when: &str, channel: Option<&str>, lines: &[(&str, i64, i64)]) -> OrderUpsert {
    let mut order = order(id, lines);
    order.placed_at = at(when);
    order.channel = channel.map(str::to_owned);
    order.total_minor += 500;
    order
}

async fn assert_consistent(store: &dyn Store, tenant: &TenantId, step: &str) {
    let outcome = store.rebuild_daily_sales(tenant).await.unwrap();
    assert_eq!(
        outcome.corrected, 0,
        "{step}: ingestion left drift ({outcome:?})"
    );
}

fn by_channel(range: (&str, &str)) -> SalesQuery {
    SalesQuery {
        range: DateRange::new(day(range.0), day(range.1)).unwrap(),
        granularity: Granularity::Day,
        group_by: Some(GroupBy::Channel),
    }
}

/// (day, channel, orders, units, items, sales) of each point.
async fn channel_points(
    store: &dyn Store,
    tenant: &TenantId,
) -> Vec<(String, String, u64, i64, i64, Option<i64>)> {
    let report = store
        .sales(tenant, &by_channel(("2024-05-01", "2024-05-31")))
        .await
        .unwrap();
    report
        .points
        .into_iter()
        .map(|p| {
            let group = p.group.unwrap();
            (
                p.period_start.to_string(),
                group,
                p.orders,
                p.units,
                p.items_minor,
                p.sales_minor,
            )
        })
        .collect()
}

pub(super) async fn daily_sales_equal_a_rebuild_after_inserts_changes_and_replays(
    store: &dyn Store,
) {
    let demo = tenant("demo");
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    assert_eq!(
        store.rebuild_daily_sales(&demo).await.unwrap(),
        RollupOutcome::default()
    );
    let run = start_kind(store, &demo, "event-a1", FeedKind::Orders).await;
    let batch = [
        placed(
            "1",
            "2024-05-01T10:00:00Z",
            Some("web"),
            &[("A", 2, 300), ("B", 1, 250)],
        ),
        placed(
            "2",
            "2024-05-01T11:00:00Z",
            None,
            &[("A", 1, 300), ("A", 1, 300)],
        ),
        placed("3", "2024-05-02T09:00:00Z", Some("pos"), &[("B", 4, 250)]),
    ];
    store.apply_order_batch(&run, &batch, &[]).await.unwrap();
    assert_consistent(store, &demo, "inserts").await;
    let expected = vec![
        ("2024-05-01".into(), "unknown".into(), 1, 2, 600, Some(1100)),
        ("2024-05-01".into(), "web".into(), 1, 3, 850, Some(1350)),
        ("2024-05-02".into(), "pos".into(), 1, 4, 1000, Some(1500)),
    ];
    assert_eq!(channel_points(store, &demo).await, expected);

    store.apply_order_batch(&run, &batch, &[]).await.unwrap();
    assert_consistent(store, &demo, "replay").await;
    assert_eq!(
        channel_points(store, &demo).await,
        expected,
        "a replay changes nothing"
    );

    // Order 1 moves a day and changes channel; 2 changes lines; 3 changes channel only.
    let run = start_kind(store, &demo, "event-a2", FeedKind::Orders).await;
    let changed = [
        placed(
            "1",
            "2024-05-03T10:00:00Z",
            Some("pos"),
            &[("A", 2, 300), ("B", 1, 250)],
        ),
        placed("2", "2024-05-01T11:00:00Z", None, &[("C", 5, 100)]),
        placed("3", "2024-05-02T09:00:00Z", Some("web"), &[("B", 4, 250)]),
    ];
    store.apply_order_batch(&run, &changed, &[]).await.unwrap();
    assert_consistent(store, &demo, "changes").await;
    assert_eq!(
        channel_points(store, &demo).await,
        vec![
            ("2024-05-01".into(), "unknown".into(), 1, 5, 500, Some(1000)),
            ("2024-05-02".into(), "web".into(), 1, 4, 1000, Some(1500)),
            ("2024-05-03".into(), "pos".into(), 1, 3, 850, Some(1350)),
        ],
        "rows left without orders are gone"
    );
    let by_product = SalesQuery {
        group_by: Some(GroupBy::Product),
        ..by_channel(("2024-05-01", "2024-05-31"))
    };
    let report = store.sales(&demo, &by_product).await.unwrap();
    let points: Vec<_> = report
        .points
        .iter()
        .map(|p| {
            (
                p.period_start.to_string(),
                p.group.clone().unwrap(),
                p.orders,
                p.units,
            )
        })
        .collect();
    assert_eq!(
        points,
        vec![
            ("2024-05-01".into(), "C".into(), 1, 5),
            ("2024-05-02".into(), "B".into(), 1, 4),
            ("2024-05-03".into(), "A".into(), 1, 2),
            ("2024-05-03".into(), "B".into(), 1, 1),
        ]
    );
    assert!(report.points.iter().all(|p| p.sales_minor.is_none()));
    assert_eq!(report.totals.len(), 1);
    assert_eq!(
        (
            report.totals[0].orders,
            report.totals[0].units,
            report.totals[0].sales_minor
        ),
        (3, 12, 3850)
    );

    // Another tenant's orders are its own, and a rebuild of either finds nothing to correct.
    let acme = tenant("acme");
    store.ensure_tenant(&acme, "Acme").await.unwrap();
    let theirs = start_kind(store, &acme, "event-a1", FeedKind::Orders).await;
    store.apply_order_batch(&theirs, &batch, &[]).await.unwrap();
    assert_eq!(channel_points(store, &demo).await.len(), 3);
    assert_consistent(store, &acme, "another tenant").await;
    let outcome = store.rebuild_daily_sales(&demo).await.unwrap();
    assert_eq!(
        outcome,
        RollupOutcome {
            rows: 7,
            corrected: 0
        }
    );
    let mut tenants = store.tenants_with_orders().await.unwrap();
    tenants.sort();
    assert_eq!(tenants, vec![acme, demo]);
}

pub(super) async fn days_are_the_tenants_local_days_and_a_new_zone_rebuckets_them(
    store: &dyn Store,
) {
    let demo = tenant("demo");
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    assert_eq!(store.tenant_time_zone(&demo).await.unwrap(), "UTC");
    let run = start_kind(store, &demo, "event-z1", FeedKind::Orders).await;
    let late = [placed("9", "2024-05-30T23:30:00Z", None, &[("A", 1, 300)])];
    store.apply_order_batch(&run, &late, &[]).await.unwrap();
    let days = |report: SalesReport| -> Vec<String> {
        report
            .points
            .iter()
            .map(|p| p.period_start.to_string())
            .collect()
    };
    let report = store
        .sales(&demo, &by_channel(("2024-05-01", "2024-05-31")))
        .await
        .unwrap();
    assert_eq!(days(report), vec!["2024-05-30"]);

    let berlin = parse_time_zone("Europe/Berlin").unwrap();
    let outcome = store
        .set_tenant_time_zone(&demo, berlin)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        outcome,
        RollupOutcome {
            rows: 2,
            corrected: 4
        },
        "two rows moved a day"
    );
    let report = store
        .sales(&demo, &by_channel(("2024-05-01", "2024-05-31")))
        .await
        .unwrap();
    assert_eq!(report.time_zone, "Europe/Berlin");
    assert_eq!(days(report), vec!["2024-05-31"]);
    let view = store.get_tenant(&demo).await.unwrap().unwrap();
    assert_eq!(
        (view.name.as_str(), view.time_zone.as_str()),
        ("Demo", "Europe/Berlin")
    );

    // Ingestion files a new order under Berlin's day too: 23:30 UTC on 30 June is 1 July.
    let run = start_kind(store, &demo, "event-z2", FeedKind::Orders).await;
    let july = [placed("10", "2024-06-30T23:30:00Z", None, &[("A", 1, 300)])];
    store.apply_order_batch(&run, &july, &[]).await.unwrap();
    let report = store
        .sales(&demo, &by_channel(("2024-06-30", "2024-07-01")))
        .await
        .unwrap();
    assert_eq!(days(report), vec!["2024-07-01"]);
    assert_consistent(store, &demo, "Berlin").await;
    assert!(
        store
            .set_tenant_time_zone(&tenant("nobody"), berlin)
            .await
            .unwrap()
            .is_none()
    );
}
