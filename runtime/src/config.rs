//! Runtime configuration: `GOMAXPROCS`, the default stack size, the blocking pool's cap, and
//! [`RuntimeBuilder`] for programs that configure the runtime explicitly before first use.

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::stack;

/// Default stack reservation of a coroutine (Go's goroutines start at 8 KiB and grow by copying;
/// rungo's grow by the page up to this reservation).
pub const DEFAULT_STACK_SIZE: usize = 256 * 1024;

static DEFAULT_STACK: AtomicUsize = AtomicUsize::new(DEFAULT_STACK_SIZE);

/// Default cap on the threads of the blocking pool (tokio's default; Go's cap on OS threads,
/// `debug.SetMaxThreads`, defaults to 10,000).
pub(crate) const DEFAULT_MAX_BLOCKING_THREADS: usize = 512;

static MAX_BLOCKING: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_BLOCKING_THREADS);

/// The cap on the blocking pool's threads (see `blocking`). Set when the runtime starts, which
/// happens before any coroutine (hence any pooled blocking call) exists.
pub(crate) fn max_blocking_threads() -> usize {
    MAX_BLOCKING.load(Ordering::Relaxed)
}

/// The stack reservation of coroutines spawned without an explicit size.
pub(crate) fn default_stack_size() -> usize {
    DEFAULT_STACK.load(Ordering::Relaxed)
}

/// What the runtime starts with.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) workers: usize,
    pub(crate) stack_size: usize,
    pub(crate) max_blocking_threads: usize,
}

impl Config {
    /// The embedded default: `GOMAXPROCS` workers (the environment variable, else the CPUs the
    /// process can use: see `cpus`), 256 KiB stacks, and `RUNGO_MAX_BLOCKING_THREADS` (else 512) blocking
    /// threads at most.
    pub(crate) fn from_env() -> Config {
        let default = crate::cpus::usable();
        Config {
            workers: positive_from_env("GOMAXPROCS", default, "workers"),
            stack_size: DEFAULT_STACK_SIZE,
            max_blocking_threads: positive_from_env(
                "RUNGO_MAX_BLOCKING_THREADS",
                DEFAULT_MAX_BLOCKING_THREADS,
                "blocking threads at most",
            ),
        }
    }

    pub(crate) fn apply(&self) {
        DEFAULT_STACK.store(self.stack_size, Ordering::Relaxed);
        MAX_BLOCKING.store(self.max_blocking_threads, Ordering::Relaxed);
    }
}

/// The positive integer in the environment variable `name`, else `default` (with a warning if
/// the variable is set to anything else).
fn positive_from_env(name: &str, default: usize, what: &str) -> usize {
    match std::env::var(name) {
        Err(_) => default,
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!(
                    "rungo: ignoring {name}={v:?}: it must be a positive integer; \
                     using {default} {what}"
                );
                default
            }
        },
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

    /// The most threads the blocking pool may run at once (default 512, or the environment
    /// variable `RUNGO_MAX_BLOCKING_THREADS`): [`blocking`](crate::blocking) calls beyond it wait
    /// in a queue for a thread to come free.
    ///
    /// Go: the runtime creates OS threads for blocked syscalls as needed, up to
    /// `debug.SetMaxThreads` (10,000; past it Go crashes rather than queue). tokio:
    /// `Builder::max_blocking_threads`.
    ///
    /// ```no_run
    /// rungo_runtime::RuntimeBuilder::new().max_blocking_threads(64).start()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_blocking_threads(mut self, n: usize) -> Self {
        if n == 0 {
            self.error = Some("max_blocking_threads must be at least 1".into());
        }
        self.config.max_blocking_threads = n;
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
        if crate::sched::start(self.config) {
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
