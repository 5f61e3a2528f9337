//! Panic reports that name the coroutine: `coroutine <id> '<name>' panicked at <location>:`.
//!
//! The hook wraps whatever hook was installed when the runtime started: panics outside
//! coroutines go to it unchanged; a panicking coroutine is reported in std's format with the
//! coroutine in place of the thread. The panic itself is caught at the coroutine's root and
//! handed to its `JoinHandle` (see `spawn`): the worker and every other coroutine go on.

use std::io::Write;
use std::sync::Once;

use crate::sched::CURRENT;

pub(crate) fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let Some(task) = CURRENT.get() else {
                return previous(info);
            };
            // SAFETY: CURRENT points to the task running on this thread, alive while it runs.
            let task = unsafe { task.as_ref() };
            let payload = info.payload();
            let msg = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("Box<dyn Any>");
            let name = task.name().unwrap_or("<unnamed>");
            let location = info.location().map(|l| l.to_string()).unwrap_or_default();
            let backtrace = std::backtrace::Backtrace::capture();
            let mut err = std::io::stderr().lock();
            let _ = writeln!(
                err,
                "coroutine {} '{name}' panicked at {location}:\n{msg}",
                task.id
            );
            if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
                let _ = writeln!(err, "stack backtrace:\n{backtrace}");
            } else {
                let _ = writeln!(
                    err,
                    "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace"
                );
            }
        }));
    });
}
