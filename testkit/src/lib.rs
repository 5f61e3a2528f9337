//! Test helpers shared by the rungo workspace's crates (a dev-dependency only; never
//! published).
//!
//! Written once here instead of once per crate's `tests/common/mod.rs`:
//!
//! - [`child`]: run a test's body in a child process, the test binary re-run on that one test,
//!   with a time limit. A scenario that hangs (a lost wake-up, a deadlock) then fails its test
//!   instead of stalling the whole suite, and a scenario that changes process-wide state
//!   (`GOMAXPROCS`, the runtime's configuration) or may abort gets a process of its own.
//! - [`Rng`]: a tiny seeded xorshift generator for random interleavings.
//! - [`compute_for`] and [`thread_name`]: a coroutine holding its worker, and where it runs.
//!
//! It depends on nothing but std, so every rungo crate can use it without a dependency cycle.

pub mod child;
mod rng;
mod thread;

pub use rng::Rng;
pub use thread::{compute_for, thread_name};
