//! Video analysis (issue 8): what a product video's container says about it, and whether
//! each sales channel would take it.
//!
//! - [`analyze`]: one uploaded video, start to end: claim, read, measure, decode, judge,
//!   review, store.
//! - [`facts`]: the facts read from an MP4/MOV container, the one shape every later step
//!   (channel fitness, keyframes, the AI review, insights) reads.
//! - [`container`]: reads those facts from byte ranges of an MP4/MOV (file or blob).
//! - [`audio`]: whether the audio track would be heard (AAC decoded, RMS and peak measured).
//! - [`frames`]: decodes a handful of H.264 keyframes into JPEG thumbnails with their
//!   brightness, sharpness and scene changes, fetching only those frames' bytes.
//! - [`channels`]: whether Shopify, Instagram Reels, TikTok and YouTube Shorts would take a
//!   video, from a rule table kept as data with its sources.
//! - [`findings`]: the technical and rule-based insights, from facts and measurements.
//! - [`insights`]: what an analysis found, in the shape the store keeps and apps read.
//! - [`review`]: the AI review of keyframes and facts through the enrichment provider.

pub mod analyze;
pub mod audio;
pub mod channels;
pub mod container;
pub mod facts;
pub mod findings;
pub mod frames;
pub mod insights;
pub mod review;

#[cfg(test)]
mod fixture_tests;
