//! Bytes to text: gzip by its magic bytes, capped; then the text encoding, sniffed, and a
//! streaming decoder to UTF-8.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use encoding_rs::{CoderResult, Decoder, Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use flate2::bufread::MultiGzDecoder;

use super::{Limits, Probe, SourceError, Text, file_problem, peek};

const BUFFER: usize = 64 * 1024;

/// Undoes gzip when the bytes start with its magic; says whether they did.
pub(super) fn decompress(
    reader: Box<dyn Read + Send>,
    probe: &Probe,
    limits: &Limits,
) -> Result<(Text, bool), SourceError> {
    let upstream = Upstream {
        inner: reader,
        failed: Arc::clone(&probe.upstream_failed),
    };
    let (bytes, head) =
        peek(BufReader::with_capacity(BUFFER, upstream), 2).map_err(|e| probe.classify(e))?;
    if head != [0x1f, 0x8b] {
        return Ok((bytes, false));
    }
    let capped = Capped {
        inner: MultiGzDecoder::new(bytes),
        remaining: limits.max_decompressed_bytes,
        cap: limits.max_decompressed_bytes,
    };
    Ok((Box::new(BufReader::with_capacity(BUFFER, capped)), true))
}

/// Marks the caller's reader failing, so its errors are retried rather than blamed on the file.
struct Upstream {
    inner: Box<dyn Read + Send>,
    failed: Arc<AtomicBool>,
}

impl Read for Upstream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if e.kind() != io::ErrorKind::Interrupted {
                self.failed.store(true, Ordering::Relaxed);
            }
        })
    }
}

/// Stops a decompressed stream at a size cap.
struct Capped<R> {
    inner: R,
    remaining: u64,
    cap: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.remaining {
            return Err(file_problem(format!(
                "the gzipped file expands beyond {} when decompressed, more than a feed may be",
                human_size(self.cap)
            )));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// `16 GiB`, `64 MiB`, `512 bytes`.
pub(super) fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// Chooses the encoding from `head` and the profile's label, and decodes to UTF-8.
pub(super) fn decode_text(
    bytes: Text,
    head: &[u8],
    label: Option<&str>,
    probe: &Probe,
) -> Result<(Text, &'static Encoding), SourceError> {
    let (encoding, bom) = match Encoding::for_bom(head) {
        Some((encoding, bom)) => (encoding, bom > 0),
        None => (sniff_encoding(head, label)?, false),
    };
    let decoder = if bom {
        encoding.new_decoder_with_bom_removal()
    } else {
        encoding.new_decoder_without_bom_handling()
    };
    let decoded = Decoded {
        inner: bytes,
        decoder,
        out: vec![0; BUFFER],
        pos: 0,
        len: 0,
        done: false,
        malformed: Arc::clone(&probe.malformed),
    };
    Ok((Box::new(decoded), encoding))
}

fn sniff_encoding(head: &[u8], label: Option<&str>) -> Result<&'static Encoding, SourceError> {
    if let Some(encoding) = utf16_by_nuls(head) {
        return Ok(encoding);
    }
    let utf8 = match std::str::from_utf8(head) {
        Ok(_) => true,
        // Cut in the middle of a character where the prefix (not the file) ends: still UTF-8.
        Err(e) => e.error_len().is_none() && head.len() >= super::SNIFF_BYTES,
    };
    let Some(label) = label else {
        return Ok(if utf8 { UTF_8 } else { WINDOWS_1252 });
    };
    let named = Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
        SourceError::File(format!(
            "the mapping profile names the encoding `{label}`, which is not one we know \
             (try `utf-8`, `windows-1252` or `utf-16le`)"
        ))
    })?;
    // A profile's UTF-8 is usually a default, not a promise: bytes that cannot be UTF-8 are
    // what Excel on Windows writes.
    Ok(if named == UTF_8 && !utf8 {
        WINDOWS_1252
    } else {
        named
    })
}

/// UTF-16 without a BOM, as Excel's "Unicode text" can be: mostly-ASCII text has a NUL in
/// every other byte, on the odd side for little-endian and the even side for big-endian.
fn utf16_by_nuls(head: &[u8]) -> Option<&'static Encoding> {
    let sample = &head[..head.len().min(4096) & !1];
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let (mut even, mut odd) = (0, 0);
    for pair in sample.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    let mostly = |n: usize| n * 10 >= pairs * 7;
    let rarely = |n: usize| n * 10 <= pairs;
    if mostly(odd) && rarely(even) {
        Some(UTF_16LE)
    } else if mostly(even) && rarely(odd) {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Streams `inner` through an `encoding_rs` decoder into UTF-8, replacing malformed sequences
/// with U+FFFD and noting that it did.
struct Decoded {
    inner: Text,
    decoder: Decoder,
    out: Vec<u8>,
    pos: usize,
    len: usize,
    done: bool,
    malformed: Arc<AtomicBool>,
}

impl Read for Decoded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Decoded {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.len && !self.done {
            let input = self.inner.fill_buf()?;
            let last = input.is_empty();
            let (result, read, written, replaced) =
                self.decoder.decode_to_utf8(input, &mut self.out, last);
            self.inner.consume(read);
            if replaced {
                self.malformed.store(true, Ordering::Relaxed);
            }
            (self.pos, self.len) = (0, written);
            self.done = last && result == CoderResult::InputEmpty;
        }
        Ok(&self.out[self.pos..self.len])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.len);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::SNIFF_BYTES;
    use super::*;

    #[test]
    fn utf16_without_a_bom_is_recognised_by_its_nuls() {
        let le: Vec<u8> = "sku,name\n1,a\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let be: Vec<u8> = "sku,name\n1,a\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(utf16_by_nuls(&le), Some(UTF_16LE));
        assert_eq!(utf16_by_nuls(&be), Some(UTF_16BE));
        assert_eq!(utf16_by_nuls(b"sku,name\n1,a\n"), None);
    }

    #[test]
    fn invalid_utf8_in_the_prefix_means_windows_1252() {
        assert_eq!(sniff_encoding(b"caf\xe9", None).unwrap(), WINDOWS_1252);
        assert_eq!(sniff_encoding("café".as_bytes(), None).unwrap(), UTF_8);
        let mut cut = vec![b'a'; SNIFF_BYTES - 1];
        cut.push(0xc3);
        assert_eq!(sniff_encoding(&cut, None).unwrap(), UTF_8);
        assert_eq!(sniff_encoding(b"caf\xc3", None).unwrap(), WINDOWS_1252);
        assert_eq!(
            sniff_encoding(b"caf\xe9", Some("utf-8")).unwrap(),
            WINDOWS_1252
        );
        assert_eq!(
            sniff_encoding(b"caf", Some("latin1")).unwrap(),
            WINDOWS_1252
        );
    }

    #[test]
    fn an_unknown_profile_encoding_is_a_file_error() {
        assert!(matches!(
            sniff_encoding(b"a", Some("klingon")),
            Err(SourceError::File(_))
        ));
    }

    #[test]
    fn sizes_are_worded_in_the_largest_whole_unit() {
        assert_eq!(human_size(16 << 30), "16 GiB");
        assert_eq!(human_size(64 << 20), "64 MiB");
        assert_eq!(human_size(1000), "1000 bytes");
    }
}
