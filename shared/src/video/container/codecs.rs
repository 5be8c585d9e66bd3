//! Codec strings and names from the sample entries' configuration boxes (avcC, hvcC, av1C,
//! vpcC, esds).

use mp4_atom::{Av1c, Avcc, Codec, Encode, Hvcc};

/// A video sample entry's four characters, codec string and profile name.
pub(super) fn video_codec(codec: &Codec) -> (String, Option<String>, Option<String>) {
    match codec {
        Codec::Avc1(c) => avc("avc1", &c.avcc),
        Codec::Avc3(c) => avc("avc3", &c.avcc),
        Codec::Hvc1(c) => hevc("hvc1", &c.hvcc),
        Codec::Hev1(c) => hevc("hev1", &c.hvcc),
        Codec::Av01(c) => av1(&c.av1c),
        Codec::Vp09(c) => (
            "vp09".to_owned(),
            Some(format!(
                "vp09.{:02}.{:02}.{:02}",
                c.vpcc.profile, c.vpcc.level, c.vpcc.bit_depth
            )),
            Some(format!("Profile {}", c.vpcc.profile)),
        ),
        Codec::Vp08(_) => ("vp08".to_owned(), Some("vp8".to_owned()), None),
        Codec::Jpeg(_) => ("jpeg".to_owned(), None, None),
        Codec::Unknown(kind, _) => (kind.to_string(), None, None),
        other => (fourcc(other), None, None),
    }
}

/// The sample entry's four characters, for codecs without a field of their own here: the
/// entry re-encoded, its box type read back.
pub(super) fn fourcc(codec: &Codec) -> String {
    let mut buf = Vec::new();
    match codec.encode(&mut buf) {
        Ok(()) => buf
            .get(4..8)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// `avc1.PPCCLL` (RFC 6381) and the profile's name.
pub(super) fn avc(fourcc: &str, avcc: &Avcc) -> (String, Option<String>, Option<String>) {
    let p = avcc.avc_profile_indication;
    let compat = avcc.profile_compatibility;
    let name = match p {
        66 if compat & 0x40 != 0 => Some("Constrained Baseline"),
        66 => Some("Baseline"),
        77 => Some("Main"),
        88 => Some("Extended"),
        100 => Some("High"),
        110 => Some("High 10"),
        122 => Some("High 4:2:2"),
        244 => Some("High 4:4:4 Predictive"),
        _ => None,
    };
    (
        fourcc.to_owned(),
        Some(format!(
            "{fourcc}.{p:02x}{compat:02x}{:02x}",
            avcc.avc_level_indication
        )),
        name.map(str::to_owned),
    )
}

/// `hvc1.1.6.L93.90` per ISO/IEC 14496-15 Annex E and the profile's name.
pub(super) fn hevc(fourcc: &str, hvcc: &Hvcc) -> (String, Option<String>, Option<String>) {
    let space = match hvcc.general_profile_space {
        1 => "A",
        2 => "B",
        3 => "C",
        _ => "",
    };
    let flags = u32::from_be_bytes(hvcc.general_profile_compatibility_flags).reverse_bits();
    let tier = if hvcc.general_tier_flag { 'H' } else { 'L' };
    let mut constraints: Vec<u8> = hvcc.general_constraint_indicator_flags.to_vec();
    while constraints.last() == Some(&0) {
        constraints.pop();
    }
    let mut s = format!(
        "{fourcc}.{space}{}.{flags:X}.{tier}{}",
        hvcc.general_profile_idc, hvcc.general_level_idc
    );
    for c in constraints {
        s.push_str(&format!(".{c:X}"));
    }
    let name = match hvcc.general_profile_idc {
        1 => Some("Main"),
        2 => Some("Main 10"),
        3 => Some("Main Still Picture"),
        4 => Some("Rext"),
        _ => None,
    };
    (fourcc.to_owned(), Some(s), name.map(str::to_owned))
}

/// `av01.P.LLT.DD` (AV1 codec ISO media file format binding, "Codecs Parameter String").
pub(super) fn av1(av1c: &Av1c) -> (String, Option<String>, Option<String>) {
    let depth = match (av1c.high_bitdepth, av1c.twelve_bit) {
        (true, true) => 12,
        (true, false) => 10,
        _ => 8,
    };
    let tier = if av1c.seq_tier_0 { 'H' } else { 'M' };
    let name = match av1c.seq_profile {
        0 => Some("Main"),
        1 => Some("High"),
        2 => Some("Professional"),
        _ => None,
    };
    (
        "av01".to_owned(),
        Some(format!(
            "av01.{}.{:02}{tier}.{depth:02}",
            av1c.seq_profile, av1c.seq_level_idx_0
        )),
        name.map(str::to_owned),
    )
}

/// AAC sampling frequency index → Hz (ISO/IEC 14496-3 table 1.18).
const AAC_RATES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/// Sample rate and channels from an AudioSpecificConfig's raw bytes (after the object type).
pub(super) fn aac_rate_and_channels(
    freq_index: u8,
    chan_conf: u8,
    raw: &[u8],
) -> (Option<u32>, Option<u8>) {
    let rate = match freq_index {
        15 => {
            // 5 bits object type, 4 bits index, then 24 bits of explicit rate.
            let bits = raw
                .iter()
                .take(5)
                .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
            (raw.len() >= 5).then_some(((bits >> (40 - 9 - 24)) & 0x00FF_FFFF) as u32)
        }
        i => AAC_RATES.get(usize::from(i)).copied(),
    };
    let channels = match chan_conf {
        1..=6 => Some(chan_conf),
        7 => Some(8),
        _ => None,
    };
    (rate, channels)
}
