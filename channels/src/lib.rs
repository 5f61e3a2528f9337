//! rungo-channels: Go's channels, `select!` and timer channels.
