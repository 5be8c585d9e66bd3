//! HTML that is safe to put on a storefront: a few bare formatting tags survive, everything
//! else is escaped to text. No attribute survives (so no `onclick`, no `href="javascript:"`),
//! and no `<script>` or `<style>` runs; the text of a removed tag shows as text, which is
//! visible to the merchant rather than silently lost.

/// Tags kept, lowercase, without attributes.
const ALLOWED: [&str; 8] = ["p", "ul", "ol", "li", "strong", "em", "b", "i"];

/// `html` with only bare [`ALLOWED`] tags and `<br>` kept, all other markup escaped, and
/// every `&` that does not start a character reference escaped.
pub fn sanitize(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(['<', '>', '&', '"']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        match tail.as_bytes()[0] {
            b'<' => match allowed_tag(tail) {
                Some((tag, len)) => {
                    out.push_str(&tag);
                    rest = &tail[len..];
                    continue;
                }
                None => out.push_str("&lt;"),
            },
            b'>' => out.push_str("&gt;"),
            b'"' => out.push_str("&quot;"),
            _ if starts_reference(tail) => out.push('&'),
            _ => out.push_str("&amp;"),
        }
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// The normalised tag at the start of `text` and its length in `text`, if it is an allowed
/// bare tag such as `<p>`, `</LI>` or `<br/>`.
fn allowed_tag(text: &str) -> Option<(String, usize)> {
    let end = text.find('>')?;
    let inner = text[1..end].trim();
    let (closing, name) = match inner.strip_prefix('/') {
        Some(name) => (true, name.trim()),
        None => (false, inner.trim_end_matches('/').trim()),
    };
    let name = name.to_ascii_lowercase();
    let tag = if name == "br" && !closing {
        "<br>".to_owned()
    } else if ALLOWED.contains(&name.as_str()) {
        format!("<{}{name}>", if closing { "/" } else { "" })
    } else {
        return None;
    };
    Some((tag, end + 1))
}

/// Whether `text` (starting with `&`) starts a character reference: `&name;`, `&#123;` or
/// `&#x1F;`.
fn starts_reference(text: &str) -> bool {
    let body = &text[1..];
    let Some(end) = body.find(';').filter(|e| *e > 0 && *e <= 32) else {
        return false;
    };
    let name = &body[..end];
    if let Some(num) = name.strip_prefix('#') {
        match num.strip_prefix(['x', 'X']) {
            Some(hex) => !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()),
            None => !num.is_empty() && num.chars().all(|c| c.is_ascii_digit()),
        }
    } else {
        name.chars().all(|c| c.is_ascii_alphanumeric())
    }
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn formatting_tags_survive_normalised() {
        assert_eq!(
            sanitize("<P>Soft</P><UL><li>Cotton</li></UL><br/><Strong>x</strong>"),
            "<p>Soft</p><ul><li>Cotton</li></ul><br><strong>x</strong>"
        );
    }

    #[test]
    fn scripts_attributes_and_links_become_text() {
        assert_eq!(
            sanitize(
                r#"<script>alert(1)</script><p onclick="x">a</p><a href="javascript:x">b</a>"#
            ),
            "&lt;script&gt;alert(1)&lt;/script&gt;&lt;p onclick=&quot;x&quot;&gt;a</p>\
             &lt;a href=&quot;javascript:x&quot;&gt;b&lt;/a&gt;"
        );
        assert_eq!(
            sanitize("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert(1)&gt;"
        );
    }

    #[test]
    fn ampersands_are_escaped_unless_they_start_a_reference() {
        assert_eq!(
            sanitize("Salt & pepper &amp; more &#39; &#x27; &nbsp; & ;"),
            "Salt &amp; pepper &amp; more &#39; &#x27; &nbsp; &amp; ;"
        );
    }

    #[test]
    fn a_stray_angle_bracket_is_text() {
        assert_eq!(sanitize("size < 5 > 3 <p"), "size &lt; 5 &gt; 3 &lt;p");
    }
}
