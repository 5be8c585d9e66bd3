//! `ShopifyWebhook` — `POST /api/webhooks/shopify?tenant={tenant}` and `WooCommerceWebhook` —
//! `POST /api/webhooks/woocommerce?tenant={tenant}`: a platform tells us a product or order
//! changed, and a targeted sync job is queued.
//!
//! The host lets these through without a key (a platform cannot send one); the signature is
//! the authentication. It is checked over the raw body with the connection's webhook secret
//! (see [`shared::sync::webhooks`]), and anything that does not verify — an unknown tenant, a
//! connection without a webhook secret, a missing or wrong signature, another shop's domain —
//! gets the same 401, so the endpoint tells a caller nothing about tenants. A verified
//! delivery becomes a job whose id is the platform's delivery id, so a redelivery finds the
//! job it made and queues nothing new.

use schemars::JsonSchema;
use serde::Serialize;
use sha2::{Digest, Sha256};
use shared::connections::{Connection, Direction, Platform, open_secrets};
use shared::domain::TenantId;
use shared::protocol::{HttpRequest, HttpResponse, InvocationRequest, InvocationResponse};
use shared::store::{SyncJob, SyncTrigger};
use shared::sync::engine::SyncMessage;
use shared::sync::webhooks::{WebhookWork, signature_matches, work_for};

use crate::app::{AppState, FunctionError};
use crate::http::optional_body;
use crate::openapi::{Api, Operation};
use crate::paging::json;
use crate::problem::ApiError;

/// The largest delivery accepted: a product with hundreds of variants is well under this.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The longest delivery id kept in a job id.
const MAX_DELIVERY_ID: usize = 100;

/// What each platform's deliveries carry, by header.
struct Headers {
    signature: &'static str,
    topic: &'static str,
    delivery: &'static str,
}

fn headers(platform: Platform) -> Headers {
    match platform {
        Platform::WooCommerce => Headers {
            signature: "x-wc-webhook-signature",
            topic: "x-wc-webhook-topic",
            delivery: "x-wc-webhook-delivery-id",
        },
        _ => Headers {
            signature: "x-shopify-hmac-sha256",
            topic: "x-shopify-topic",
            delivery: "x-shopify-webhook-id",
        },
    }
}

/// Runs `ShopifyWebhook`.
pub async fn run_shopify(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    run(state, request, Platform::Shopify).await
}

/// Runs `WooCommerceWebhook`.
pub async fn run_woocommerce(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    run(state, request, Platform::WooCommerce).await
}

async fn run(
    state: &AppState,
    request: InvocationRequest,
    platform: Platform,
) -> Result<InvocationResponse, FunctionError> {
    let http = request.http("req")?;
    let (response, message) = match handle(state, &http, platform).await {
        Ok(answer) => answer,
        Err(error) => (error.into_response(), None),
    };
    let answer = InvocationResponse::empty().with_http("res", response);
    match message {
        None => Ok(answer),
        Some(message) => answer
            .with_messages("sync", &[message])
            .map_err(|e| FunctionError::Internal(e.to_string())),
    }
}

/// The answer to a delivery.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "WebhookReceipt")]
struct Receipt {
    /// The delivery asked for sync work (`false`: a topic the sync does not follow, a kind
    /// that is off, or a ping).
    accepted: bool,
    /// The job it made or found.
    #[serde(skip_serializing_if = "Option::is_none")]
    job: Option<String>,
    /// The delivery was seen before: nothing new was queued.
    duplicate: bool,
    /// Why nothing was queued, when nothing was.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

impl Receipt {
    fn ignored(reason: String) -> Self {
        Self {
            accepted: false,
            job: None,
            duplicate: false,
            reason: Some(reason),
        }
    }
}

type Answer = (HttpResponse, Option<SyncMessage>);

async fn handle(
    state: &AppState,
    http: &HttpRequest,
    platform: Platform,
) -> Result<Answer, ApiError> {
    if !http.method.eq_ignore_ascii_case("POST") {
        return Err(ApiError::method_not_allowed(&http.method));
    }
    let names = headers(platform);
    let body = optional_body(http, MAX_BODY_BYTES, "a webhook delivery is at most 2 MiB")?
        .unwrap_or_default();
    let (tenant, connection) = verified(state, http, platform, &body, &names).await?;
    let Some(topic) = http.header(names.topic) else {
        // WooCommerce pings a new webhook with `webhook_id=…` and no topic: answer 2xx so it
        // activates.
        return Ok((json(200, &Receipt::ignored("a ping".into()))?, None));
    };
    let work = work_for(platform, topic, &body).map_err(ApiError::bad_request)?;
    let (kind, targets) = match work {
        WebhookWork::Sync { kind, targets } => (kind, targets),
        WebhookWork::Ignore(reason) => return Ok((json(200, &Receipt::ignored(reason))?, None)),
    };
    if connection.settings.objects.get(kind).direction == Direction::Off {
        let reason = format!("{} sync is off for this connection", kind.as_str());
        return Ok((json(200, &Receipt::ignored(reason))?, None));
    }
    let job = SyncJob::queued(
        tenant.clone(),
        job_id(platform, http.header(names.delivery), topic, &body),
        platform,
        kind,
        SyncTrigger::Webhook,
        targets,
        chrono::Utc::now(),
    );
    let (job, made) = state.store.create_sync_job(&job).await?;
    tracing::info!(%tenant, %platform, topic, job = %job.id, duplicate = !made, "webhook received");
    let receipt = Receipt {
        accepted: true,
        job: Some(job.id.clone()),
        duplicate: !made,
        reason: None,
    };
    let message = made.then_some(SyncMessage {
        tenant,
        job_id: job.id,
    });
    Ok((json(200, &receipt)?, message))
}

/// The tenant and its connection, if the delivery verifies; the same 401 otherwise.
async fn verified(
    state: &AppState,
    http: &HttpRequest,
    platform: Platform,
    body: &[u8],
    names: &Headers,
) -> Result<(TenantId, Connection), ApiError> {
    let refused = || {
        ApiError::unauthorized(
            format!(
                "the {platform} webhook does not verify: the signature must be the base64 \
                 HMAC-SHA256 of the body with the connection's webhook secret, and `tenant` \
                 must name the connection's tenant"
            ),
            false,
        )
    };
    let tenant = http
        .query("tenant")
        .and_then(|t| TenantId::parse(t).ok())
        .ok_or_else(refused)?;
    let signature = http.header(names.signature).ok_or_else(refused)?;
    let record = state
        .store
        .get_connection(&tenant, platform)
        .await?
        .ok_or_else(refused)?;
    let key = state.credentials.as_deref().map_err(|reason| {
        ApiError::service_unavailable(format!("platform connections are off: {reason}"))
    })?;
    let secrets = open_secrets(key, &record).map_err(|e| {
        tracing::warn!(%tenant, %platform, error = %e, "a webhook's connection secrets do not open");
        refused()
    })?;
    let secret = secrets.get("webhook_secret").ok_or_else(refused)?;
    if !signature_matches(secret, body, signature) {
        tracing::warn!(%tenant, %platform, "a webhook signature did not verify");
        return Err(refused());
    }
    let settings = serde_json::from_value(record.settings).map_err(|e| {
        tracing::error!(%tenant, %platform, error = %e, "stored connection settings are unreadable");
        ApiError::internal()
    })?;
    let connection = Connection {
        platform,
        settings,
        secrets,
    };
    // A shop signs with its app's secret; a delivery naming another shop is not this one's.
    if platform == Platform::Shopify {
        let domain = http
            .header("x-shopify-shop-domain")
            .map(str::to_ascii_lowercase);
        if domain.as_deref() != connection.settings.shop_domain.as_deref() {
            return Err(refused());
        }
    }
    Ok((tenant, connection))
}

/// The job id of a delivery: the platform's delivery id when it is a plain token, otherwise
/// a digest of the topic and body (the same delivery sent again has the same bytes).
fn job_id(platform: Platform, delivery: Option<&str>, topic: &str, body: &[u8]) -> String {
    let plain = delivery.filter(|d| {
        !d.is_empty()
            && d.len() <= MAX_DELIVERY_ID
            && d.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    let id = match plain {
        Some(delivery) => delivery.to_owned(),
        None => {
            let mut hash = Sha256::new();
            hash.update(topic.as_bytes());
            hash.update([0]);
            hash.update(body);
            hex::encode(&hash.finalize()[..16])
        }
    };
    format!("w-{platform}-{id}")
}

/// Describes the endpoints.
pub fn describe(api: &mut Api) {
    let receipt = api.sends::<Receipt>();
    for (platform, path, id, summary, signature, topic, delivery) in [
        (
            "shopify",
            "webhooks/shopify",
            "receiveShopifyWebhook",
            "A Shopify webhook delivery",
            "X-Shopify-Hmac-Sha256",
            "X-Shopify-Topic",
            "X-Shopify-Webhook-Id",
        ),
        (
            "woocommerce",
            "webhooks/woocommerce",
            "receiveWooCommerceWebhook",
            "A WooCommerce webhook delivery",
            "X-WC-Webhook-Signature",
            "X-WC-Webhook-Topic",
            "X-WC-Webhook-Delivery-ID",
        ),
    ] {
        let mut operation = Operation::new("POST", path, id, "Webhooks", summary, None)
            .describe(
                "Authenticated by its signature over the raw body with the connection's webhook \
             secret, not by a key. Queues a targeted sync job; a redelivery queues nothing new.",
            )
            .query(
                "tenant",
                serde_json::json!({"type": "string"}),
                "The tenant whose connection the webhook belongs to",
            )
            .header(signature, true, "Base64 HMAC-SHA256 of the raw body")
            .header(topic, false, "What happened, e.g. products/update")
            .header(
                delivery,
                false,
                "The delivery's id: a redelivery has the same",
            );
        if platform == "shopify" {
            operation = operation.header(
                "X-Shopify-Shop-Domain",
                true,
                "The shop: must be the connection's",
            );
        }
        api.add(
            operation
                .body(
                    &["application/json"],
                    serde_json::json!({"type": "object"}),
                    false,
                )
                .error(400, "The topic's record id is missing from the body")
                .error(401, "The delivery does not verify")
                .error(413, "The body is over 2 MiB")
                .answer(200, "Received", receipt.clone()),
        );
    }
}
