//! Ask: plain-language questions about a tenant's sales, answered from [`SalesData`].
//!
//! Two ways, one answer shape ([`Answer`]):
//! - **Offline** (no AI provider, or the provider failed, or the tenant's token budget is
//!   spent): a deterministic reader ([`intent::plan`], [`period::find_period`]) picks the
//!   intent and period from the question's words, runs typed tool calls ([`tools`]) and says
//!   the answer with the numbers ([`offline`]).
//! - **With a provider** ([`model`]): the model chooses the same typed tools through OpenAI
//!   function calling (strict schemas); every call's arguments are checked before anything is
//!   read, and the model phrases the answer from the results. The question is untrusted: it
//!   goes only in the user message, and no model-written query ever runs.
//!
//! What the offline reader understands:
//! - total sales or units: "What were our sales in Q2?", "revenue last month", "how much did
//!   we sell", "how many units did we sell in March";
//! - sales split by channel, category or product: "sales by channel last month", "revenue per
//!   category in Q2", "which channels sold best";
//! - top products or categories by revenue or units: "Top 5 categories last month", "top ten
//!   products by units sold this year", "best-selling products";
//! - a comparison with an earlier period: "sales last month compared with the month before",
//!   "Q2 vs last year", "Q2 sales versus Q1", "how did revenue change this month?";
//! - low stock: "Which products are running low?", "what will run out within 10 days?",
//!   "less than 2 weeks of cover based on the last 60 days";
//! - the periods [`period`] lists, in the tenant's time zone; none named → the last 30 days.
//!
//! Anything else is answered with `answered: false` and what can be asked — not an error.

pub mod format;
pub mod intent;
pub mod model;
pub mod offline;
pub mod period;
pub mod tools;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::ai::AiEngine;
use crate::analytics::{DateRange, SalesData};
use crate::domain::TenantId;
use crate::store::{Store, StoreError};
use intent::{CAPABILITIES, Plan};
use period::Period;
use tools::DataSet;

/// The longest question, in characters.
pub const MAX_QUESTION_CHARS: usize = 500;

/// A question that could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum AskError {
    /// The question is empty or too long: the caller's mistake.
    #[error("{0}")]
    InvalidQuestion(String),
    /// The sales data could not be read.
    #[error(transparent)]
    Data(#[from] StoreError),
}

impl AskError {
    /// Whether trying again may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, AskError::Data(e) if e.is_transient())
    }
}

/// A period an answer used, in the tenant's days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct AnswerPeriod {
    /// E.g. "Q2 2026", "July 2026", "the last 30 days".
    pub label: String,
    /// The first day.
    pub from: NaiveDate,
    /// The last day, included.
    pub to: NaiveDate,
    /// The tenant's IANA time zone the days are in.
    pub time_zone: String,
}

/// The answer to a question.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Answer {
    /// Whether the question was answered; `false` means `answer` says what can be asked.
    pub answered: bool,
    /// The answer in words.
    pub answer: String,
    /// What was asked: `total_sales`, `sales_comparison`, `sales_by`, `top_items`,
    /// `low_stock`, `model` (the model chose the tools; see `data`) or `unknown`.
    pub intent: String,
    /// The period the answer covers (for the model: the first range its tools read).
    pub period: Option<AnswerPeriod>,
    /// The earlier period, for a comparison (for the model: a second range its tools read).
    pub compared_with: Option<AnswerPeriod>,
    /// What each tool call read: its arguments and the numbers.
    pub data: Vec<DataSet>,
    /// `offline`, or the provider and model, e.g. `openai:gpt-4o-mini`.
    pub engine: String,
    /// What was assumed or adjusted (a default period, a period cut at today) and why the
    /// offline reader stood in for the model, if it did.
    pub notes: Vec<String>,
}

/// The tenant's daily AI token budget, as Ask spends it (the same budget as enrichment).
#[async_trait]
pub trait TokenBudget: Send + Sync {
    /// Whether the tenant may still spend tokens today.
    async fn left(&self, tenant: &TenantId) -> Result<bool, StoreError>;
    /// Counts `tokens` against the tenant's day.
    async fn spend(&self, tenant: &TenantId, tokens: u64) -> Result<(), StoreError>;
}

/// The budget kept in the store, the engine's daily limit, the UTC day enrichment counts in.
#[derive(Debug)]
pub struct StoreBudget<'a> {
    /// Where spend is kept.
    pub store: &'a dyn Store,
    /// The daily limit per tenant.
    pub daily_tokens: u64,
}

impl<'a> StoreBudget<'a> {
    /// The budget `engine` spends from `store`; `None` for the offline engine, which spends
    /// nothing.
    pub fn for_engine(store: &'a dyn Store, engine: &AiEngine) -> Option<Self> {
        engine.daily_tokens().map(|daily_tokens| Self {
            store,
            daily_tokens,
        })
    }
}

#[async_trait]
impl TokenBudget for StoreBudget<'_> {
    async fn left(&self, tenant: &TenantId) -> Result<bool, StoreError> {
        let day = crate::enrich::budget::today();
        Ok(self.store.ai_tokens_spent(tenant, day).await? < self.daily_tokens)
    }

    async fn spend(&self, tenant: &TenantId, tokens: u64) -> Result<(), StoreError> {
        if tokens > 0 {
            let day = crate::enrich::budget::today();
            self.store.add_ai_tokens(tenant, day, tokens).await?;
        }
        Ok(())
    }
}

/// Answers `question` for `tenant` from `data`, with the model when `engine` has a provider
/// (its tokens counted against `budget`, if given), else offline. `now` decides the tenant's
/// today, in its time zone.
pub async fn answer(
    engine: &AiEngine,
    budget: Option<&dyn TokenBudget>,
    data: &dyn SalesData,
    tenant: &TenantId,
    question: &str,
    now: DateTime<Utc>,
) -> Result<Answer, AskError> {
    let question = check_question(question)?;
    let (today, time_zone, mut notes) = tenant_today(data, tenant, now).await?;
    let fallback = match engine {
        AiEngine::Offline => None,
        AiEngine::Provider(provider) => {
            let asked = model::answer(
                provider,
                budget,
                (data, tenant),
                question,
                (today, &time_zone),
            )
            .await?;
            match asked {
                Ok(reply) => {
                    return Ok(from_model(provider.name(), reply, &time_zone, notes));
                }
                Err(why) => {
                    tracing::warn!(tenant = %tenant, reason = %why, "offline reader answers for the AI provider");
                    Some(why)
                }
            }
        }
    };
    if let Some(why) = fallback {
        notes.push(format!("answered offline because {why}"));
    }
    let mut answer = offline_answer(data, tenant, question, today, &time_zone).await?;
    notes.append(&mut answer.notes);
    answer.notes = notes;
    Ok(answer)
}

/// The question, trimmed, if it is one.
fn check_question(question: &str) -> Result<&str, AskError> {
    let question = question.trim();
    if question.is_empty() {
        return Err(AskError::InvalidQuestion("the question is empty".into()));
    }
    let chars = question.chars().count();
    if chars > MAX_QUESTION_CHARS {
        return Err(AskError::InvalidQuestion(format!(
            "the question has {chars} characters; at most {MAX_QUESTION_CHARS} are allowed"
        )));
    }
    Ok(question)
}

/// The tenant's today in its time zone; a zone that does not parse is read as UTC, and noted.
async fn tenant_today(
    data: &dyn SalesData,
    tenant: &TenantId,
    now: DateTime<Utc>,
) -> Result<(NaiveDate, String, Vec<String>), StoreError> {
    let name = data.tenant_time_zone(tenant).await?;
    Ok(match name.parse::<chrono_tz::Tz>() {
        Ok(tz) => (now.with_timezone(&tz).date_naive(), name, Vec::new()),
        Err(_) => (
            now.date_naive(),
            "UTC".into(),
            vec![format!(
                "the time zone {name:?} is unknown, so days are UTC days"
            )],
        ),
    })
}

fn view(p: &Period, time_zone: &str) -> AnswerPeriod {
    AnswerPeriod {
        label: p.label.clone(),
        from: p.range.from,
        to: p.range.to,
        time_zone: time_zone.to_owned(),
    }
}

/// The offline reader's answer.
async fn offline_answer(
    data: &dyn SalesData,
    tenant: &TenantId,
    question: &str,
    today: NaiveDate,
    time_zone: &str,
) -> Result<Answer, StoreError> {
    let plan: Plan = match intent::plan(question, today) {
        Ok(plan) => plan,
        Err(why) => return Ok(cannot_answer(why, "offline".into(), Vec::new())),
    };
    let (text, sets) = offline::run(&plan, data, tenant, today).await?;
    let notes = [&plan.period, &plan.compared_with]
        .into_iter()
        .flatten()
        .filter_map(|p| p.note.clone())
        .collect();
    Ok(Answer {
        answered: true,
        answer: text,
        intent: plan.intent.name(plan.compared_with.is_some()).into(),
        period: plan.period.as_ref().map(|p| view(p, time_zone)),
        compared_with: plan.compared_with.as_ref().map(|p| view(p, time_zone)),
        data: sets,
        engine: "offline".into(),
        notes,
    })
}

fn cannot_answer(why: String, engine: String, notes: Vec<String>) -> Answer {
    Answer {
        answered: false,
        answer: why,
        intent: "unknown".into(),
        period: None,
        compared_with: None,
        data: Vec::new(),
        engine,
        notes,
    }
}

/// The model's answer. One that read no data is not an answer: whatever it said, the reply is
/// the fixed "I can't answer that" (a model's numbers without data would be made up).
fn from_model(
    provider: &str,
    reply: model::ModelAnswer,
    time_zone: &str,
    mut notes: Vec<String>,
) -> Answer {
    let engine = format!("{provider}:{}", reply.model);
    notes.extend(
        reply
            .refused_calls
            .iter()
            .map(|why| format!("a tool call was refused and explained to the model: {why}")),
    );
    if reply.data.is_empty() {
        return cannot_answer(
            format!("I can't answer that. {CAPABILITIES}"),
            engine,
            notes,
        );
    }
    let mut ranges = Vec::new();
    for set in &reply.data {
        let range = match set {
            DataSet::SalesSummary { args, .. } => DateRange::new(args.from, args.to),
            DataSet::TopItems { args, .. } => DateRange::new(args.from, args.to),
            DataSet::LowStock { .. } => None,
        };
        if let Some(range) = range.filter(|r| !ranges.contains(r)) {
            ranges.push(range);
        }
    }
    let period = |i: usize| {
        ranges.get(i).map(|&r| AnswerPeriod {
            label: period::describe(r),
            from: r.from,
            to: r.to,
            time_zone: time_zone.to_owned(),
        })
    };
    Answer {
        answered: true,
        answer: reply.text,
        intent: "model".into(),
        period: period(0),
        compared_with: period(1),
        data: reply.data,
        engine,
        notes,
    }
}

#[cfg(test)]
mod tests;
