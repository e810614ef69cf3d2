//! A writer that appends to a buffer the test reads back. Shared by the tests of the
//! non-blocking writer (`tests/sinks.rs`, `tests/worker_format.rs`,
//! `tests/pooled_records.rs`), each of which includes it with `#[path]`.
// Each binary uses some of the methods.
#![allow(dead_code)]

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

/// Appends what is written to a shared buffer; clones share it.
#[derive(Clone, Default)]
pub struct Shared(pub Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Shared {
    /// Every line written so far, parsed as JSON.
    pub fn lines(&self) -> Vec<serde_json::Value> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The bytes written so far, leaving the buffer empty.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}
