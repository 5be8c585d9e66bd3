//! `IngestPartnerFile` — Service Bus queue `ingest-files`, carrying the BlobCreated event of a
//! feed dropped at `ingest/{tenant}/…`: streams the blob from storage, upserts its products,
//! writes the report and sends one `enrich` message per new or changed product.

use shared::ingest::{IngestError, PartnerFile, ingest_partner_file};
use shared::protocol::{BlobCreatedEvent, InvocationRequest, InvocationResponse, ProtocolError};

use crate::app::{AppState, FunctionError};

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let message = request.service_bus("message")?;
    let event = BlobCreatedEvent::from_message(&message, "message")?;
    let Some((container, blob_name)) = event.location() else {
        let error = ProtocolError::new("Data.message(body).subject", "names no container and blob");
        return Err(error.into());
    };
    let store = state.store.as_ref();
    let file = match PartnerFile::locate(store, container, blob_name, &event.id).await {
        Ok(file) => file,
        Err(IngestError::NotAPartnerFile(reason)) => {
            // Retrying cannot make this file ours; an operator must look at the container.
            tracing::error!(container, blob = blob_name, %reason, "file ignored");
            return Ok(InvocationResponse::empty()
                .log(format!("ignored {container}/{blob_name}: {reason}")));
        }
        Err(error) => return Err(classify(error)),
    };
    tracing::Span::current().record("tenant", file.tenant.as_str());
    let outcome = ingest_partner_file(store, &state.blobs, &file)
        .await
        .map_err(classify)?;
    let run = &outcome.run;
    let line = format!(
        "{} ingest/{}: run {} {:?}, {} rows, {} rejected, {} enrichment messages{}",
        run.tenant,
        blob_name
            .split_once('/')
            .map_or(blob_name, |(_, rest)| rest),
        run.id,
        run.status,
        run.rows_total,
        run.rejected,
        outcome.enrich.len(),
        if outcome.replayed {
            " (already handled)"
        } else {
            ""
        },
    );
    tracing::info!(tenant = %run.tenant, run = %run.id, rows = run.rows_total, rejected = run.rejected, "ingested");
    InvocationResponse::empty()
        .with_messages("enrich", &outcome.enrich)
        .map(|response| response.log(line))
        .map_err(|e| FunctionError::Internal(e.to_string()))
}

fn classify(error: IngestError) -> FunctionError {
    let transient = error.is_transient();
    FunctionError::from_cause(error, transient)
}
