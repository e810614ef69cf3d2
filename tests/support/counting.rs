//! A counting allocator: heap allocations (and reallocations) made on the current
//! thread. Shared by the allocation tests and `benches/stacks.rs`; each binary declares
//! its own `#[global_allocator] static GLOBAL: Counting = Counting;`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts allocations per thread, then hands them to the system allocator.
pub struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        System.realloc(ptr, layout, new)
    }
}

/// Allocations made on this thread so far.
pub fn allocs() -> u64 {
    ALLOCS.with(|c| c.get())
}

/// Runs `req` through `svc` to the last body byte, on this thread, and returns the
/// allocations made while doing so (the request is built before counting, the body is
/// dropped inside the count: the line may be written at the drop). The tests drive
/// their services with it; `benches/stacks.rs` has its own runtime loop.
#[allow(dead_code)]
pub fn request_allocs<S, Req, B>(svc: &mut S, req: Req) -> u64
where
    S: tower::Service<Req, Response = http::Response<B>, Error = std::convert::Infallible>,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    use futures_util::FutureExt;
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let before = allocs();
    let ready = svc.ready().now_or_never().unwrap().unwrap();
    let resp = ready.call(req).now_or_never().unwrap().unwrap();
    {
        let mut body = std::pin::pin!(resp.into_body());
        while let Some(frame) = body.frame().now_or_never().unwrap() {
            drop(frame.unwrap());
        }
    }
    allocs() - before
}
