//! A check on the `moov` bytes before `mp4-atom` decodes them: every sample group description
//! box (`sgpd`) must have room for the entries it claims.
//!
//! `mp4-atom` 0.17 reads a version-0 `sgpd` of a grouping type it does not know by giving its
//! first entry all the bytes left and every further entry none, once per claimed entry: a
//! 1 KiB file claiming 4 billion entries grew past 2 GiB (found by the `mp4` fuzz target). No
//! real entry is empty, so a count above the bytes left is corrupt.
//!
//! A `sgpd` may sit in any container `mp4-atom` decodes box by box, so every place in the
//! `moov` where the four bytes `sgpd` follow a size that fits is checked; a stray match that
//! is not a box would only be refused if its "count" also exceeded its "size".

use super::VideoError;

/// The box type checked.
const SGPD: &[u8; 4] = b"sgpd";

/// Refuses a `moov` (the whole box, header included) with an `sgpd` that claims more entries
/// than it has bytes for.
pub(super) fn check_sample_groups(moov: &[u8]) -> Result<(), VideoError> {
    let mut from = 0;
    while let Some(found) = find(moov, from) {
        from = found + 1;
        // The four bytes before the type are the box size.
        let Some(start) = found.checked_sub(4) else {
            continue;
        };
        let Some(size) = be_u32(moov, start) else {
            continue;
        };
        let Some(body) = usize::try_from(size)
            .ok()
            .and_then(|size| moov.get(found + 4..start.checked_add(size)?))
        else {
            continue;
        };
        if let Some((count, room)) = entries(body)
            && u64::from(count) > room as u64
        {
            return Err(VideoError::Corrupt(format!(
                "a sample group box at byte {start} of the moov claims {count} entries in \
                 {room} bytes"
            )));
        }
    }
    Ok(())
}

/// An `sgpd` body's entry count and the bytes left after it, if the body is long enough.
fn entries(body: &[u8]) -> Option<(u32, usize)> {
    let version = *body.first()?;
    // version and flags (4), grouping type (4), then default length from version 1 and
    // default description index from version 2, then the count.
    let at = 8 + if version >= 1 { 4 } else { 0 } + if version >= 2 { 4 } else { 0 };
    let count = be_u32(body, at)?;
    Some((count, body.len().saturating_sub(at + 4)))
}

fn find(haystack: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(SGPD.len())
        .position(|w| w == SGPD)
        .map(|at| at + from)
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `moov` holding one `sgpd` of `version` with `count` entries and `entry_bytes` after it.
    fn moov_with_sgpd(version: u8, count: u32, entry_bytes: &[u8]) -> Vec<u8> {
        let mut body = vec![version, 0, 0, 0];
        body.extend(b"zzzz");
        if version >= 1 {
            body.extend(1u32.to_be_bytes());
        }
        if version >= 2 {
            body.extend(0u32.to_be_bytes());
        }
        body.extend(count.to_be_bytes());
        body.extend(entry_bytes);
        let sgpd = [&(8 + body.len() as u32).to_be_bytes()[..], SGPD, &body].concat();
        [&(8 + sgpd.len() as u32).to_be_bytes()[..], b"moov", &sgpd].concat()
    }

    #[test]
    fn an_sgpd_claiming_more_entries_than_bytes_is_corrupt() {
        let moov = moov_with_sgpd(0, u32::MAX, &[1, 2, 3, 4]);
        let error = check_sample_groups(&moov).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the video is corrupt: a sample group box at byte 8 of the moov claims 4294967295 \
             entries in 4 bytes"
        );
        let moov = moov_with_sgpd(2, 3, &[1, 2]);
        assert_eq!(
            check_sample_groups(&moov).unwrap_err().to_string(),
            "the video is corrupt: a sample group box at byte 8 of the moov claims 3 entries in \
             2 bytes"
        );
    }

    #[test]
    fn an_sgpd_with_room_for_its_entries_and_stray_sgpd_bytes_pass() {
        check_sample_groups(&moov_with_sgpd(1, 2, &[7, 7])).unwrap();
        check_sample_groups(&moov_with_sgpd(0, 0, &[])).unwrap();
        // `sgpd` at the very start, or after a size that runs past the end, is not a box.
        check_sample_groups(b"sgpd\xff\xff\xff\xff").unwrap();
        check_sample_groups(b"\x00\x00\x10\x00sgpd\x00\x00\x00\x00zzzz\xff\xff\xff\xff").unwrap();
    }
}
