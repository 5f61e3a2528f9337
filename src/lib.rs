//! rungo: Go's concurrency model as a Rust crate.
pub use rungo_runtime::*;
pub use rungo_channels as channels;
pub use rungo_sync as sync;
