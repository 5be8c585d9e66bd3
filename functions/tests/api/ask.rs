//! Ask with a hosted model, against the local server that speaks OpenAI's wire format: the
//! model calls typed tools, we check and run them against fake sales data, and the model's
//! words come back; invalid calls, a failing provider, a spent budget and a question the model
//! cannot answer all end in a plain answer. (The `POST /api/ask` endpoint is wired by the
//! integrator; this drives `shared::ask` directly with a real provider client.)

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};
use shared::ai::AiEngine;
use shared::analytics::{
    CurrencyTotal, LowStockQuery, SalesData, SalesQuery, SalesReport, StockAlert, TopItem, TopQuery,
};
use shared::ask::{Answer, StoreBudget, TokenBudget, answer};
use shared::domain::TenantId;
use shared::enrich::budget::today;
use shared::settings::{Environment, Settings};
use shared::store::sqlite::SqliteStore;
use shared::store::{Store, StoreError};

use crate::mock_openai::{MockOpenAi, Reply, good_answer};

const Q2: &str = "What were our sales in Q2?";

/// Q2 2026 sold EUR 370.50 over 3 orders; nothing else sold. Records what it is asked.
#[derive(Default)]
struct Q2Sales {
    asked: Mutex<Vec<String>>,
}

#[async_trait]
impl SalesData for Q2Sales {
    async fn tenant_time_zone(&self, _: &TenantId) -> Result<String, StoreError> {
        Ok("Europe/Berlin".into())
    }

    async fn sales(&self, _: &TenantId, q: &SalesQuery) -> Result<SalesReport, StoreError> {
        self.asked
            .lock()
            .unwrap()
            .push(format!("sales {}..{}", q.range.from, q.range.to));
        let q2 = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()
            ..=NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
        let totals = if q2.contains(&q.range.from) && q2.contains(&q.range.to) {
            vec![CurrencyTotal {
                currency: "EUR".into(),
                orders: 3,
                units: 9,
                items_minor: 33_800,
                sales_minor: 37_050,
            }]
        } else {
            Vec::new()
        };
        Ok(SalesReport {
            time_zone: "Europe/Berlin".into(),
            range: q.range,
            granularity: q.granularity,
            group_by: q.group_by,
            points: Vec::new(),
            totals,
        })
    }

    async fn top(&self, _: &TenantId, _: &TopQuery) -> Result<Vec<TopItem>, StoreError> {
        self.asked.lock().unwrap().push("top".into());
        Ok(Vec::new())
    }

    async fn low_stock(
        &self,
        _: &TenantId,
        _: &LowStockQuery,
    ) -> Result<Vec<StockAlert>, StoreError> {
        self.asked.lock().unwrap().push("low_stock".into());
        Ok(Vec::new())
    }
}

/// A budget that is either spent or counts what is spent.
#[derive(Default)]
struct Budget {
    spent_already: bool,
    spent: AtomicU64,
}

#[async_trait]
impl TokenBudget for Budget {
    async fn left(&self, _: &TenantId) -> Result<bool, StoreError> {
        Ok(!self.spent_already)
    }

    async fn spend(&self, _: &TenantId, tokens: u64) -> Result<(), StoreError> {
        self.spent.fetch_add(tokens, Ordering::SeqCst);
        Ok(())
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 8, 15, 10, 0, 0).unwrap()
}

async fn setup() -> (MockOpenAi, AiEngine, tempfile::TempDir) {
    let mock = MockOpenAi::start(good_answer()).await;
    let base = format!("{}/v1", mock.url);
    let dir = tempfile::tempdir().unwrap();
    let env = Environment::from_pairs([
        ("OPENAI_BASE_URL", base.as_str()),
        ("OPENAI_MODEL", "gpt-4o-mini"),
        ("ADVISOR_AI_MAX_RETRIES", "0"),
    ]);
    let settings = Settings::from_environment(&env, dir.path()).unwrap();
    let engine = AiEngine::from_settings(&settings.ai, || unreachable!("no Entra ID")).unwrap();
    (mock, engine, dir)
}

async fn ask(engine: &AiEngine, data: &Q2Sales, budget: &Budget, question: &str) -> Answer {
    let tenant = TenantId::parse("acme").unwrap();
    answer(engine, Some(budget), data, &tenant, question, now())
        .await
        .unwrap()
}

fn q2_call(granularity: &str) -> String {
    json!({"from": "2026-04-01", "to": "2026-06-30", "granularity": granularity, "group_by": null})
        .to_string()
}

fn messages(seen: &Value) -> &Vec<Value> {
    seen["messages"].as_array().unwrap()
}

#[tokio::test]
async fn the_model_calls_sales_summary_for_q2_and_phrases_the_result() {
    let (mock, engine, _dir) = setup().await;
    mock.script([
        Reply::ToolCalls(vec![("call_1", "sales_summary", q2_call("month"))]),
        Reply::Text("In Q2 2026 (April 1 to June 30) you sold EUR 370.50 over 3 orders.".into()),
    ]);
    let data = Q2Sales::default();
    let budget = Budget::default();
    let a = ask(&engine, &data, &budget, Q2).await;

    assert!(a.answered);
    assert_eq!(
        a.answer,
        "In Q2 2026 (April 1 to June 30) you sold EUR 370.50 over 3 orders."
    );
    assert_eq!(a.engine, "openai:gpt-4o-mini");
    assert_eq!(a.intent, "model");
    let period = a.period.as_ref().unwrap();
    assert_eq!(
        (period.label.as_str(), period.from.to_string()),
        ("Q2 2026", "2026-04-01".into())
    );
    assert_eq!(
        *data.asked.lock().unwrap(),
        ["sales 2026-04-01..2026-06-30"]
    );
    assert_eq!(a.data.len(), 1);
    assert_eq!(
        budget.spent.load(Ordering::SeqCst),
        2 * 850,
        "both requests count"
    );

    let seen = mock.seen();
    assert_eq!(seen.len(), 2);
    let first = &seen[0].body;
    let tools: Vec<&str> = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            assert_eq!(t["type"], "function");
            assert_eq!(t["function"]["strict"], true);
            assert_eq!(t["function"]["parameters"]["additionalProperties"], false);
            t["function"]["name"].as_str().unwrap()
        })
        .collect();
    assert_eq!(tools, ["sales_summary", "top_items", "low_stock"]);
    let first = messages(first);
    assert_eq!(first[0]["role"], "system");
    let system = first[0]["content"].as_str().unwrap();
    assert!(
        system.contains("Today is 2026-08-15") && system.contains("Europe/Berlin"),
        "{system}"
    );
    assert!(
        !system.contains(Q2),
        "the question stays out of the instructions"
    );
    assert_eq!(first[1], json!({"role": "user", "content": Q2}));

    let second = messages(&seen[1].body);
    assert_eq!(second.len(), 4);
    assert_eq!(second[2]["role"], "assistant");
    assert_eq!(second[2]["tool_calls"][0]["id"], "call_1");
    assert_eq!(second[3]["role"], "tool");
    assert_eq!(second[3]["tool_call_id"], "call_1");
    let result: Value = serde_json::from_str(second[3]["content"].as_str().unwrap()).unwrap();
    assert_eq!(result["totals"][0]["sales"], "EUR 370.50");
    assert_eq!(result["from"], "2026-04-01");
}

#[tokio::test]
async fn an_invalid_tool_call_is_explained_to_the_model_once() {
    let (mock, engine, _dir) = setup().await;
    mock.script([
        Reply::ToolCalls(vec![("call_1", "sales_summary", q2_call("hourly"))]),
        Reply::ToolCalls(vec![("call_2", "sales_summary", q2_call("month"))]),
        Reply::Text("EUR 370.50 in Q2 2026.".into()),
    ]);
    let data = Q2Sales::default();
    let a = ask(&engine, &data, &Budget::default(), Q2).await;
    assert!(a.answered);
    assert_eq!(a.answer, "EUR 370.50 in Q2 2026.");
    assert!(
        a.notes
            .iter()
            .any(|n| n.contains("unknown variant `hourly`")),
        "{:?}",
        a.notes
    );
    assert_eq!(
        *data.asked.lock().unwrap(),
        ["sales 2026-04-01..2026-06-30"],
        "the bad call ran nothing"
    );
    let seen = mock.seen();
    assert_eq!(seen.len(), 3);
    let error = &messages(&seen[1].body)[3];
    assert_eq!(error["tool_call_id"], "call_1");
    assert!(
        error["content"]
            .as_str()
            .unwrap()
            .starts_with("error: sales_summary: invalid arguments"),
        "{error}"
    );
}

#[tokio::test]
async fn invalid_tool_calls_twice_fall_back_to_the_offline_answer() {
    let (mock, engine, _dir) = setup().await;
    let bad =
        json!({"from": "2026-06-30", "to": "2026-04-01", "granularity": "day", "group_by": null});
    mock.script([
        Reply::ToolCalls(vec![(
            "call_1",
            "run_sql",
            "{\"sql\":\"DROP TABLE orders\"}".into(),
        )]),
        Reply::ToolCalls(vec![("call_2", "sales_summary", bad.to_string())]),
    ]);
    let data = Q2Sales::default();
    let a = ask(&engine, &data, &Budget::default(), Q2).await;
    assert_eq!(a.engine, "offline");
    assert!(a.answered);
    assert_eq!(
        a.answer,
        "Sales in Q2 2026: EUR 370.50 from 3 orders (9 units)."
    );
    assert!(
        a.notes[0].contains("answered offline because the model's tool calls were invalid twice"),
        "{:?}",
        a.notes
    );
    assert_eq!(mock.seen().len(), 2);
}

#[tokio::test]
async fn a_failing_provider_falls_back_to_the_offline_answer() {
    let (mock, engine, _dir) = setup().await;
    mock.script([Reply::Error(500, Vec::new())]);
    let a = ask(&engine, &Q2Sales::default(), &Budget::default(), Q2).await;
    assert_eq!(a.engine, "offline");
    assert!(a.answer.contains("EUR 370.50"), "{}", a.answer);
    assert!(
        a.notes[0].contains("the AI provider is unavailable"),
        "{:?}",
        a.notes
    );
}

#[tokio::test]
async fn a_spent_budget_answers_offline_without_asking_the_model() {
    let (mock, engine, _dir) = setup().await;
    let budget = Budget {
        spent_already: true,
        ..Budget::default()
    };
    let a = ask(&engine, &Q2Sales::default(), &budget, Q2).await;
    assert_eq!(a.engine, "offline");
    assert!(a.notes[0].contains("budget is spent"), "{:?}", a.notes);
    assert!(mock.seen().is_empty());
}

#[tokio::test]
async fn a_question_the_model_cannot_answer_says_so_without_made_up_numbers() {
    let (mock, engine, _dir) = setup().await;
    mock.script([Reply::Text(
        "It will be sunny in Berlin, and sales were EUR 1,000,000.".into(),
    )]);
    let data = Q2Sales::default();
    let a = ask(
        &engine,
        &data,
        &Budget::default(),
        "What's the weather in Berlin?",
    )
    .await;
    assert!(!a.answered);
    assert!(a.answer.starts_with("I can't answer that."), "{}", a.answer);
    assert!(!a.answer.contains("1,000,000"));
    assert_eq!(a.engine, "openai:gpt-4o-mini");
    assert!(a.data.is_empty());
    assert!(data.asked.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_models_tokens_count_against_the_tenants_daily_budget_in_the_store() {
    let (mock, engine, dir) = setup().await;
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    store.migrate().await.unwrap();
    let tenant = TenantId::parse("acme").unwrap();
    store.ensure_tenant(&tenant, "Acme").await.unwrap();
    let budget = StoreBudget::for_engine(&store, &engine).unwrap();
    assert!(StoreBudget::for_engine(&store, &AiEngine::Offline).is_none());
    mock.script([
        Reply::ToolCalls(vec![("call_1", "sales_summary", q2_call("week"))]),
        Reply::Text("EUR 370.50.".into()),
    ]);
    let a = answer(
        &engine,
        Some(&budget),
        &Q2Sales::default(),
        &tenant,
        Q2,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(a.engine, "openai:gpt-4o-mini");
    let spent = store.ai_tokens_spent(&tenant, today()).await.unwrap();
    assert_eq!(spent, 2 * 850);
}
