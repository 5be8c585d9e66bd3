//! ETags and the conditional headers of `Products`. A product's ETag is strong and made from
//! its version (`"v7"`): the version moves on with every change of content and with a delete,
//! and never goes back, so an ETag never comes to mean another state.

use shared::protocol::HttpRequest;

use crate::problem::ApiError;

/// The ETag of a product at `version`.
pub(super) fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// The version an ETag from [`etag`] stands for; `None` for any other tag.
fn version_of(tag: &str) -> Option<i64> {
    tag.strip_prefix("\"v")?
        .strip_suffix('"')?
        .parse()
        .ok()
        .filter(|v| *v > 0)
}

/// No product is ever at this version: an `If-Match` tag that is not one of ours expects it,
/// so the store's conditional write fails as it should and says what is current.
const NO_VERSION: i64 = 0;

/// The version `If-Match` expects, if the request sends one. One strong tag is taken: `*`
/// would let a change overwrite a version the client never saw, and a list cannot be one
/// expected version.
pub(super) fn if_match(http: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(raw) = http.header("if-match").map(str::trim) else {
        return Ok(None);
    };
    if raw == "*" || raw.contains(',') {
        return Err(ApiError::bad_request(
            "If-Match takes the one ETag you read (like \"v3\"), not * or a list",
        ));
    }
    // A weak or foreign tag never matches under strong comparison.
    Ok(Some(version_of(raw).unwrap_or(NO_VERSION)))
}

/// Whether a `PUT` sends `If-None-Match: *` (create only); any other value is refused.
pub(super) fn create_only(http: &HttpRequest) -> Result<bool, ApiError> {
    match http.header("if-none-match").map(str::trim) {
        None => Ok(false),
        Some("*") => Ok(true),
        Some(_) => Err(ApiError::bad_request(
            "If-None-Match on PUT takes only * (create the product only if it does not exist)",
        )),
    }
}

/// Whether a `GET`'s `If-None-Match` names `current` (or is `*`), so the client's copy is
/// current: weak comparison, as RFC 9110 asks for `If-None-Match`.
pub(super) fn not_modified(http: &HttpRequest, current: &str) -> bool {
    http.header("if-none-match").is_some_and(|raw| {
        raw.split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == current)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_etag_reads_back_as_its_version_and_nothing_else_does() {
        assert_eq!(etag(7), "\"v7\"");
        assert_eq!(version_of(&etag(7)), Some(7));
        for foreign in ["v7", "\"7\"", "W/\"v7\"", "\"v-1\"", "\"v0\"", "\"vx\""] {
            assert_eq!(version_of(foreign), None, "{foreign}");
        }
    }
}
