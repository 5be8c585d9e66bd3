//! The rule for each field's trimmed, non-empty value, and the wording partners read when a
//! value breaks it. Every function returns the reason as a `String` ready for the report.

use super::fields::Field;

/// Longest accepted title, in characters: marketplaces cut far shorter, this only stops
/// descriptions pasted into the wrong column.
pub(super) const TITLE_MAX_CHARS: usize = 500;
/// Longest accepted description, in characters.
pub(super) const DESCRIPTION_MAX_CHARS: usize = 20_000;
/// Longest accepted image URL, in characters; browsers and CDNs start failing beyond it.
pub(super) const URL_MAX_CHARS: usize = 2048;

/// Why a cell that is not UTF-8 was refused.
pub(super) fn not_utf8(field: Field) -> String {
    format!("{field} is not valid UTF-8 text; save the file as \"CSV UTF-8\"")
}

/// Why a cell holding a NUL byte was refused.
pub(super) fn nul(field: Field) -> String {
    format!("{field} contains a NUL (\\0) character; the file may be damaged or not plain text")
}

/// A title: one line of text of at most [`TITLE_MAX_CHARS`].
pub(super) fn title(value: &str) -> Result<String, String> {
    let title = single_line(Field::Title, value)?;
    at_most(Field::Title, &title, TITLE_MAX_CHARS)?;
    Ok(title)
}

/// A description: tabs and line breaks are allowed (it is long text, often HTML), other
/// control characters are not. CRLF and lone CR become `\n`, so the stored text does not
/// depend on the partner's operating system.
pub(super) fn description(value: &str) -> Result<String, String> {
    let text = value.replace("\r\n", "\n").replace('\r', "\n");
    if text
        .chars()
        .any(|c| c.is_control() && c != '\t' && c != '\n')
    {
        return Err(
            "description must not contain control characters other than tabs and line breaks"
                .to_owned(),
        );
    }
    at_most(Field::Description, &text, DESCRIPTION_MAX_CHARS)?;
    Ok(text)
}

/// One line of text without control characters, for titles, brands and categories.
pub(super) fn single_line(field: Field, value: &str) -> Result<String, String> {
    if value.chars().any(char::is_control) {
        return Err(format!(
            "{field} must be one line without tabs or control characters"
        ));
    }
    Ok(value.to_owned())
}

fn at_most(field: Field, text: &str, max: usize) -> Result<(), String> {
    let len = text.chars().count();
    if len > max {
        return Err(format!(
            "{field} is {len} characters long; at most {max} are allowed"
        ));
    }
    Ok(())
}

/// A stock quantity: a whole number, negative when the item is oversold (Shopify exports
/// carry that for variants that keep selling when out of stock; inventory feeds accept it
/// too). "12.0" is 12, because spreadsheets write integers that way; "12.5", "1,000", "+3"
/// and "ten" are refused.
pub(super) fn quantity(value: &str) -> Result<i64, String> {
    const REASON: &str = "quantity must be a whole number (negative when oversold)";
    let whole = match value.split_once('.') {
        None => value,
        Some((whole, fraction)) if !fraction.is_empty() && fraction.bytes().all(|b| b == b'0') => {
            whole
        }
        Some(_) => return Err(REASON.to_owned()),
    };
    let digits = whole.strip_prefix('-').unwrap_or(whole);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(REASON.to_owned());
    }
    whole
        .parse()
        .map_err(|_| "quantity is too large".to_owned())
}

/// An image URL: absolute `http` or `https` with a host, no credentials, no spaces, at most
/// [`URL_MAX_CHARS`].
pub(super) fn image_url(value: &str) -> Result<String, String> {
    at_most(Field::ImageUrl, value, URL_MAX_CHARS)?;
    let not_absolute =
        || "image_url must be an absolute http or https URL like https://example.com/a.jpg";
    let (scheme, rest) = value.split_once("://").ok_or_else(not_absolute)?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(not_absolute().to_owned());
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("image_url must not contain spaces (write them as %20)".to_owned());
    }
    // Checked by hand too: the URL parser repairs `https:///a.jpg` into host `a.jpg`.
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_and_port = authority.rsplit('@').next().unwrap_or_default();
    if !has_host(host_and_port) {
        return Err("image_url has no valid host name".to_owned());
    }
    let url = url::Url::parse(value).map_err(|_| "image_url has no valid host name".to_owned())?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err("image_url has no valid host name".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("image_url must not contain a user name or password".to_owned());
    }
    Ok(value.to_owned())
}

/// Whether `host[:port]` (or `[v6]:port`) names a host, with a numeric port if any.
fn has_host(host_and_port: &str) -> bool {
    let (host, port) = match host_and_port.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':')),
            None => return false,
        },
        None => match host_and_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_and_port, None),
        },
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    !host.is_empty() && port_ok
}

/// The first item of a comma-separated list cell (WooCommerce `Categories`, `Images`); a
/// backslash-escaped comma (`\,`) belongs to the item.
pub(super) fn first_of_list(value: &str) -> String {
    let mut item = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(',') => item.push(','),
                Some(other) => {
                    item.push('\\');
                    item.push(other);
                }
                None => item.push('\\'),
            },
            ',' => break,
            _ => item.push(c),
        }
    }
    item.trim().to_owned()
}

/// Splits a price cell that carries its currency (`19.99 EUR`, `EUR 19.99`, Merchant Center
/// style) into amount and code; a plain amount has no code.
pub(super) fn split_currency(value: &str) -> (&str, Option<&str>) {
    let is_code = |s: &str| s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic());
    match value.split_once(char::is_whitespace) {
        Some((amount, code)) if is_code(code.trim()) => (amount.trim(), Some(code.trim())),
        Some((code, amount)) if is_code(code.trim()) => (amount.trim(), Some(code.trim())),
        _ => (value, None),
    }
}

/// A number as written with a decimal comma (`1.234,56`) in the plain form (`1234.56`). Dots
/// must group thousands, so `12.50` is refused rather than read as 1250.
pub(super) fn decimal_point(field: Field, value: &str) -> Result<String, String> {
    let (whole, fraction) = value.split_once(',').unwrap_or((value, ""));
    let mut groups = whole.split('.');
    let first_ok = groups.next().is_some_and(|g| !g.is_empty());
    let grouped = groups.all(|g| g.len() == 3);
    if !first_ok || !grouped || fraction.contains([',', '.']) {
        return Err(format!(
            "{field} must be written with a decimal comma like 1.234,56 (the mapping profile \
             says so)"
        ));
    }
    let fraction = if fraction.is_empty() {
        String::new()
    } else {
        format!(".{fraction}")
    };
    Ok(format!("{}{fraction}", whole.replace('.', "")))
}

/// `value` (a plain decimal) times `factor`, written with `decimals` decimals.
pub(super) fn multiply(
    field: Field,
    value: &str,
    factor: f64,
    decimals: u8,
) -> Result<String, String> {
    let plain = value.bytes().all(|b| b.is_ascii_digit() || b == b'.') && !value.is_empty();
    let number: f64 = value
        .parse()
        .ok()
        .filter(|_| plain)
        .ok_or_else(|| format!("{field} must be a plain number like 12.50"))?;
    let result = number * factor;
    if !result.is_finite() || result < 0.0 {
        return Err(format!("{field} is out of range after unit conversion"));
    }
    Ok(format!("{result:.prec$}", prec = usize::from(decimals)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_title_of_500_characters_is_accepted_and_501_is_not() {
        assert!(title(&"é".repeat(500)).is_ok());
        assert_eq!(
            title(&"é".repeat(501)).unwrap_err(),
            "title is 501 characters long; at most 500 are allowed"
        );
    }

    #[test]
    fn a_title_with_a_line_break_or_tab_is_rejected() {
        for bad in ["Mug\nBlue", "Mug\tBlue", "Mug\u{7}"] {
            assert_eq!(
                title(bad).unwrap_err(),
                "title must be one line without tabs or control characters"
            );
        }
        assert_eq!(title("MERINO  BEANIE").unwrap(), "MERINO  BEANIE");
    }

    #[test]
    fn brand_and_category_must_be_one_line() {
        assert!(single_line(Field::Brand, "Kettle & Oak").is_ok());
        let err = single_line(Field::Category, "Home\n> Kitchen").unwrap_err();
        assert_eq!(
            err,
            "category must be one line without tabs or control characters"
        );
    }

    #[test]
    fn a_description_keeps_html_tabs_and_line_breaks() {
        let text = "<p>Soft.</p>\n<br>\tWarm";
        assert_eq!(description(text).unwrap(), text);
    }

    #[test]
    fn crlf_and_lone_cr_in_a_description_become_newlines() {
        assert_eq!(description("a\r\nb\rc").unwrap(), "a\nb\nc");
    }

    #[test]
    fn other_control_characters_in_a_description_are_rejected() {
        let err = description("bell\u{7}").unwrap_err();
        assert_eq!(
            err,
            "description must not contain control characters other than tabs and line breaks"
        );
    }

    #[test]
    fn a_description_of_20000_characters_is_accepted_and_20001_is_not() {
        assert!(description(&"x".repeat(20_000)).is_ok());
        let err = description(&"x".repeat(20_001)).unwrap_err();
        assert_eq!(
            err,
            "description is 20001 characters long; at most 20000 are allowed"
        );
    }

    #[test]
    fn whole_quantities_are_accepted_including_a_zero_fraction_and_oversold_stock() {
        for (text, value) in [
            ("0", 0),
            ("12", 12),
            ("12.0", 12),
            ("12.00", 12),
            ("007", 7),
            ("-2", -2),
            ("-3.0", -3),
        ] {
            assert_eq!(quantity(text), Ok(value), "{text:?}");
        }
    }

    #[test]
    fn fractional_and_wordy_quantities_are_rejected() {
        for bad in [
            "12.5", "-", "--1", "-1.5", "ten", "1,000", "+3", "12.", ".0", "1e3", "12 pcs", "１２",
        ] {
            assert_eq!(
                quantity(bad).unwrap_err(),
                "quantity must be a whole number (negative when oversold)",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_quantity_beyond_64_bits_is_too_large() {
        assert_eq!(
            quantity("99999999999999999999").unwrap_err(),
            "quantity is too large"
        );
    }

    #[test]
    fn absolute_http_and_https_image_urls_are_accepted() {
        for ok in [
            "https://cdn.example-shop.com/products/a/main.jpg",
            "http://cdn.example-shop.com:8080/a.png?w=800#top",
            "HTTPS://CDN.EXAMPLE-SHOP.COM/A.JPG",
            "https://[2001:db8::1]:443/a.jpg",
            "https://cdn.example-shop.com",
        ] {
            assert_eq!(image_url(ok).as_deref(), Ok(ok));
        }
    }

    #[test]
    fn an_ftp_or_relative_image_url_is_rejected() {
        for bad in [
            "ftp://cdn.example-shop.com/a.jpg",
            "//cdn.example-shop.com/a.jpg",
            "a.jpg",
        ] {
            assert_eq!(
                image_url(bad).unwrap_err(),
                "image_url must be an absolute http or https URL like https://example.com/a.jpg"
            );
        }
    }

    #[test]
    fn an_image_url_without_a_host_or_with_a_bad_port_is_rejected() {
        for bad in [
            "https://",
            "https:///a.jpg",
            "https://:80/a.jpg",
            "https://cdn:x/a.jpg",
        ] {
            assert_eq!(
                image_url(bad).unwrap_err(),
                "image_url has no valid host name"
            );
        }
    }

    #[test]
    fn an_image_url_with_spaces_is_rejected() {
        let err = image_url("https://cdn.example-shop.com/my image.jpg").unwrap_err();
        assert_eq!(err, "image_url must not contain spaces (write them as %20)");
    }

    #[test]
    fn an_image_url_longer_than_2048_characters_is_rejected() {
        let url = format!("https://cdn.example-shop.com/{}", "a".repeat(2048));
        let err = image_url(&url).unwrap_err();
        assert_eq!(
            err,
            "image_url is 2077 characters long; at most 2048 are allowed"
        );
    }

    #[test]
    fn an_image_url_with_credentials_is_rejected() {
        for bad in [
            "https://user@cdn.example-shop.com/a.jpg",
            "https://user:secret@cdn.example-shop.com/a.jpg",
        ] {
            assert_eq!(
                image_url(bad).unwrap_err(),
                "image_url must not contain a user name or password"
            );
        }
    }

    #[test]
    fn list_cells_give_their_first_item() {
        assert_eq!(
            first_of_list("Clothing > Hoodies, Sale"),
            "Clothing > Hoodies"
        );
        assert_eq!(first_of_list(r"Home\, Garden, Sale"), "Home, Garden");
        assert_eq!(
            first_of_list("https://a.example/1.jpg, https://a.example/2.jpg"),
            "https://a.example/1.jpg"
        );
    }

    #[test]
    fn a_price_cell_may_carry_its_currency_either_side() {
        assert_eq!(split_currency("19.99 EUR"), ("19.99", Some("EUR")));
        assert_eq!(split_currency("USD 5"), ("5", Some("USD")));
        assert_eq!(split_currency("19.99"), ("19.99", None));
    }

    #[test]
    fn decimal_commas_and_unit_factors_give_plain_numbers() {
        assert_eq!(decimal_point(Field::Price, "1.234,56").unwrap(), "1234.56");
        assert_eq!(decimal_point(Field::Price, "12").unwrap(), "12");
        assert_eq!(decimal_point(Field::Price, "0,5").unwrap(), "0.5");
        for bad in ["12.50", "1,2,3", ",5", "1.23,4"] {
            assert!(decimal_point(Field::Price, bad).is_err(), "{bad:?}");
        }
        assert_eq!(multiply(Field::Quantity, "2.5", 4.0, 0).unwrap(), "10");
        assert!(multiply(Field::Price, "-1", 2.0, 2).is_err());
    }
}
