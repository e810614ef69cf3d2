//! The text arena of a record: one `String` holding every text field, reused per thread.
//!
//! Filling a record copies request text into the arena instead of allocating a `String`
//! per field; finished arenas go back to a small per-thread pool, so a warm thread
//! allocates nothing for text.

use std::cell::RefCell;

/// Where a field sits in the arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    end: u32,
}

/// A record's text storage.
#[derive(Clone, Debug, Default)]
pub(crate) struct Arena {
    text: String,
}

/// Arenas kept per thread; more are dropped.
const POOL_CAP: usize = 64;
/// Arenas that grew past this are dropped instead of pooled, so one huge request does
/// not pin memory for the life of the thread.
const KEEP_CAPACITY: usize = 32 * 1024;
const NEW_CAPACITY: usize = 512;
/// The most room a writer's spare record keeps (see [`Arena::clear`]).
const SPARE_CAPACITY: usize = 4 * 1024;

thread_local! {
    static POOL: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

impl Arena {
    /// Takes an empty arena from this thread's pool (allocates only when it is empty).
    pub(crate) fn take() -> Arena {
        let text = POOL
            .try_with(|p| p.borrow_mut().pop())
            .ok()
            .flatten()
            .unwrap_or_else(|| String::with_capacity(NEW_CAPACITY));
        Arena { text }
    }

    /// An empty arena with the room a pooled one starts with (allocates).
    pub(crate) fn with_room() -> Arena {
        Arena {
            text: String::with_capacity(NEW_CAPACITY),
        }
    }

    /// Returns the arena's buffer to this thread's pool.
    pub(crate) fn recycle(&mut self) {
        let mut text = std::mem::take(&mut self.text);
        if text.capacity() == 0 || text.capacity() > KEEP_CAPACITY {
            return;
        }
        text.clear();
        let _ = POOL.try_with(|p| {
            let mut p = p.borrow_mut();
            if p.len() < POOL_CAP {
                p.push(text);
            }
        });
    }

    /// Empties the arena for the next request of a pooled record cell: its room is
    /// kept unless it grew past [`KEEP_CAPACITY`] (then, or when it has none, it takes
    /// one from this thread's pool, as [`Arena::take`]). Allocates only when the pool
    /// is empty.
    pub(crate) fn reuse(&mut self) {
        if self.text.capacity() == 0 || self.text.capacity() > KEEP_CAPACITY {
            *self = Arena::take();
        } else {
            self.text.clear();
        }
    }

    /// Empties the arena for another record (a writer's spare), keeping its room
    /// unless it grew past [`SPARE_CAPACITY`]: then it starts afresh with the usual
    /// room, so that thousands of spares do not pin the room of rare long requests.
    /// (Allocates then: called on the writer's thread.)
    pub(crate) fn clear(&mut self) {
        if self.text.capacity() > SPARE_CAPACITY {
            self.text = String::with_capacity(NEW_CAPACITY);
        } else {
            self.text.clear();
        }
    }

    /// Makes this arena a copy of `other`, reusing its room.
    pub(crate) fn copy_from(&mut self, other: &Arena) {
        self.text.clear();
        self.text.push_str(&other.text);
    }

    /// Bytes of text held.
    pub(crate) fn len(&self) -> usize {
        self.text.len()
    }

    /// The current end, to start a span that is written piece by piece.
    pub(crate) fn mark(&self) -> usize {
        self.text.len()
    }

    /// The span from `start` (a [`Arena::mark`]) to the current end.
    pub(crate) fn span_from(&self, start: usize) -> Span {
        Span {
            start: start as u32,
            end: self.text.len() as u32,
        }
    }

    /// Direct access for writers that build a field in place.
    pub(crate) fn buf(&mut self) -> &mut String {
        &mut self.text
    }

    pub(crate) fn get(&self, span: Span) -> &str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }
}
