//! Which format a file is: what its name and content type say, else what its first bytes look
//! like; and for delimited text, which delimiter.

use super::{Format, SourceError, SourceHint};

/// What the hint names, before the content is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hinted {
    /// `.csv`, `.txt`, `text/csv`: delimiter still to be sniffed.
    Delimited,
    /// `.tsv`, `text/tab-separated-values`.
    Tsv,
    Json,
    Ndjson,
    Xlsx,
}

/// The format the file name (under any `.gz`) or, failing that, the content type names.
pub(super) fn format_from_hint(hint: &SourceHint) -> Option<Hinted> {
    let name = hint.file_name.to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    let by_extension = match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("csv" | "txt") => Some(Hinted::Delimited),
        Some("tsv" | "tab") => Some(Hinted::Tsv),
        Some("json") => Some(Hinted::Json),
        Some("ndjson" | "jsonl") => Some(Hinted::Ndjson),
        Some("xlsx" | "xlsm") => Some(Hinted::Xlsx),
        _ => None,
    };
    by_extension.or_else(|| {
        let content_type = hint.content_type?.to_ascii_lowercase();
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        match essence {
            "text/csv" | "text/plain" => Some(Hinted::Delimited),
            "text/tab-separated-values" => Some(Hinted::Tsv),
            "application/json" | "text/json" => Some(Hinted::Json),
            "application/x-ndjson" | "application/jsonl" | "application/x-jsonlines" => {
                Some(Hinted::Ndjson)
            }
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => {
                Some(Hinted::Xlsx)
            }
            _ => None,
        }
    })
}

/// A ZIP archive's local file header: an XLSX workbook, whatever its name says.
pub(super) fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04")
}

/// Refuses decoded text that is plainly not text (an image, a PDF, an archive) or is markup
/// (XML, HTML), which no feed kind is read from.
pub(super) fn refuse_binary(head: &[u8]) -> Result<(), SourceError> {
    if head.trim_ascii_start().starts_with(b"<") {
        return Err(SourceError::File(
            "the file looks like XML or HTML, which cannot be ingested: upload CSV, TSV, JSON, \
             NDJSON or an Excel workbook (.xlsx)"
                .into(),
        ));
    }
    let sample = &head[..head.len().min(4096)];
    let control = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
        .count();
    if control * 100 > sample.len() {
        return Err(SourceError::File(
            "the file is not text (is it an image, a PDF or an archive?): upload CSV, TSV, JSON, \
             NDJSON or an Excel workbook (.xlsx)"
                .into(),
        ));
    }
    Ok(())
}

/// The text format: the hint's, else JSON when the text opens with `[` or `{`, else CSV.
pub(super) fn choose_format(hinted: Option<Hinted>, head: &[u8]) -> Format {
    let first = head.iter().find(|b| !b.is_ascii_whitespace()).copied();
    match hinted {
        Some(Hinted::Tsv) => Format::Csv { delimiter: b'\t' },
        Some(Hinted::Json) => Format::Json,
        Some(Hinted::Ndjson) => Format::Ndjson,
        Some(Hinted::Delimited) => Format::Csv {
            delimiter: sniff_delimiter(head),
        },
        None | Some(Hinted::Xlsx) => match first {
            Some(b'[') => Format::Json,
            Some(b'{') if first_line_is_object(head) => Format::Ndjson,
            Some(b'{') => Format::Json,
            _ => Format::Csv {
                delimiter: sniff_delimiter(head),
            },
        },
    }
}

fn first_line_is_object(head: &[u8]) -> bool {
    let text = head.trim_ascii_start();
    let line = text.split(|&b| b == b'\n').next().unwrap_or_default();
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line).is_ok()
}

const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
const SNIFF_LINES: usize = 20;

/// The candidate that splits the header into most fields and the following records into as
/// many; quotes are respected, so a comma inside `"…"` does not count. `,` when none splits.
pub(super) fn sniff_delimiter(head: &[u8]) -> u8 {
    let counts = count_per_record(head);
    let Some((header, rest)) = counts.split_first() else {
        return b',';
    };
    let mut best = (0usize, 0usize, b',');
    for (i, &delimiter) in CANDIDATES.iter().enumerate() {
        if header[i] == 0 {
            continue;
        }
        let agreeing = rest.iter().filter(|c| c[i] == header[i]).count();
        let score = (agreeing, header[i]);
        if score > (best.0, best.1) {
            best = (agreeing, header[i], delimiter);
        }
    }
    best.2
}

/// Per record (quote-aware, up to [`SNIFF_LINES`]), how often each candidate occurs outside
/// quotes. A record cut off by the end of the prefix is left out, unless it is the only one.
fn count_per_record(head: &[u8]) -> Vec<[usize; 4]> {
    let mut records = Vec::new();
    let mut current = [0usize; 4];
    let (mut quoted, mut content) = (false, false);
    for &byte in head {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => {
                if content {
                    records.push(current);
                    if records.len() == SNIFF_LINES {
                        return records;
                    }
                }
                (current, content) = ([0; 4], false);
                continue;
            }
            _ if !quoted => {
                if let Some(i) = CANDIDATES.iter().position(|&c| c == byte) {
                    current[i] += 1;
                }
            }
            _ => {}
        }
        content = true;
    }
    if content && records.is_empty() {
        records.push(current);
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(file_name: &str, content_type: Option<&'static str>) -> Option<Hinted> {
        format_from_hint(&SourceHint {
            file_name,
            content_type,
            ..SourceHint::default()
        })
    }

    #[test]
    fn the_extension_under_gz_names_the_format() {
        assert_eq!(hint("a/b.CSV.gz", None), Some(Hinted::Delimited));
        assert_eq!(hint("b.tsv", None), Some(Hinted::Tsv));
        assert_eq!(hint("b.jsonl.gz", None), Some(Hinted::Ndjson));
        assert_eq!(hint("b.json", None), Some(Hinted::Json));
        assert_eq!(hint("b.xlsx", None), Some(Hinted::Xlsx));
    }

    #[test]
    fn the_content_type_names_the_format_when_the_name_does_not() {
        let ndjson = Some("application/x-ndjson; charset=utf-8");
        assert_eq!(hint("feed", ndjson), Some(Hinted::Ndjson));
        assert_eq!(hint("feed.bin", Some("text/csv")), Some(Hinted::Delimited));
        assert_eq!(hint("feed", Some("application/octet-stream")), None);
    }

    #[test]
    fn the_delimiter_is_the_one_every_line_agrees_on() {
        assert_eq!(sniff_delimiter(b"a;b;c\n1;2,5;3\n4;5;6\n"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\n1\t2\n"), b'\t');
        assert_eq!(sniff_delimiter(b"a|b|c\n1|2|3"), b'|');
        assert_eq!(sniff_delimiter(b"a,b\n1,2\n"), b',');
        assert_eq!(sniff_delimiter(b"sku\n1\n"), b',');
    }

    #[test]
    fn delimiters_inside_quotes_do_not_count() {
        let text = b"name;price\n\"a, b, c\";1\n\"x,\ny\";2\n";
        assert_eq!(sniff_delimiter(text), b';');
    }

    #[test]
    fn content_decides_when_the_hint_does_not() {
        assert_eq!(choose_format(None, b" [{\"a\":1}]"), Format::Json);
        assert_eq!(
            choose_format(None, b"{\"a\":1}\n{\"a\":2}\n"),
            Format::Ndjson
        );
        assert_eq!(choose_format(None, b"{\n \"a\": 1\n}\n"), Format::Json);
        assert_eq!(
            choose_format(None, b"a;b\n1;2\n"),
            Format::Csv { delimiter: b';' }
        );
    }

    #[test]
    fn binary_junk_is_refused() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend((0..2000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
        assert!(refuse_binary(&png).is_err());
        assert!(refuse_binary(b"a,b\r\n1,2\n").is_ok());
    }
}
