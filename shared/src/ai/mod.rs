//! The AI port: what enriches a product. Today the offline engine (rules, dictionaries,
//! statistics, no network); the hosted providers plug in behind the same [`AiEngine`].

pub mod offline;
pub mod taxonomy;

use serde::Serialize;

use crate::settings::AiSettings;
use crate::store::ProductView;

/// A failed enrichment.
#[derive(Debug, thiserror::Error)]
pub enum AiError {
    /// The engine could not produce an enrichment for this product.
    #[error("enrichment failed: {0}")]
    Failed(String),
}

impl AiError {
    /// Whether trying again may succeed.
    pub fn is_transient(&self) -> bool {
        false
    }
}

/// An enrichment, ready to store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Enrichment {
    /// `offline`, or the provider and model.
    pub generated_by: String,
    /// The enrichment's content.
    pub payload: serde_json::Value,
}

/// The engine that enriches products.
#[derive(Debug, Clone)]
pub enum AiEngine {
    /// The offline engine.
    Offline,
}

impl AiEngine {
    /// The engine the settings choose.
    pub fn from_settings(settings: &AiSettings) -> Self {
        match settings {
            AiSettings::Offline => AiEngine::Offline,
        }
    }

    /// What serves enrichment, for the banner and `Health`.
    pub fn describe(&self) -> &'static str {
        match self {
            AiEngine::Offline => {
                "offline engine (rules and dictionaries; no AI provider configured)"
            }
        }
    }

    /// Whether the engine can work now, for `Health`. The offline engine always can.
    pub async fn check(&self) -> Result<(), AiError> {
        match self {
            AiEngine::Offline => Ok(()),
        }
    }

    /// Enriches `product` from its current content.
    pub async fn enrich(&self, product: &ProductView) -> Result<Enrichment, AiError> {
        match self {
            AiEngine::Offline => {
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
                let payload =
                    serde_json::to_value(&result).map_err(|e| AiError::Failed(e.to_string()))?;
                Ok(Enrichment {
                    generated_by: "offline".into(),
                    payload,
                })
            }
        }
    }
}
