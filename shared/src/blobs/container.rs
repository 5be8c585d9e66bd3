//! Where a blob lives: the closed set of containers, and the names allowed inside them.

use object_store::path::Path as ObjectPath;

use super::BlobError;

/// The containers the app uses. A closed set, so a typo cannot invent a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Container {
    /// Partner feeds: `ingest/{tenant}/…`.
    Ingest,
    /// Ingestion reports: `ingest-reports/{tenant}/…`.
    IngestReports,
    /// Product videos: `videos/{tenant}/…`.
    Videos,
    /// Keyframe thumbnails: `video-frames/{tenant}/…`.
    VideoFrames,
}

impl Container {
    /// Every container, for creating them.
    pub const ALL: [Container; 4] = [
        Container::Ingest,
        Container::IngestReports,
        Container::Videos,
        Container::VideoFrames,
    ];

    /// The container's name in storage.
    pub fn name(self) -> &'static str {
        match self {
            Container::Ingest => "ingest",
            Container::IngestReports => "ingest-reports",
            Container::Videos => "videos",
            Container::VideoFrames => "video-frames",
        }
    }

    /// Its position in [`Container::ALL`].
    pub(super) fn index(self) -> usize {
        match self {
            Container::Ingest => 0,
            Container::IngestReports => 1,
            Container::Videos => 2,
            Container::VideoFrames => 3,
        }
    }
}

/// `name` as a path inside its container, refusing names that could escape it.
pub(super) fn blob_path(name: &str) -> Result<ObjectPath, BlobError> {
    let invalid = |reason: &str| BlobError::InvalidName {
        name: name.to_owned(),
        reason: reason.to_owned(),
    };
    if name.is_empty() || name.len() > 1024 {
        return Err(invalid("a name is 1 to 1024 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid("control characters are not allowed"));
    }
    if name
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(invalid("empty, `.` and `..` segments are not allowed"));
    }
    ObjectPath::parse(name).map_err(|e| invalid(&e.to_string()))
}
