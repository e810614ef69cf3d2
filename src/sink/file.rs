//! Rotating file sink (being written).

/// A file sink that rotates (being written).
#[derive(Debug)]
pub struct RotatingFile;
