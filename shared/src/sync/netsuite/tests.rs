//! The client against the mock NetSuite: paging across the row cap, ties, time zones,
//! storms, a wrong secret, the concurrency limit, stock and sales-order upserts.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

use super::map::{STOCK_LOCATION, item_rows, stock_levels};
use super::mock::{MockAccount, MockItem, MockNetSuite, Storm};
use super::*;
use crate::domain::Currency;

const REALM: &str = "1234567_SB1";
const CONSUMER_KEY: &str = "ck_ns_4f1c9a7e2b6d";
const CONSUMER_SECRET: &str = "cs_ns_8e3b5d0f7a21";
const TOKEN_ID: &str = "tk_ns_1a2b3c4d5e6f";
pub(super) const TOKEN_SECRET: &str = "ts_ns_9f8e7d6c5b4a";

pub(super) fn account() -> MockAccount {
    MockAccount {
        realm: REALM.into(),
        consumer_key: CONSUMER_KEY.into(),
        consumer_secret: CONSUMER_SECRET.into(),
        token_id: TOKEN_ID.into(),
        token_secret: TOKEN_SECRET.into(),
    }
}

pub(super) fn start() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2026, 3, 8)
        .unwrap()
        .and_hms_opt(6, 0, 0)
        .unwrap()
        .and_utc()
}

/// `count` items from id 1000; every `tie` consecutive ones share one `lastmodifieddate`,
/// and ids run against time (the newest change has the lowest id) so ordering matters.
pub(super) fn catalogue(count: u64, tie: u64) -> Vec<MockItem> {
    (0..count)
        .map(|n| MockItem {
            id: 1000 + (count - n) * 3,
            itemid: Some(format!("SKU-{n}")),
            displayname: Some(format!("Item {n}")),
            baseprice: Some("19.90".into()),
            modified: start() + chrono::Duration::seconds(i64::try_from(n / tie).unwrap()),
            stock: vec![4.0, 3.0],
        })
        .collect()
}

/// The mock's account, the lower-case spelling the merchant may type.
pub(super) fn config(mock: &MockNetSuite, token_secret: &str) -> NetSuiteConfig {
    let mut config = NetSuiteConfig::new(
        "1234567_sb1",
        CONSUMER_KEY,
        Secret::new(CONSUMER_SECRET),
        TOKEN_ID,
        Secret::new(token_secret),
    );
    config.base_url = Some(mock.url.clone());
    config
}

pub(super) fn client(mock: &MockNetSuite, config: NetSuiteConfig) -> NetSuiteClient {
    NetSuiteClient::with_clock(config, mock.clock(), RetryPolicy::default()).unwrap()
}

/// Page size 10 and a 30-row cap on both sides, so a query restarts every three pages.
fn small_pages(mock: &MockNetSuite) -> NetSuiteClient {
    mock.state().row_cap = 30;
    let mut config = config(mock, TOKEN_SECRET);
    config.page_size = 10;
    config.max_query_rows = 30;
    client(mock, config)
}

async fn pull_all(
    client: &NetSuiteClient,
    since: Option<ItemCursor>,
) -> (Vec<NetSuiteItem>, ItemPull) {
    let mut pull = ItemPull::new(since);
    let mut items = Vec::new();
    while let Some(page) = client.next_items(&mut pull).await.unwrap() {
        items.extend(page.items);
    }
    (items, pull)
}

#[tokio::test]
async fn a_pull_pages_across_the_row_cap_without_loss_or_duplicates_even_through_ties() {
    // 95 items, seven per second: ties straddle every page and every restart.
    let mock = MockNetSuite::start(account(), catalogue(95, 7))
        .await
        .unwrap();
    let client = small_pages(&mock);
    let (items, pull) = pull_all(&client, None).await;
    let ids: HashSet<u64> = items.iter().map(|i| i.id).collect();
    assert_eq!((items.len(), ids.len()), (95, 95));
    let cursors: Vec<ItemCursor> = items.iter().map(NetSuiteItem::cursor).collect();
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "in cursor order");
    assert_eq!(pull.cursor(), cursors.last().copied());
    assert_eq!(pull.restarts(), 3);
    let state = mock.state();
    assert!(
        state
            .requests
            .iter()
            .all(|r| r.status == 200 && r.prefer.as_deref() == Some("transient"))
    );
    let offsets: Vec<&str> = state
        .requests
        .iter()
        .flat_map(|r| {
            r.query
                .iter()
                .filter(|(k, _)| k == "offset")
                .map(|(_, v)| v.as_str())
        })
        .collect();
    assert!(
        offsets.iter().all(|o| ["0", "10", "20"].contains(o)),
        "{offsets:?}"
    );
}

#[tokio::test]
async fn the_mock_refuses_offsets_past_its_cap_and_off_the_limit_grid() {
    let mock = MockNetSuite::start(account(), catalogue(50, 1))
        .await
        .unwrap();
    mock.state().row_cap = 30;
    let mut config = config(&mock, TOKEN_SECRET);
    config.page_size = 10;
    // A client that does not know the cap runs into it.
    config.max_query_rows = 1000;
    let client = client(&mock, config);
    let mut pull = ItemPull::new(None);
    let mut err = None;
    for _ in 0..5 {
        if let Err(e) = client.next_items(&mut pull).await {
            err = Some(e);
            break;
        }
    }
    let err = err.expect("the fourth page is refused");
    assert_eq!(err.codes(), vec!["INVALID_PARAMETER"]);
    assert!(err.to_string().contains("(offset)"), "{err}");

    let answer = client
        .suiteql(&suiteql::check_query(), 10, 5)
        .await
        .unwrap_err();
    assert_eq!(answer.codes(), vec!["INVALID_PARAMETER"]);
}

#[tokio::test]
async fn suiteql_without_prefer_transient_is_refused() {
    let mock = MockNetSuite::start(account(), catalogue(3, 1))
        .await
        .unwrap();
    let client = client(&mock, config(&mock, TOKEN_SECRET));
    client.check().await.unwrap();
    let err = client
        .transport()
        .send(
            Method::POST,
            SUITEQL_PATH,
            &[("limit", "10".into()), ("offset", "0".into())],
            &[],
            Some(&json!({"q": suiteql::check_query()})),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, NetSuiteError::Api { status: 400, details } if details[0].header.as_deref() == Some("Prefer")),
        "{err}"
    );
}

#[tokio::test]
async fn an_incremental_pull_in_the_users_time_zone_resumes_from_a_utc_cursor() {
    let mock = MockNetSuite::start(account(), catalogue(40, 4))
        .await
        .unwrap();
    mock.state().user_time_zone = chrono_tz::America::New_York;
    let mut config = config(&mock, TOKEN_SECRET);
    config.time_zone = chrono_tz::America::New_York;
    config.page_size = 10;
    let client = client(&mock, config);
    let (items, pull) = pull_all(&client, None).await;
    assert_eq!(items.len(), 40);
    // NetSuite wrote local times (UTC-5 on that day); the client read them back to UTC.
    let first = items.first().unwrap();
    assert_eq!(first.modified, start());
    assert_eq!(first.modified_local.to_string(), "2026-03-08 01:00:00");
    let cursor = pull.cursor();
    assert_eq!(
        cursor.unwrap().modified,
        start() + chrono::Duration::seconds(9)
    );

    let (again, unchanged) = pull_all(&client, cursor).await;
    assert!(again.is_empty());
    assert_eq!(unchanged.cursor(), cursor);

    // Mid-tie: a cursor at an item that shares its second with others gets the rest.
    let mid = items[21].cursor();
    let (rest, _) = pull_all(&client, Some(mid)).await;
    assert_eq!(rest, items[22..].to_vec());

    let later = start() + chrono::Duration::hours(2);
    let changed: Vec<u64> = {
        let mut state = mock.state();
        state.items[5].modified = later;
        state.items[30].modified = later;
        vec![state.items[5].id, state.items[30].id]
    };
    let (next, next_pull) = pull_all(&client, cursor).await;
    let mut expected = changed.clone();
    expected.sort_unstable();
    assert_eq!(next.iter().map(|i| i.id).collect::<Vec<_>>(), expected);
    assert_eq!(next_pull.cursor().unwrap().modified, later);
}

#[tokio::test]
async fn storms_of_429_blocked_and_503_are_waited_out_within_the_bounds() {
    let mock = MockNetSuite::start(account(), catalogue(25, 1))
        .await
        .unwrap();
    mock.state().storm.extend([
        Storm::TooMany(Some("2")),
        Storm::Blocked,
        Storm::Unavailable,
        Storm::TooMany(None),
    ]);
    let mut config = config(&mock, TOKEN_SECRET);
    config.page_size = 10;
    let client = client(&mock, config);
    let (items, _) = pull_all(&client, None).await;
    assert_eq!(items.len(), 25);
    // Retry-After 2 s, then back-off 1 s, 2 s and 4 s (after attempts 2, 3 and 4).
    assert_eq!(mock.clock().now(), Duration::from_secs(9));
    let statuses: Vec<u16> = mock.state().requests.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![429, 400, 503, 429, 200, 200, 200]);

    mock.state()
        .storm
        .extend(std::iter::repeat_n(Storm::TooMany(Some("1")), 20));
    let err = client.check().await.unwrap_err();
    assert!(
        matches!(err, NetSuiteError::Throttled { attempts: 8, .. }) && err.is_retriable(),
        "{err}"
    );
}

#[tokio::test]
async fn a_wrong_token_secret_is_an_auth_error_after_one_request() {
    let mock = MockNetSuite::start(account(), catalogue(3, 1))
        .await
        .unwrap();
    let wrong = client(&mock, config(&mock, "ts_wrong"));
    let err = wrong.check().await.unwrap_err();
    assert!(err.is_auth() && !err.is_retriable(), "{err}");
    assert!(
        matches!(&err, NetSuiteError::Auth { status: 401, code, .. } if code == "INVALID_LOGIN")
    );
    let state = mock.state();
    assert_eq!(state.requests.len(), 1, "auth errors are not retried");
    assert_eq!(
        state.last_auth_failure.as_deref(),
        Some("signature mismatch")
    );
}

#[tokio::test]
async fn the_realm_is_the_upper_case_account_id_and_another_realm_is_refused() {
    let mock = MockNetSuite::start(account(), catalogue(3, 1))
        .await
        .unwrap();
    client(&mock, config(&mock, TOKEN_SECRET))
        .check()
        .await
        .unwrap();
    mock.state().account.realm = "1234567".into();
    let err = client(&mock, config(&mock, TOKEN_SECRET))
        .check()
        .await
        .unwrap_err();
    assert!(err.is_auth());
    assert!(
        mock.state()
            .last_auth_failure
            .as_deref()
            .is_some_and(|why| why.contains("1234567_SB1"))
    );
}

#[tokio::test]
async fn concurrent_calls_never_exceed_the_limit_across_clones() {
    let mock = MockNetSuite::start(account(), catalogue(3, 1))
        .await
        .unwrap();
    {
        let mut state = mock.state();
        state.concurrency_limit = Some(3);
        state.hold = Duration::from_millis(40);
    }
    let mut limited = config(&mock, TOKEN_SECRET);
    limited.max_concurrency = 3;
    let client = client(&mock, limited);
    let calls = (0..24).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.check().await })
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap().unwrap();
    }
    {
        let state = mock.state();
        assert_eq!(state.max_in_flight, 3, "the limit is used, never passed");
        assert_eq!(state.requests.len(), 24, "no request was refused");
        assert!(state.requests.iter().all(|r| r.status == 200));
    }

    // A client allowed more than the account gets 429s (here not retried): the mock counts
    // what it is sent, so the limit above is the client's doing.
    let mut greedy = config(&mock, TOKEN_SECRET);
    greedy.max_concurrency = 8;
    let once = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    let greedy = NetSuiteClient::with_clock(greedy, mock.clock(), once).unwrap();
    let calls = (0..16).map(|_| {
        let client = greedy.clone();
        tokio::spawn(async move { client.check().await })
    });
    let throttled = futures::future::join_all(calls)
        .await
        .into_iter()
        .filter(|r| matches!(r, Ok(Err(NetSuiteError::Throttled { .. }))))
        .count();
    assert!(throttled > 0);
    assert!(mock.state().max_in_flight > 3);
}

#[tokio::test]
async fn stock_is_summed_over_locations_and_mapped_to_levels() {
    let mut items = catalogue(4, 1);
    items[1].stock = vec![2.5];
    items[2].stock = Vec::new();
    let mock = MockNetSuite::start(account(), items).await.unwrap();
    let client = client(&mock, config(&mock, TOKEN_SECRET));
    let (items, _) = pull_all(&client, None).await;
    let ids: Vec<u64> = items.iter().map(|i| i.id).collect();
    let stock = client.stock(&ids).await.unwrap();
    assert_eq!(stock.len(), 3, "an item without locations has no level");
    let now = Utc::now();
    let (levels, problems) = stock_levels(&items, &stock, now);
    assert_eq!(levels.len(), 2);
    assert!(
        levels
            .iter()
            .all(|l| l.quantity == 7 && l.location == STOCK_LOCATION)
    );
    assert_eq!(problems.len(), 1, "2.5 units is not rounded");
    let usd = Currency::parse("USD").unwrap();
    let mapped = item_rows(&items[0], usd);
    assert_eq!(mapped.rows[0].sku.as_str(), "SKU-0");
    assert_eq!(mapped.rows[0].price.unwrap().amount_string(), "19.90");
}
