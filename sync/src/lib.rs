//! rungo-sync: Go's sync package, errgroup and context.
