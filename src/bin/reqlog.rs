//! The `reqlog` command (being written).
fn main() {}
