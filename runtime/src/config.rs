//! Runtime configuration: `GOMAXPROCS`, the default stack size, and [`RuntimeBuilder`] for
//! programs that configure the runtime explicitly before first use.

use std::fmt;
use std::io;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::stack;

/// Default stack reservation of a coroutine (Go's goroutines start at 8 KiB and grow by copying;
/// rungo's grow by the page up to this reservation).
pub const DEFAULT_STACK_SIZE: usize = 256 * 1024;

static DEFAULT_STACK: AtomicUsize = AtomicUsize::new(DEFAULT_STACK_SIZE);

/// The stack reservation of coroutines spawned without an explicit size.
pub(crate) fn default_stack_size() -> usize {
    DEFAULT_STACK.load(Ordering::Relaxed)
}

/// What the runtime starts with.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) workers: usize,
    pub(crate) stack_size: usize,
}

impl Config {
    /// The embedded default: `GOMAXPROCS` workers (the environment variable, else the available
    /// parallelism) and 256 KiB stacks.
    pub(crate) fn from_env() -> Config {
        let default = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let workers = match std::env::var("GOMAXPROCS") {
            Err(_) => default,
            Ok(v) => match v.trim().parse::<usize>() {
                Ok(n) if n > 0 => n,
                _ => {
                    eprintln!(
                        "rungo: ignoring GOMAXPROCS={v:?}: it must be a positive integer; \
                         using {default} workers"
                    );
                    default
                }
            },
        };
        Config {
            workers,
            stack_size: DEFAULT_STACK_SIZE,
        }
    }

    pub(crate) fn apply(&self) {
        DEFAULT_STACK.store(self.stack_size, Ordering::Relaxed);
    }
}

/// Configures the runtime explicitly, before its first use.
///
/// Without it the runtime starts itself on first use with `GOMAXPROCS` workers (the environment
/// variable, else one per core) and 256 KiB stacks, as a Go program does.
///
/// Go: the `GOMAXPROCS` environment variable and `runtime.GOMAXPROCS(n)`; Go has no equivalent
/// of the default stack size.
///
/// ```
/// rungo_runtime::RuntimeBuilder::new().gomaxprocs(2).stack_size(128 * 1024).start()?;
/// assert_eq!(rungo_runtime::gomaxprocs(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct RuntimeBuilder {
    config: Config,
    error: Option<String>,
}

impl Default for RuntimeBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl RuntimeBuilder {
    /// Starts from the defaults (which honour `GOMAXPROCS`), as a Go program starts.
    pub fn new() -> Self {
        RuntimeBuilder {
            config: Config::from_env(),
            error: None,
        }
    }

    /// Number of worker threads that run coroutines. Go: `runtime.GOMAXPROCS(n)`.
    pub fn gomaxprocs(mut self, n: usize) -> Self {
        if n == 0 {
            self.error = Some("gomaxprocs must be at least 1".into());
        }
        self.config.workers = n;
        self
    }

    /// Default stack reservation for coroutines (rounded up to whole pages; 16 KiB to 1 GiB).
    /// Go has no counterpart: its stacks start at 8 KiB and grow by copying.
    pub fn stack_size(mut self, bytes: usize) -> Self {
        match stack::validate_size(bytes) {
            Ok(size) => self.config.stack_size = size,
            Err(e) => self.error = Some(e.to_string()),
        }
        self
    }

    /// Starts the runtime with this configuration. Go: the runtime reads its configuration once,
    /// at process start.
    ///
    /// Fails with [`ConfigError::AlreadyStarted`] if the runtime is already running (any `go!`,
    /// `run` or blocking call starts it), and with [`ConfigError::Invalid`] for a bad value.
    pub fn start(self) -> Result<(), ConfigError> {
        if let Some(msg) = self.error {
            return Err(ConfigError::Invalid(msg));
        }
        if crate::scheduler::start(self.config) {
            Ok(())
        } else {
            Err(ConfigError::AlreadyStarted)
        }
    }
}

/// Why [`RuntimeBuilder::start`] refused. Go has no counterpart: it reads `GOMAXPROCS` once,
/// at start, and `runtime.GOMAXPROCS(n)` changes it later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// The runtime was already running: configuration must come before first use.
    AlreadyStarted,
    /// A value was out of range.
    Invalid(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::AlreadyStarted => f.write_str(
                "rungo: the runtime is already running; configure it before the first go!, run \
                 or blocking call",
            ),
            ConfigError::Invalid(msg) => write!(f, "rungo: invalid runtime configuration: {msg}"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl From<ConfigError> for io::Error {
    fn from(e: ConfigError) -> io::Error {
        io::Error::other(e)
    }
}
