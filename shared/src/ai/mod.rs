//! The AI port: what enriches a product. The offline engine (rules, dictionaries, no network)
//! or a hosted model ([`provider`]); both produce the one [`schema::EnrichmentOutput`].
//!
//! A model's answer is checked before it is kept ([`schema::check_answer`]); an answer that
//! fails, or a refusal, falls back to the offline engine for that product, and the record says
//! why. Only an unavailable provider fails the work, so the queue delivers it again later.

pub mod offline;
pub mod prompt;
pub mod provider;
pub mod safe_html;
pub mod schema;
pub mod taxonomy;

use std::sync::Arc;

use crate::azure::{AzureAuthError, AzureCredential};
use crate::settings::{AiSettings, ProviderEndpoint};
use crate::store::{ProductView, Provenance};
use provider::{Provider, ProviderError};
use schema::{
    AttributeValue, CategoryChoice, EnrichmentOutput, ProductFacts, QualityReason, QualityScore,
};

/// The version of the offline rules' output: with the content hash it decides whether a
/// product's offline enrichment is current.
pub const OFFLINE_VERSION: &str = "offline-v2";

/// A failed enrichment.
#[derive(Debug, thiserror::Error)]
pub enum AiError {
    /// The engine could not be set up.
    #[error("cannot set up the AI engine: {0}")]
    Setup(String),
    /// The provider cannot answer now; a later delivery tries again.
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

impl AiError {
    /// Whether trying again may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, AiError::Provider(ProviderError::Unavailable(_)))
    }
}

/// An enrichment, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Enrichment {
    /// `offline`, `openai` or `azure-openai`: who wrote `output`.
    pub generated_by: String,
    /// The prompt (or offline rules) version the cache is keyed by.
    pub prompt_version: String,
    /// The content.
    pub output: EnrichmentOutput,
    /// Model, tokens, cost, and why the offline engine stood in, if it did.
    pub provenance: Provenance,
    /// The offline engine stood in because the tenant's token budget is spent: the product is
    /// enriched again when the budget allows.
    pub waiting_for_budget: bool,
}

/// The engine that enriches products.
#[derive(Debug, Clone)]
pub enum AiEngine {
    /// The offline engine.
    Offline,
    /// A hosted model.
    Provider(Arc<Provider>),
}

impl AiEngine {
    /// The engine the settings choose. `credential` is asked for only by Azure OpenAI without
    /// a key, which authenticates with the app's Entra ID identity.
    pub fn from_settings(
        settings: &AiSettings,
        credential: impl FnOnce() -> Result<Arc<AzureCredential>, AzureAuthError>,
    ) -> Result<Self, AiError> {
        let AiSettings::Provider(p) = settings else {
            return Ok(AiEngine::Offline);
        };
        let entra = match &p.endpoint {
            ProviderEndpoint::Azure { api_key: None, .. } => {
                Some(credential().map_err(|e| AiError::Setup(e.to_string()))?)
            }
            _ => None,
        };
        let provider = Provider::new(p, entra).map_err(AiError::Setup)?;
        Ok(AiEngine::Provider(Arc::new(provider)))
    }

    /// What serves enrichment, for the banner and `Health`.
    pub fn describe(&self) -> String {
        match self {
            AiEngine::Offline => {
                "offline engine (rules and dictionaries; no AI provider configured)".into()
            }
            AiEngine::Provider(p) => p.description().to_owned(),
        }
    }

    /// `offline`, `openai` or `azure-openai`.
    pub fn name(&self) -> &'static str {
        match self {
            AiEngine::Offline => "offline",
            AiEngine::Provider(p) => p.name(),
        }
    }

    /// The version that, with the content hash, makes an enrichment current.
    pub fn prompt_version(&self) -> &'static str {
        match self {
            AiEngine::Offline => OFFLINE_VERSION,
            AiEngine::Provider(_) => prompt::PROMPT_VERSION,
        }
    }

    /// A request slot of the provider, held from the budget check through the request (see
    /// [`Provider::slot`]); `None` for the offline engine, which needs none.
    pub async fn slot(&self) -> Result<Option<tokio::sync::SemaphorePermit<'_>>, AiError> {
        match self {
            AiEngine::Offline => Ok(None),
            AiEngine::Provider(p) => Ok(Some(p.slot().await?)),
        }
    }

    /// Tokens per tenant per UTC day, when a provider spends them.
    pub fn daily_tokens(&self) -> Option<u64> {
        match self {
            AiEngine::Offline => None,
            AiEngine::Provider(p) => Some(p.daily_tokens()),
        }
    }

    /// Enriches `product` from its current content.
    pub async fn enrich(&self, product: &ProductView) -> Result<Enrichment, AiError> {
        // The rules run once: their result is the offline enrichment, the facts a model's
        // answer is checked against, and the stand-in when that answer fails.
        let (facts, offline) = facts(product);
        let AiEngine::Provider(provider) = self else {
            return Ok(offline_enrichment(
                facts,
                offline,
                OFFLINE_VERSION,
                Provenance::default(),
            ));
        };
        let completion = match provider.complete(product).await {
            Ok(completion) => completion,
            Err(ProviderError::Refused(why)) => {
                return Ok(self.stand_in(product, (facts, offline), why, Provenance::default()));
            }
            Err(unavailable) => return Err(unavailable.into()),
        };
        let provenance = Provenance {
            model: Some(completion.model.clone()),
            input_tokens: completion.input_tokens,
            output_tokens: completion.output_tokens,
            cost_usd: Provider::cost_usd(
                &completion.model,
                completion.input_tokens,
                completion.output_tokens,
            ),
            fallback_reason: None,
        };
        let checked = completion
            .answer
            .and_then(|content| schema::check_answer(&content, &facts));
        match checked {
            Ok(output) => Ok(Enrichment {
                generated_by: provider.name().to_owned(),
                prompt_version: prompt::PROMPT_VERSION.to_owned(),
                output,
                provenance,
                waiting_for_budget: false,
            }),
            Err(why) => Ok(self.stand_in(product, (facts, offline), why, provenance)),
        }
    }

    /// The offline engine's enrichment of `product`, standing in for the provider because the
    /// tenant's daily token budget is spent.
    pub fn waiting_for_budget(&self, product: &ProductView) -> Enrichment {
        let why = "the tenant's daily AI token budget is spent; enriched again when it allows";
        let mut enrichment =
            self.stand_in(product, facts(product), why.into(), Provenance::default());
        enrichment.waiting_for_budget = true;
        enrichment
    }

    fn stand_in(
        &self,
        product: &ProductView,
        (facts, offline): (ProductFacts, offline::OfflineEnrichment),
        why: String,
        provenance: Provenance,
    ) -> Enrichment {
        tracing::warn!(sku = %product.content.sku, reason = %why, "offline engine stands in for the AI provider");
        let provenance = Provenance {
            fallback_reason: Some(why),
            ..provenance
        };
        offline_enrichment(facts, offline, self.prompt_version(), provenance)
    }
}

/// What the rules know about `product`, for checking a model's answer, and the offline
/// engine's whole result.
fn facts(product: &ProductView) -> (ProductFacts, offline::OfflineEnrichment) {
    let content = &product.content;
    let input = offline::EnrichInput {
        title: content.title.clone(),
        description: content.description.clone(),
        brand: content.brand.clone(),
        category: content.category.clone(),
        has_price: content.price.is_some(),
        has_gtin: content.gtin.is_some(),
        has_image: content.image_url.is_some(),
    };
    let result = offline::enrich(&input);
    let mut text: Vec<String> = [
        Some(&content.title),
        content.brand.as_ref(),
        content.category.as_ref(),
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect();
    if let Some(description) = &content.description {
        text.push(description.clone());
        text.push(offline::visible_text(description));
    }
    text.extend(
        content
            .options
            .iter()
            .map(|o| format!("{}: {}", o.name, o.value)),
    );
    text.extend(content.attributes.iter().map(|(k, v)| format!("{k}: {v}")));
    let facts = ProductFacts {
        text,
        has_image: input.has_image,
        has_gtin: input.has_gtin,
        units: result.units.clone(),
        improve: result.quality.improve.clone(),
    };
    (facts, result)
}

/// The offline engine's `result` in the one schema. It writes no copy: the description is the
/// merchant's own text, escaped and split into paragraphs.
fn offline_enrichment(
    facts: ProductFacts,
    result: offline::OfflineEnrichment,
    prompt_version: &str,
    provenance: Provenance,
) -> Enrichment {
    let output = EnrichmentOutput {
        title: result.title,
        description_html: result.description.as_deref().map(paragraphs),
        category: result.category.map(|c| CategoryChoice {
            id: c.id,
            path: c.path,
            confidence: c.confidence,
        }),
        attributes: result
            .attributes
            .into_iter()
            .map(|a| AttributeValue {
                name: a.name,
                value: a.value,
                source: a.source,
            })
            .collect(),
        units: result.units,
        tags: result.tags,
        seo_title: result.seo_title,
        meta_description: result.meta_description,
        quality: QualityScore {
            score: result.quality.score,
            grade: result.quality.grade,
            reasons: result
                .quality
                .reasons
                .into_iter()
                .map(|r| QualityReason {
                    code: r.code,
                    message: r.message,
                    points: Some(r.points),
                })
                .collect(),
            improve: result.quality.improve,
        },
        flags: schema::fact_flags(facts.has_image, facts.has_gtin),
        checks: vec!["offline engine: rules and dictionaries only, no copy written".into()],
        locked: Vec::new(),
    };
    Enrichment {
        generated_by: "offline".into(),
        prompt_version: prompt_version.to_owned(),
        output,
        provenance,
        waiting_for_budget: false,
    }
}

/// Plain text with blank-line paragraphs and line breaks as escaped HTML.
fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let escaped = p
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;");
            format!("<p>{}</p>", escaped.replace('\n', "<br>"))
        })
        .collect()
}
