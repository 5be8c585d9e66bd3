//! What every listing endpoint shares: the `limit` parameter, opaque cursors, and JSON bodies.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::protocol::{HttpRequest, HttpResponse};

use crate::problem::ApiError;

/// Page size when the caller names none.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest page a caller may ask for.
pub const MAX_LIMIT: u32 = 200;
/// Cursors carry a version so their format can change without breaking old ones silently.
const CURSOR_PREFIX: &str = "v1:";

/// The `limit` query parameter: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
pub fn limit(http: &HttpRequest) -> Result<u32, ApiError> {
    match http.query("limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(raw) => raw
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "limit must be a whole number from 1 to {MAX_LIMIT}, not `{raw}`"
                ))
            }),
    }
}

/// An opaque cursor for `position` (where the next page starts after).
pub fn encode_cursor(position: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{position}"))
}

/// The position a cursor from [`encode_cursor`] holds; anything else is a 400.
pub fn decode_cursor(raw: &str) -> Result<String, ApiError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(raw.trim())
        .map_err(|_| invalid_cursor())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid_cursor())?;
    text.strip_prefix(CURSOR_PREFIX)
        .map(str::to_owned)
        .ok_or_else(invalid_cursor)
}

/// An opaque cursor for a structured position (a time and an id, a line and a column).
pub fn encode_json_cursor<T: Serialize>(position: &T) -> String {
    encode_cursor(&serde_json::to_string(position).unwrap_or_default())
}

/// The structured position a cursor from [`encode_json_cursor`] holds.
pub fn decode_json_cursor<T: DeserializeOwned>(raw: &str) -> Result<T, ApiError> {
    serde_json::from_str(&decode_cursor(raw)?).map_err(|_| invalid_cursor())
}

fn invalid_cursor() -> ApiError {
    ApiError::bad_request("cursor is not one this API returned; start again without it")
}

/// A page of at most `limit` from `items`, fetched as `limit + 1` so that one more tells there
/// is a next page; then the cursor after the page's last item, made by `cursor_after`.
pub fn split_page<T>(
    mut items: Vec<T>,
    limit: usize,
    cursor_after: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    if items.len() <= limit {
        return (items, None);
    }
    items.truncate(limit);
    let next = items.last().map(cursor_after);
    (items, next)
}

/// `body` as a JSON response with `status`.
pub fn json<T: Serialize>(status: u16, body: &T) -> Result<HttpResponse, ApiError> {
    HttpResponse::json(status, body).map_err(|e| {
        tracing::error!(error = %e, "response could not be serialised");
        ApiError::internal()
    })
}

#[cfg(test)]
mod tests {
    use super::split_page;

    #[test]
    fn one_item_past_the_limit_makes_a_next_cursor_after_the_page_s_last() {
        let cursor = |n: &u32| format!("after {n}");
        assert_eq!(
            split_page(vec![1, 2, 3], 2, cursor),
            (vec![1, 2], Some("after 2".into()))
        );
        assert_eq!(split_page(vec![1, 2], 2, cursor), (vec![1, 2], None));
        assert_eq!(split_page(Vec::<u32>::new(), 2, cursor), (vec![], None));
    }
}
