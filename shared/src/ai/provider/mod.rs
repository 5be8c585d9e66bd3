//! The hosted model: OpenAI, Azure OpenAI or any OpenAI-compatible server, through
//! async-openai. One request per product: fixed instructions, the product as delimited data,
//! and a strict JSON-schema response format. A concurrency limit bounds the requests in
//! flight per instance; [`transport`] retries what the server asks to be retried.

mod pricing;
pub mod transport;

use std::sync::Arc;

use async_openai::Client;
use async_openai::config::{AzureConfig, Config, OpenAIConfig};
use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    CreateChatCompletionRequest, CreateChatCompletionResponse, FinishReason, ResponseFormat,
    ResponseFormatJsonSchema,
};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::prompt::{INSTRUCTIONS, product_message};
use super::schema::answer_schema;
use crate::azure::AzureCredential;
use crate::settings::{ProviderEndpoint, ProviderSettings};
use crate::store::ProductView;
use transport::{RetryPolicy, Transport};

/// Most tokens one answer may use: a full enrichment fits in well under a thousand.
const MAX_ANSWER_TOKENS: u32 = 2_000;

/// A hosted model, ready to take requests.
pub struct Provider {
    client: Client<Box<dyn Config>>,
    name: &'static str,
    model: String,
    description: String,
    limit: Semaphore,
    daily_tokens: u64,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

/// What one request gave back.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The answer's text, or why there is none to use.
    pub answer: Result<String, String>,
    /// The model that answered, as the server names it.
    pub model: String,
    /// Tokens the prompt took.
    pub input_tokens: u64,
    /// Tokens the answer took.
    pub output_tokens: u64,
}

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider cannot answer now (rate limited, down, unreachable, misconfigured
    /// credentials): the work waits for a later delivery.
    #[error("the AI provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider refused this request for what it contains (content filter, too long):
    /// trying again will not help.
    #[error("the AI provider refused the request: {0}")]
    Refused(String),
}

impl Provider {
    /// A provider for `settings`; `entra`, when given, authenticates each request in place of a
    /// key (Azure OpenAI without `AZURE_OPENAI_API_KEY`; [`AiEngine::from_settings`] decides).
    ///
    /// [`AiEngine::from_settings`]: crate::ai::AiEngine::from_settings
    pub fn new(
        settings: &ProviderSettings,
        entra: Option<Arc<AzureCredential>>,
    ) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let (config, name, model, description): (Box<dyn Config>, _, _, _) = match &settings
            .endpoint
        {
            ProviderEndpoint::OpenAi {
                base_url,
                api_key,
                model,
            } => {
                let mut config = OpenAIConfig::new().with_api_base(base_url);
                if let Some(key) = api_key {
                    config = config.with_api_key(key.expose());
                }
                let description = format!("OpenAI-compatible API at {base_url}, model {model}");
                (Box::new(config), "openai", model.clone(), description)
            }
            ProviderEndpoint::Azure {
                endpoint,
                deployment,
                api_version,
                api_key,
            } => {
                let mut config = AzureConfig::new()
                    .with_api_base(endpoint)
                    .with_deployment_id(deployment)
                    .with_api_version(api_version);
                if let Some(key) = api_key {
                    config = config.with_api_key(key.expose());
                }
                let auth = if api_key.is_some() {
                    "API key"
                } else {
                    "Entra ID"
                };
                let description = format!(
                    "Azure OpenAI at {endpoint}, deployment {deployment} ({auth}, API {api_version})"
                );
                (
                    Box::new(config),
                    "azure-openai",
                    deployment.clone(),
                    description,
                )
            }
        };
        let policy = RetryPolicy {
            max_attempts: settings.max_retries + 1,
            ..RetryPolicy::default()
        };
        let transport = Transport::new(http, policy, entra);
        Ok(Self {
            client: Client::with_config(config).with_http_service(transport),
            name,
            model,
            description,
            limit: Semaphore::new(settings.concurrency),
            daily_tokens: settings.daily_tokens,
        })
    }

    /// `openai` or `azure-openai`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Where requests go, for the banner and `Health`.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The model (OpenAI) or deployment (Azure OpenAI) requests ask for.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Tokens per tenant per UTC day.
    pub fn daily_tokens(&self) -> u64 {
        self.daily_tokens
    }

    /// The estimated cost in US dollars of a request to `model`, when its prices are known.
    pub fn cost_usd(model: &str, input_tokens: u64, output_tokens: u64) -> Option<f64> {
        pricing::cost_usd(model, input_tokens, output_tokens)
    }

    /// One of the instance's request slots: a caller holds it from the budget check through
    /// the request, so requests in flight when a budget runs out are at most the concurrency
    /// limit's worth.
    pub async fn slot(&self) -> Result<SemaphorePermit<'_>, ProviderError> {
        self.limit
            .acquire()
            .await
            .map_err(|_| ProviderError::Unavailable("shutting down".into()))
    }

    /// Asks the model to enrich `product`; the caller holds a [`Provider::slot`].
    pub async fn complete(&self, product: &ProductView) -> Result<Completion, ProviderError> {
        let request = self.request(product)?;
        let response = self.client.chat().create(request).await.map_err(classify)?;
        let usage = response.usage.as_ref();
        let (input_tokens, output_tokens) = usage
            .map(|u| (u64::from(u.prompt_tokens), u64::from(u.completion_tokens)))
            .unwrap_or_default();
        let answer = match response.choices.into_iter().next() {
            None => Err("the answer has no choices".to_owned()),
            Some(choice) => match (
                choice.message.refusal,
                choice.finish_reason,
                choice.message.content,
            ) {
                (Some(refusal), _, _) => Err(format!("the model refused: {refusal}")),
                (_, Some(FinishReason::ContentFilter), _) => {
                    Err("the provider's content filter stopped the answer".to_owned())
                }
                (_, Some(FinishReason::Length), _) => {
                    Err("the answer was cut off at the token limit".to_owned())
                }
                (_, _, Some(content)) => Ok(content),
                (_, _, None) => Err("the answer has no content".to_owned()),
            },
        };
        Ok(Completion {
            answer,
            model: response.model,
            input_tokens,
            output_tokens,
        })
    }

    /// Sends one chat-completion request as it is (the caller builds it, e.g. with tools, and
    /// holds a [`Provider::slot`]), through the same transport and error classification.
    pub async fn chat(
        &self,
        request: CreateChatCompletionRequest,
    ) -> Result<CreateChatCompletionResponse, ProviderError> {
        self.client.chat().create(request).await.map_err(classify)
    }

    fn request(&self, product: &ProductView) -> Result<CreateChatCompletionRequest, ProviderError> {
        let messages = vec![
            ChatCompletionRequestSystemMessage::from(INSTRUCTIONS).into(),
            ChatCompletionRequestUserMessage::from(product_message(product)).into(),
        ];
        Ok(CreateChatCompletionRequest {
            model: self.model.clone(),
            messages,
            response_format: Some(ResponseFormat::JsonSchema {
                json_schema: ResponseFormatJsonSchema {
                    name: "product_enrichment".into(),
                    description: None,
                    schema: answer_schema(),
                    strict: Some(true),
                },
            }),
            max_completion_tokens: Some(MAX_ANSWER_TOKENS),
            ..Default::default()
        })
    }
}

/// Error codes that refuse this product for what it contains: trying it again will not help,
/// so the offline engine stands in. OpenAI's `context_length_exceeded`; Azure's content filter.
const PRODUCT_REFUSALS: [&str; 3] = [
    "context_length_exceeded",
    "content_filter",
    "content_policy_violation",
];

/// Which failures wait for a later delivery and which are this product's alone. Any other
/// 4xx (a request the provider does not accept, a wrong key or deployment) is the app's
/// configuration, not the product's: it fails the message, so the queue retries and, in the
/// end, dead-letters it where an operator sees it, rather than caching a fallback for every
/// product.
fn classify(error: OpenAIError) -> ProviderError {
    match error {
        OpenAIError::ApiError(api) => {
            let status = api.status_code.as_u16();
            let message = format!("HTTP {status}: {}", api.api_error.message);
            let code = api.api_error.code.as_deref().unwrap_or_default();
            if status == 413 || (status == 400 && PRODUCT_REFUSALS.contains(&code)) {
                ProviderError::Refused(message)
            } else {
                ProviderError::Unavailable(message)
            }
        }
        OpenAIError::JSONDeserialize(e, _) => {
            ProviderError::Unavailable(format!("the response is not a chat completion: {e}"))
        }
        OpenAIError::Reqwest(e) if e.is_timeout() => {
            ProviderError::Unavailable("the request timed out".into())
        }
        other => ProviderError::Unavailable(other.to_string()),
    }
}
