//! The per-tenant daily token budget: whether a tenant may still spend today, what it has
//! spent, and the products whose enrichment waits for budget.

use chrono::{NaiveDate, Utc};
use serde::Serialize;

use super::{EnrichRequest, ProductRef};
use crate::ai::AiEngine;
use crate::domain::TenantId;
use crate::store::{Store, StoreError};

/// Whether `tenant` may still spend tokens today; always with the offline engine. Requests in
/// flight when the budget runs out still land, so a day's spend can pass the budget by at most
/// the concurrency limit's worth of answers.
pub(super) async fn budget_left(
    store: &dyn Store,
    engine: &AiEngine,
    tenant: &TenantId,
) -> Result<bool, StoreError> {
    match engine.daily_tokens() {
        None => Ok(true),
        Some(limit) => Ok(store.ai_tokens_spent(tenant, today()).await? < limit),
    }
}

/// The UTC day budgets are counted in.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// The tenant's token budget today, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetStatus {
    /// The UTC day.
    pub day: NaiveDate,
    /// Tokens spent.
    pub spent: u64,
    /// The daily budget; `None` with the offline engine, which spends none.
    pub budget: Option<u64>,
    /// Whether enrichment waits for tomorrow.
    pub exhausted: bool,
}

/// `tenant`'s token budget today.
pub async fn budget_status(
    store: &dyn Store,
    engine: &AiEngine,
    tenant: &TenantId,
) -> Result<BudgetStatus, StoreError> {
    let day = today();
    let spent = store.ai_tokens_spent(tenant, day).await?;
    let budget = engine.daily_tokens();
    Ok(BudgetStatus {
        day,
        spent,
        budget,
        exhausted: budget.is_some_and(|b| spent >= b),
    })
}

/// At most this many waiting products per tenant are queued again per call of
/// [`resume_waiting`]; the rest follow on later calls.
pub const RESUME_BATCH: u32 = 500;

/// The requests that enrich again products whose stand-in waits for budget, for each tenant
/// whose budget today has room. Sending one twice is harmless: the second finds the work done.
pub async fn resume_waiting(
    store: &dyn Store,
    engine: &AiEngine,
) -> Result<Vec<EnrichRequest>, StoreError> {
    let Some(limit) = engine.daily_tokens() else {
        return Ok(Vec::new());
    };
    let mut requests = Vec::new();
    for tenant in store.tenants_waiting_for_budget().await? {
        if store.ai_tokens_spent(&tenant, today()).await? >= limit {
            continue;
        }
        let waiting = store
            .enrichments_waiting_for_budget(&tenant, RESUME_BATCH)
            .await?;
        requests.extend(waiting.into_iter().map(|w| {
            EnrichRequest::Product(ProductRef {
                tenant: w.tenant,
                sku: w.sku,
                content_hash: w.content_hash,
            })
        }));
    }
    Ok(requests)
}
