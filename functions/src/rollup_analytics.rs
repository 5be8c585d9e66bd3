//! `RollupAnalytics` — timer, nightly at 02:30 UTC: rebuilds every tenant's daily sales tables
//! from its orders. Order ingestion keeps them exact in the same transaction as the orders,
//! so this is the check that they stayed so: a rebuild that corrects any row logs a warning
//! (drift means a bug or a hand edit). A full rebuild reads all of a tenant's orders, so it
//! runs once a night at a quiet hour rather than hourly. Each tenant is one transaction that
//! takes turns with that tenant's order batches, so running it twice, or beside ingestion,
//! is safe.

use shared::protocol::{InvocationRequest, InvocationResponse};
use shared::store::StoreError;

use crate::app::{AppState, FunctionError};

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    request.timer("timer")?;
    let failed = |e: StoreError| {
        let transient = e.is_transient();
        FunctionError::from_cause(e, transient)
    };
    let tenants = state.store.tenants_with_orders().await.map_err(failed)?;
    let (mut rows, mut corrected, mut failure) = (0, 0, None);
    for tenant in &tenants {
        // One tenant's failure does not hold back the others; the invocation still fails.
        match state.store.rebuild_daily_sales(tenant).await {
            Ok(outcome) => {
                if outcome.corrected > 0 {
                    tracing::warn!(
                        tenant = %tenant,
                        corrected = outcome.corrected,
                        rows = outcome.rows,
                        "daily sales had drifted from the orders and were rebuilt"
                    );
                }
                rows += outcome.rows;
                corrected += outcome.corrected;
            }
            Err(error) => {
                tracing::warn!(tenant = %tenant, %error, "daily sales could not be rebuilt");
                failure = Some(failed(error));
            }
        }
    }
    if let Some(failure) = failure {
        return Err(failure);
    }
    tracing::info!(
        tenants = tenants.len(),
        rows,
        corrected,
        "daily sales rebuilt"
    );
    let line = format!(
        "daily sales of {} tenants rebuilt: {rows} rows, {corrected} corrected",
        tenants.len()
    );
    Ok(InvocationResponse::empty().log(line))
}
