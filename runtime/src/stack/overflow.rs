//! Stack overflow reports: a fault in a coroutine's guard page names the coroutine and aborts.
//!
//! A SIGSEGV/SIGBUS handler runs on the worker's alternate signal stack (the faulting coroutine
//! stack has no room left). The running coroutine's task (the `CURRENT` thread-local) records its
//! guard page's range; the handler compares the fault address with it. A hit
//! prints `coroutine <id> (<name>) overflowed its <size> KiB stack` and aborts; any other fault
//! goes to the handler installed before ours (std's own stack-overflow reporter, or the default
//! action), so rungo changes nothing for faults that are not coroutine overflows.
//!
//! The handler only reads const-initialised thread-locals and the running task's immutable
//! fields, formats into a buffer on its own stack and calls `write(2)` and `abort`: no locks and
//! no allocation.

use std::cell::UnsafeCell;
use std::fmt::Write as _;
use std::sync::Once;

use crate::sched::CURRENT;

/// The handlers that were installed before ours, for SIGSEGV and SIGBUS.
struct Previous(UnsafeCell<[libc::sigaction; 2]>);
// SAFETY: written once inside `INSTALL.call_once` before our handler is installed for good (the
// kernel stores the previous action as part of installing ours), read-only afterwards.
unsafe impl Sync for Previous {}

static PREVIOUS: Previous = Previous(UnsafeCell::new(
    // SAFETY: sigaction is a plain C struct for which all-zeroes is a valid value (SIG_DFL).
    unsafe { std::mem::zeroed() },
));
static INSTALL: Once = Once::new();
const SIGNALS: [libc::c_int; 2] = [libc::SIGSEGV, libc::SIGBUS];

/// Installs the overflow handler once per process.
pub(crate) fn install() {
    INSTALL.call_once(|| {
        for (i, &sig) in SIGNALS.iter().enumerate() {
            // SAFETY: a zeroed sigaction is valid; we fill in a handler with the SA_SIGINFO
            // signature, an empty mask, and store the previous action in PREVIOUS[i], which
            // nothing reads until a signal arrives.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = handler as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                let previous = (*PREVIOUS.0.get()).as_mut_ptr().add(i);
                libc::sigaction(sig, &action, previous);
            }
        }
    });
}

/// Gives this thread an alternate signal stack if it has none (std gives its threads one, but
/// only when std's own handler is installed).
pub(crate) fn ensure_alt_stack() {
    const SIZE: usize = 64 * 1024;
    // SAFETY: querying and setting this thread's alternate signal stack; the new stack is a fresh
    // private mapping that is never unmapped (worker threads live as long as the process).
    unsafe {
        let mut old: libc::stack_t = std::mem::zeroed();
        libc::sigaltstack(std::ptr::null(), &mut old);
        if old.ss_flags & libc::SS_DISABLE == 0 {
            return;
        }
        let sp = libc::mmap(
            std::ptr::null_mut(),
            SIZE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if sp == libc::MAP_FAILED {
            return;
        }
        let stack = libc::stack_t {
            ss_sp: sp,
            ss_flags: 0,
            ss_size: SIZE,
        };
        libc::sigaltstack(&stack, std::ptr::null_mut());
    }
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for an SA_SIGINFO handler of a fault signal.
    let addr = unsafe { (*info).si_addr() } as usize;
    if let Some(task) = CURRENT.get() {
        // SAFETY: CURRENT points to the task running on this thread, kept alive by its worker;
        // `guard` is only written by this thread, before the coroutine first runs.
        let guard = unsafe { task.as_ref().guard.get() };
        if guard != 0 && (guard..guard + crate::stack::PAGE).contains(&addr) {
            report_overflow();
        }
    }
    chain(sig, info, ctx);
}

/// Writes the overflow message and aborts.
fn report_overflow() -> ! {
    let mut msg = StackBuf {
        buf: [0; 512],
        len: 0,
    };
    if let Some(task) = CURRENT.get() {
        // SAFETY: CURRENT points to the task running on this thread, kept alive by its worker.
        let task = unsafe { task.as_ref() };
        let _ = write!(msg, "coroutine {}", task.id);
        if let Some(name) = &task.name {
            let _ = write!(msg, " ({name})");
        }
        let _ = writeln!(msg, " overflowed its {} KiB stack", task.stack_size / 1024);
    } else {
        let _ = msg.write_str("a coroutine overflowed its stack\n");
    }
    // SAFETY: writing our own buffer to fd 2, then aborting: both async-signal-safe.
    unsafe {
        libc::write(2, msg.buf.as_ptr().cast(), msg.len);
        libc::abort()
    }
}

/// Hands a fault that is not a coroutine overflow to the previous handler.
fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let index = SIGNALS.iter().position(|&s| s == sig).unwrap_or(0);
    // SAFETY: PREVIOUS is read-only once our handler is installed (see `Previous`).
    let previous = unsafe { &(*PREVIOUS.0.get())[index] };
    let action = previous.sa_sigaction;
    if action == libc::SIG_DFL || action == libc::SIG_IGN {
        // Restore the default action and return: the faulting instruction runs again and the
        // kernel applies it (the process dies of the signal, as it would without rungo).
        // SAFETY: resetting the disposition of a fault signal to SIG_DFL.
        unsafe {
            let mut dfl: libc::sigaction = std::mem::zeroed();
            dfl.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(sig, &dfl, std::ptr::null_mut());
        }
    } else if previous.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the previous handler was installed with SA_SIGINFO, so this is its signature.
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { std::mem::transmute(action) };
        f(sig, info, ctx);
    } else {
        // SAFETY: without SA_SIGINFO the previous handler has the one-argument signature.
        let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(action) };
        f(sig);
    }
}

/// A fixed buffer to format into without allocating.
struct StackBuf {
    buf: [u8; 512],
    len: usize,
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}
