//! Reduces merchant HTML to its visible text, without an HTML parser.
//!
//! Feeds carry descriptions as HTML fragments of every quality, so this is a forgiving
//! tokeniser: tags are dropped, block elements leave line breaks behind so paragraphs survive,
//! `<script>`/`<style>` bodies and comments disappear, and a "<" that does not open a tag
//! ("fits dogs < 10 kg") stays as text. Entities are decoded after the tags are gone, so an
//! escaped `&lt;b&gt;` becomes the text `<b>` rather than a tag.

/// Elements that start a new paragraph.
const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "dl",
    "table",
    "blockquote",
    "pre",
    "hr",
];

/// Elements that start a new line (on their opening tag only, so list items stay together).
const LINE_TAGS: &[&str] = &["br", "li", "tr", "dt", "dd"];

/// Named entities decoded besides numeric ones (`&#39;`, `&#x2019;`).
const ENTITIES: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", '\u{a0}'),
    ("ndash", '–'),
    ("mdash", '—'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("hellip", '…'),
    ("trade", '™'),
    ("reg", '®'),
    ("copy", '©'),
    ("deg", '°'),
    ("times", '×'),
    ("euro", '€'),
    ("pound", '£'),
];

/// The visible text of `raw`: tags removed (when it looks like HTML) and entities decoded.
/// In HTML, source line breaks are plain spaces and only elements produce `\n`.
/// Zero-width characters and soft hyphens are dropped first: they are invisible, and left in
/// they split words ("na\u{200b}vy") and hide tags ("<\u{200b}p>").
pub fn visible_text(raw: &str) -> String {
    let raw: String = raw.chars().filter(|c| !is_invisible(*c)).collect();
    let decoded = if looks_like_html(&raw) {
        decode_entities(&strip_tags(&raw))
    } else {
        decode_entities(&raw)
    };
    // An entity can encode an invisible character too ("&#8203;").
    decoded.chars().filter(|c| !is_invisible(*c)).collect()
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{AD}'
    )
}

fn looks_like_html(s: &str) -> bool {
    s.match_indices('<').any(|(i, _)| {
        let after = &s[i + 1..];
        after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!')
            && after.contains('>')
    })
}

/// A tag found at the start of a string.
struct Tag {
    /// Lower-case element name ("" for comments and declarations).
    name: String,
    closing: bool,
    /// Bytes the tag occupies, including `<` and `>`.
    len: usize,
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        push_text(&mut out, &rest[..lt]);
        let at = &rest[lt..];
        let Some(tag) = parse_tag(at) else {
            out.push('<');
            rest = &at[1..];
            continue;
        };
        out.push_str(break_for(&tag));
        rest = &at[tag.len..];
        if !tag.closing && matches!(tag.name.as_str(), "script" | "style") {
            rest = skip_raw_text(rest, &tag.name);
        }
    }
    push_text(&mut out, rest);
    out
}

/// In HTML, line breaks in the source are only whitespace.
fn push_text(out: &mut String, text: &str) {
    out.extend(
        text.chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c }),
    );
}

fn break_for(tag: &Tag) -> &'static str {
    let name = tag.name.as_str();
    if BLOCK_TAGS.contains(&name) {
        "\n\n"
    } else if LINE_TAGS.contains(&name) && !tag.closing {
        "\n"
    } else {
        ""
    }
}

fn parse_tag(at: &str) -> Option<Tag> {
    if let Some(body) = at.strip_prefix("<!--") {
        // An unterminated comment hides the rest, as a browser would.
        let len = body.find("-->").map_or(at.len(), |end| 4 + end + 3);
        return Some(Tag {
            name: String::new(),
            closing: false,
            len,
        });
    }
    let inner = &at[1..];
    if !inner.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?') {
        return None;
    }
    let end = at.find('>')?;
    let closing = inner.starts_with('/');
    let name = inner
        .trim_start_matches('/')
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    Some(Tag {
        name,
        closing,
        len: end + 1,
    })
}

/// Skips a script or style body up to and including its closing tag.
fn skip_raw_text<'h>(rest: &'h str, name: &str) -> &'h str {
    let lower = rest.to_ascii_lowercase();
    let Some(close) = lower.find(&format!("</{name}")) else {
        return "";
    };
    match rest[close..].find('>') {
        Some(gt) => &rest[close + gt + 1..],
        None => "",
    }
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let at = &rest[amp..];
        match decode_one(at) {
            Some((c, len)) => {
                out.push(c);
                rest = &at[len..];
            }
            None => {
                out.push('&');
                rest = &at[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Decodes the entity at the start of `at` ("&amp;..."), returning it and its length.
fn decode_one(at: &str) -> Option<(char, usize)> {
    let semi = at.bytes().take(12).position(|b| b == b';')?;
    let name = &at[1..semi];
    let c = match name.strip_prefix('#') {
        Some(num) => {
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse::<u32>().ok()?,
            };
            char::from_u32(code).filter(|&c| c != '\0')?
        }
        None => ENTITIES.iter().find(|(n, _)| *n == name)?.1,
    };
    Some((c, semi + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_and_named_entities_are_decoded_and_unknown_ones_kept() {
        assert_eq!(
            visible_text("Tom &amp; Jerry&#8217;s &#x2013; &copy; &bogus; AT&T"),
            "Tom & Jerry’s – © &bogus; AT&T"
        );
    }

    #[test]
    fn escaped_markup_becomes_text_not_tags() {
        assert_eq!(
            visible_text("<p>Use &lt;b&gt; tags</p>"),
            "\n\nUse <b> tags\n\n"
        );
    }

    #[test]
    fn inline_tags_vanish_without_adding_spaces() {
        assert_eq!(visible_text("<span>Navy</span><em>blue</em>"), "Navyblue");
    }

    #[test]
    fn style_bodies_and_unterminated_comments_are_dropped() {
        assert_eq!(
            visible_text("<style>p { color: red }</style>Soft <!-- todo"),
            "Soft "
        );
    }
}
