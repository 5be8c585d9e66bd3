//! Estimated cost: list prices per million tokens for the models this app is usually pointed
//! at. An estimate only (providers change prices, Azure bills by its own price sheet, batch and
//! cached-prompt discounts are ignored); an unknown model has no estimate rather than a guess.

/// (model name prefix, USD per 1M input tokens, USD per 1M output tokens), most specific first.
/// Source: OpenAI's published API prices for these models.
const PRICES: &[(&str, f64, f64)] = &[
    ("gpt-4o-mini", 0.15, 0.60),
    ("gpt-4o", 2.50, 10.00),
    ("gpt-4.1-nano", 0.10, 0.40),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4.1", 2.00, 8.00),
];

/// The estimated cost of `input` and `output` tokens on `model`, in US dollars, to six
/// decimals; `None` when the model's prices are unknown.
pub fn cost_usd(model: &str, input: u64, output: u64) -> Option<f64> {
    let model = model.to_ascii_lowercase();
    let (_, per_input, per_output) = PRICES
        .iter()
        .find(|(prefix, _, _)| model.starts_with(prefix))?;
    let cost = (input as f64 * per_input + output as f64 * per_output) / 1_000_000.0;
    Some((cost * 1e6).round() / 1e6)
}

#[cfg(test)]
mod tests {
    use super::cost_usd;

    #[test]
    fn the_most_specific_prefix_prices_a_dated_model_and_unknown_models_have_no_price() {
        assert_eq!(
            cost_usd("gpt-4o-mini-2024-07-18", 1_000, 500),
            Some(0.00045)
        );
        assert_eq!(cost_usd("gpt-4o-2024-08-06", 1_000_000, 0), Some(2.5));
        assert_eq!(cost_usd("llama3.1:8b", 1_000, 1_000), None);
    }
}
