//! Coroutine stacks: lazy, grown by the page, always guarded, pooled and trimmed.
//!
//! # Layout
//!
//! A stack is a *slot* carved from a large anonymous `MAP_NORESERVE` region (a *chunk*):
//!
//! ```text
//!   slot start                                                      slot end = base
//!   | guard page | usable stack (size bytes, grows down from base) ...............|
//!   ^ limit()                                                        ^ base()
//! ```
//!
//! Nothing is committed when a chunk is mapped: the kernel backs a page with memory only when a
//! coroutine first touches it, so a coroutine that uses 3 KiB of stack costs one page however
//! large its reservation is (256 KiB by default). `MADV_NOHUGEPAGE` keeps the kernel from backing
//! a stack top with a 2 MiB huge page.
//!
//! # Guards
//!
//! Every slot has a guard page below its usable memory, so recursion past the reservation faults
//! instead of scribbling over the neighbouring slot (Rust probes every page of a large frame, so
//! the fault always lands in the guard page). Two ways to make one:
//!
//! * `madvise(MADV_GUARD_INSTALL)` (Linux 6.13+): the guard is a marker in the page table. It adds
//!   no kernel mapping (VMA), so a chunk of a thousand slots stays one mapping, and it survives
//!   `MADV_DONTNEED`. Probed once, on the first slot carved: if the probe fails with any error
//!   (`EINVAL` on kernels that do not know the advice, but also `EPERM` from a seccomp filter or
//!   anything else), stacks fall back to `mprotect` guards for the rest of the process.
//! * `mprotect(PROT_NONE)` otherwise: each guard splits the chunk's mapping, costing two VMAs per
//!   slot. `vm.max_map_count` (65530 by default) then bounds the number of slots, so a *budget* of
//!   slots is computed from it and every spawn reserves one unit of it (see [`reserve`]); when it
//!   runs out the spawn fails with an error that names the sysctl. No stack is ever handed out
//!   without a guard.
//!
//! A worker's cache takes default-size stacks 16 at a time. When they are carved fresh, their
//! markers go in one `process_madvise(2)` call where the kernel allows it (Linux 6.15+, whose
//! `PIDFD_SELF_THREAD` names this process and no other, even after `fork`): 2.5 µs a fresh slot
//! with its first page fault, against 3.4 µs with a `madvise` each (`cargo bench --bench runtime
//! -- kernel_floor`). Elsewhere each guard is its own `madvise`. The top pages are left to fault
//! in when first touched: faulting them in ahead with `MADV_POPULATE_WRITE` saved nothing alone,
//! and with two workers it held the mapping lock that malloc's heap growth (`mprotect`) waits
//! for, which made `million parked` twice as slow (6.4 s against 3.2 s).
//!
//! # The mapping budget (`mprotect` guards only)
//!
//! What costs mappings is every *carved* slot, in use or pooled, of every size, so that is what
//! the budget bounds; a unit reserved at spawn guarantees the coroutine's stack when it starts:
//!
//! * `units` ([`reserve`]) counts coroutines spawned whose stack is not back in the pool: a unit
//!   is taken before the spawn (or the spawn fails with the `vm.max_map_count` error) and given
//!   back by [`StackCache::give`], after the stack is in the pool. So `units <= budget`, and the
//!   stacks in use (each held by a coroutine with a unit) number at most `units - 1` while a
//!   coroutine with a unit waits for its stack.
//! * `carved` (under the pool's lock) counts slots that exist: `carved <= budget`. Worker caches
//!   are bypassed and [`Pool::scavenge`] trims under the lock, so every carved slot not in use
//!   is in the pool's lists whenever the lock is free.
//! * A `take` with nothing pooled of its size carves a fresh slot if `carved < budget`; otherwise
//!   `carved >= budget > stacks in use`, so some other size's class holds a pooled slot: it is
//!   unmapped (before the new guard is made, so the process never holds more than `carved`
//!   slots' mappings) and its place in the count goes to the fresh slot. Hence `take` never fails
//!   for want of mappings when its caller holds a unit.
//!
//! Chunk mappings (one per size in use and per 256 MiB of slots) come out of `MAPPING_RESERVE`.
//!
//! # Pool and trim
//!
//! A finished coroutine gives its stack back: first to its worker's small cache (no locking),
//! then, when that overflows, half of it to a global pool per size. Reused stacks keep their
//! resident pages, so steady-state spawning touches no fresh memory. A stack that grew deeper than
//! [`KEEP_RESIDENT`] is trimmed back to it with `MADV_DONTNEED` once it is returned and a worker
//! has nothing else to do ([`Pool::scavenge`], Go's scavenger in spirit): trimming costs a system
//! call per batch of stacks (per stack without `process_madvise`), which is better paid off the
//! coroutines' path. An idle worker also trims the stacks returned to its own cache since it last
//! looked, so once the workers go idle no stack keeps more than [`KEEP_RESIDENT`] resident; only
//! the stacks returned since a worker was last idle may. Every returned stack is trimmed, grown or
//! not: `MADV_DONTNEED` on pages never touched costs the kernel a page-table walk, less than
//! asking which pages are resident (`mincore(2)`) would, and guessing from the memory's contents
//! is unsound (an earlier version read the top word of the first page below the kept region, and
//! missed deep frames that left a zero there, such as a zeroed array).
//!
//! Chunks are never unmapped: their address space is reused through the pool, like Go's stack
//! spans. (Only with `mprotect` guards is a pooled slot unmapped, for the budget's sake.)

pub(crate) mod overflow;

use std::collections::HashMap;
use std::io;
use std::ptr;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use corosensei::stack::StackPointer;

/// The part of a deep stack that stays resident when the stack is returned to the pool.
pub(crate) const KEEP_RESIDENT: usize = 16 * 1024;
/// Smallest stack a coroutine may ask for: room for the coroutine entry, a panic's formatting and
/// a few frames of user code.
pub(crate) const MIN_STACK_SIZE: usize = 16 * 1024;
/// Largest stack a coroutine may ask for.
pub(crate) const MAX_STACK_SIZE: usize = 1 << 30;
/// Address space mapped at once for a chunk of slots (slots of a larger size get a chunk each).
const CHUNK_BYTES: usize = 256 << 20;
/// Kernel mappings kept free for everything else in the process (libraries, malloc arenas,
/// thread stacks, the stack chunks themselves) when guards cost mappings.
const MAPPING_RESERVE: usize = 4096;
/// `MADV_GUARD_INSTALL` from Linux 6.13's uapi headers (not yet in every libc crate).
const MADV_GUARD_INSTALL: libc::c_int = 102;

/// The base page size on x86_64 Linux (the only target rungo supports).
pub(crate) const PAGE: usize = 4096;

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
compile_error!("rungo supports Linux on x86_64 only");

/// Rounds a requested stack size to whole pages and checks it is within bounds.
pub(crate) fn validate_size(size: usize) -> io::Result<usize> {
    if !(MIN_STACK_SIZE..=MAX_STACK_SIZE).contains(&size) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "coroutine stack size {size} bytes is outside {} KiB ..= {} MiB",
                MIN_STACK_SIZE / 1024,
                MAX_STACK_SIZE >> 20
            ),
        ));
    }
    Ok(size.next_multiple_of(PAGE))
}

/// A guarded coroutine stack: one slot of a chunk. Owning it means owning the slot.
#[derive(Debug)]
pub(crate) struct Stack {
    /// Lowest address of the slot: the guard page.
    start: usize,
    /// Top of the stack (`start + PAGE + size`), read on every resume.
    base: usize,
}

impl Stack {
    /// The guard page's address, for the overflow handler.
    pub(crate) fn guard(&self) -> usize {
        self.start
    }

    /// Usable bytes above the guard page.
    fn size(&self) -> usize {
        self.base - self.start - PAGE
    }

    /// The pages below the keep-resident region, which [`trim_all`] gives back; `None` if the
    /// stack has none.
    fn trim_range(&self) -> Option<libc::iovec> {
        let low = self.start + PAGE;
        let keep_bottom = self.base - KEEP_RESIDENT;
        (keep_bottom > low).then_some(libc::iovec {
            iov_base: low as *mut libc::c_void,
            iov_len: keep_bottom - low,
        })
    }
}

/// Gives back the pages below the keep-resident region of each returned stack, if it grew into
/// them.
///
/// Unconditionally: on a stack that never grew the kernel finds nothing to drop, and that
/// costs less than asking first (`mincore` measured about twice an empty `MADV_DONTNEED`
/// here, and a grown stack would pay both). One system call serves the whole batch where the
/// kernel allows ([`advise_in_one_call`]): 0.42 µs a stack that never grew, against 1.4 µs
/// with a call each.
fn trim_all(stacks: &[Stack]) {
    let ranges: Vec<libc::iovec> = stacks.iter().filter_map(Stack::trim_range).collect();
    if ranges.is_empty() || advise_in_one_call(&ranges, libc::MADV_DONTNEED) {
        return;
    }
    for range in &ranges {
        // SAFETY: `range` is usable memory of a returned stack's slot, which we own and which
        // holds no live data; MADV_DONTNEED only drops its pages (they read as zero again).
        unsafe { libc::madvise(range.iov_base, range.iov_len, libc::MADV_DONTNEED) };
    }
}

/// `PIDFD_SELF_THREAD` from Linux 6.15's uapi headers: "the calling thread" to pidfd calls. It
/// names this process and no other, even in a child after `fork`.
const PIDFD_SELF_THREAD: libc::c_int = -10000;
/// Whether `process_madvise` works on this process: 0 not yet known, 1 yes, 2 no.
static ADVISE_IN_ONE_CALL: AtomicU8 = AtomicU8::new(0);

/// Gives `advice` for every range in one `process_madvise(2)` call, where a `madvise` each
/// would cost a system call per stack (most of what guarding a fresh slot and trimming a
/// returned one cost). True if the kernel did it all. False if it did not, or cannot (before
/// Linux 6.15, or under a seccomp policy: then it is not asked again); the caller then falls
/// back to a `madvise` per range, and every advice used here is harmless to repeat on a range
/// already advised.
///
/// The caller guarantees what `madvise` would need: each range lies in a slot it owns, and the
/// advice leaves every live value alone.
fn advise_in_one_call(ranges: &[libc::iovec], advice: libc::c_int) -> bool {
    advise_in_one_call_with(ranges, &ADVISE_IN_ONE_CALL, |ranges| {
        // SAFETY: the iovecs are live for the call; the ranges and the advice are the
        // caller's, as documented above, and PIDFD_SELF_THREAD names this process.
        let done = unsafe {
            libc::syscall(
                libc::SYS_process_madvise,
                PIDFD_SELF_THREAD,
                ranges.as_ptr(),
                ranges.len(),
                advice,
                0,
            )
        };
        usize::try_from(done).map_err(|_| io::Error::last_os_error())
    })
}

/// [`advise_in_one_call`] with the verdict kept in `state` and the system call made by `call`
/// (tests substitute both): the first answer decides whether the kernel is asked again.
fn advise_in_one_call_with(
    ranges: &[libc::iovec],
    state: &AtomicU8,
    call: impl FnOnce(&[libc::iovec]) -> io::Result<usize>,
) -> bool {
    if state.load(Ordering::Relaxed) == 2 {
        return false;
    }
    match call(ranges) {
        Ok(done) => {
            state.store(1, Ordering::Relaxed);
            done == ranges.iter().map(|r| r.iov_len).sum::<usize>()
        }
        Err(e) => {
            // These say "not here" (no such call, no PIDFD_SELF_THREAD, advice refused, a
            // seccomp policy); anything else (EINTR, ENOMEM) is this call's failure alone.
            let unsupported = matches!(
                e.raw_os_error(),
                Some(libc::ENOSYS | libc::EBADF | libc::EINVAL | libc::EPERM | libc::ESRCH)
            );
            if unsupported && state.load(Ordering::Relaxed) == 0 {
                state.store(2, Ordering::Relaxed);
            }
            false
        }
    }
}

// SAFETY: `base` is the top of the slot (page aligned, so STACK_ALIGNMENT aligned), `limit` is its
// lowest address including the guard page, the usable part is at least MIN_STACK_SIZE bytes and
// the guard page is installed before a `Stack` is created (`carve`).
unsafe impl corosensei::stack::Stack for Stack {
    fn base(&self) -> StackPointer {
        StackPointer::new(self.base).expect("stack base is never null")
    }

    fn limit(&self) -> StackPointer {
        StackPointer::new(self.start).expect("stack start is never null")
    }
}

/// How guard pages are made on this machine (probed on the first slot).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum GuardKind {
    Unknown = 0,
    Marker = 1,
    Mprotect = 2,
}

static GUARD_KIND: AtomicU8 = AtomicU8::new(GuardKind::Unknown as u8);
/// Tests force the `mprotect` fallback with this to exercise the mapping budget.
const FORCE_MPROTECT_ENV: &str = "RUNGO_FORCE_MPROTECT_GUARDS";

fn guard_kind() -> GuardKind {
    kind_in(&GUARD_KIND)
}

fn kind_in(kind: &AtomicU8) -> GuardKind {
    match kind.load(Ordering::Relaxed) {
        1 => GuardKind::Marker,
        2 => GuardKind::Mprotect,
        _ => GuardKind::Unknown,
    }
}

/// True if stacks are limited by the mapping budget (`mprotect` guards). Known from the first
/// spawn on: the runtime carves a slot when it starts ([`probe_guards`]).
fn budgeted() -> bool {
    guard_kind() == GuardKind::Mprotect
}

/// The page at `addr`, as one range of a batched advice.
fn page_at(addr: usize) -> libc::iovec {
    libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: PAGE,
    }
}

/// Installs the guard page of a freshly carved slot, probing the kernel the first time.
fn install_guard(start: usize) -> io::Result<()> {
    install_guard_with(start, &GUARD_KIND, marker_guard)
}

/// Installs a guard marker (`MADV_GUARD_INSTALL`) on the page at `start`.
fn marker_guard(start: usize) -> io::Result<()> {
    // SAFETY: [start, start + PAGE) is a page of a chunk we mapped and own; installing a guard
    // marker only makes accesses to it fault.
    let r = unsafe { libc::madvise(start as *mut libc::c_void, PAGE, MADV_GUARD_INSTALL) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// [`install_guard`] with the decision kept in `kind` and markers made by `marker` (tests
/// substitute both). While `kind` is unknown, the first slot probes: a marker that fails with
/// any error means `mprotect` guards from then on. Once markers have worked, a failure is an
/// error of this slot, reported as such.
fn install_guard_with(
    start: usize,
    kind: &AtomicU8,
    marker: impl Fn(usize) -> io::Result<()>,
) -> io::Result<()> {
    let known = kind_in(kind);
    let try_marker = match known {
        GuardKind::Marker => true,
        GuardKind::Mprotect => false,
        // The first guard decides, and the environment is read only then.
        GuardKind::Unknown => std::env::var_os(FORCE_MPROTECT_ENV).is_none(),
    };
    if try_marker {
        match marker(start) {
            Ok(()) => {
                kind.store(GuardKind::Marker as u8, Ordering::Relaxed);
                return Ok(());
            }
            Err(e) if known == GuardKind::Marker => return Err(e),
            // The probe failed: this kernel (or its seccomp policy) does not give markers.
            Err(_) => {}
        }
    }
    kind.store(GuardKind::Mprotect as u8, Ordering::Relaxed);
    // SAFETY: [start, start + PAGE) is a page of a chunk we mapped and own; PROT_NONE only makes
    // accesses to it fault.
    if unsafe { libc::mprotect(start as *mut libc::c_void, PAGE, libc::PROT_NONE) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Reserves the right to one guarded stack for a coroutine about to be spawned.
///
/// With guard markers stacks cost no kernel mappings and this always succeeds. With `mprotect`
/// guards it takes one unit of the budget derived from `vm.max_map_count`, which guarantees the
/// coroutine a stack when it starts (see the module docs); the unit comes back with the stack,
/// in [`StackCache::give`].
pub(crate) fn reserve() -> io::Result<()> {
    if !budgeted() {
        return Ok(());
    }
    let used = UNITS.fetch_add(1, Ordering::Relaxed);
    if used < mapping_budget() {
        return Ok(());
    }
    UNITS.fetch_sub(1, Ordering::Relaxed);
    Err(io::Error::new(
        io::ErrorKind::OutOfMemory,
        format!(
            "rungo: cannot spawn a coroutine: {used} coroutine stacks are live and each costs 2 \
             kernel memory mappings for its guard page on this kernel (no MADV_GUARD_INSTALL, \
             Linux < 6.13); vm.max_map_count = {} allows no more. Raise it with \
             `sudo sysctl -w vm.max_map_count=1048576`, or use Linux 6.13 or later",
            max_map_count()
        ),
    ))
}

/// Units of the mapping budget held: coroutines spawned whose stack is not back in the pool.
static UNITS: AtomicUsize = AtomicUsize::new(0);

/// Decides how guards are made before the first coroutine is spawned, by carving one slot.
pub(crate) fn probe_guards(size: usize) -> io::Result<()> {
    let stack = pool().take(size)?;
    pool().give(stack);
    Ok(())
}

fn max_map_count() -> usize {
    std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(65530)
}

/// How many `mprotect`-guarded stacks fit in the kernel's mapping limit.
fn mapping_budget() -> usize {
    static BUDGET: OnceLock<usize> = OnceLock::new();
    *BUDGET.get_or_init(|| {
        let in_use = std::fs::read_to_string("/proc/self/maps")
            .map(|m| m.lines().count())
            .unwrap_or(0);
        max_map_count().saturating_sub(in_use + MAPPING_RESERVE) / 2
    })
}

/// Free slots of one size, and the chunk new slots are carved from.
#[derive(Default)]
struct SizeClass {
    /// Returned stacks not yet trimmed: handed out first (what they hold resident
    /// may be used again), trimmed by [`Pool::scavenge`] when a worker has nothing to do.
    untrimmed: Vec<Stack>,
    /// Stacks with at most [`KEEP_RESIDENT`] bytes resident.
    free: Vec<Stack>,
    /// Next uncarved slot and the end of the current chunk.
    next: usize,
    end: usize,
}

/// What the pool's lock guards.
#[derive(Default)]
struct Classes {
    /// One size class per stack size in use.
    by_size: HashMap<usize, SizeClass>,
    /// Slots carved and not unmapped, of every size: in use, cached or pooled (see the module
    /// docs' budget).
    carved: usize,
}

impl Classes {
    /// Takes a pooled slot of another size than `size` to unmap, for the budget.
    fn victim(&mut self, size: usize, untrimmed: &AtomicUsize) -> Option<Stack> {
        for (&other, class) in self.by_size.iter_mut() {
            if other == size {
                continue;
            }
            if let Some(stack) = class.free.pop() {
                return Some(stack);
            }
            if let Some(stack) = class.untrimmed.pop() {
                untrimmed.fetch_sub(1, Ordering::Relaxed);
                return Some(stack);
            }
        }
        None
    }
}

/// The global pool: one size class per stack size in use.
pub(crate) struct Pool {
    classes: Mutex<Classes>,
    /// How many stacks wait in the `untrimmed` lists, readable without the lock.
    untrimmed: AtomicUsize,
    /// How many slots may be carved at most (`usize::MAX` with guard markers).
    limit: fn() -> usize,
}

pub(crate) fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool::new(global_limit))
}

/// The global pool's carving limit: the mapping budget with `mprotect` guards.
fn global_limit() -> usize {
    if budgeted() {
        mapping_budget()
    } else {
        usize::MAX
    }
}

impl Pool {
    fn new(limit: fn() -> usize) -> Pool {
        Pool {
            classes: Mutex::new(Classes::default()),
            untrimmed: AtomicUsize::new(0),
            limit,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Classes> {
        self.classes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A stack of `size` usable bytes (a multiple of the page size): pooled if one is free, else
    /// carved from a chunk.
    pub(crate) fn take(&self, size: usize) -> io::Result<Stack> {
        let mut one = Vec::with_capacity(1);
        self.take_into(size, 1, &mut one)?;
        Ok(one
            .pop()
            .expect("take_into gives at least one stack on success"))
    }

    /// Appends `want` (at least one) stacks of `size` usable bytes to `out`: pooled ones first,
    /// then fresh slots; returns how many of them, appended first, are known to be trimmed (the
    /// rest were returned and not trimmed since). Fresh slots are claimed under the pool's lock
    /// but guarded after it is released, so one worker's `madvise` calls never hold up another
    /// worker's spawns. When the carving limit is reached, a pooled slot of another size is
    /// unmapped to make room (see the module docs' budget).
    fn take_into(&self, size: usize, want: usize, out: &mut Vec<Stack>) -> io::Result<usize> {
        let slot = size + PAGE;
        let (fresh, count, victim) = {
            let mut classes = self.lock();
            let classes = &mut *classes;
            let class = classes.by_size.entry(size).or_default();
            // Untrimmed stacks are preferred, and appended last, so that `pop` hands them out
            // first.
            let reused = class.untrimmed.len().min(want);
            let pooled = class.free.len().min(want - reused);
            out.extend(class.free.drain(class.free.len() - pooled..));
            out.extend(class.untrimmed.drain(class.untrimmed.len() - reused..));
            self.untrimmed.fetch_sub(reused, Ordering::Relaxed);
            if reused + pooled > 0 {
                return Ok(pooled);
            }
            if class.next + slot > class.end {
                let len = (CHUNK_BYTES / slot).max(1) * slot;
                class.next = map_chunk(len)?;
                class.end = class.next + len;
            }
            let room = (self.limit)().saturating_sub(classes.carved);
            let victim = if room == 0 {
                Some(classes.victim(size, &self.untrimmed).ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::OutOfMemory,
                        format!(
                            "all {} coroutine stacks the mapping budget allows are in use",
                            classes.carved
                        ),
                    )
                })?)
            } else {
                None
            };
            let class = classes.by_size.entry(size).or_default();
            let count = want.min((class.end - class.next) / slot).min(room.max(1));
            let fresh = class.next;
            class.next += count * slot;
            if victim.is_none() {
                // With a victim, the fresh slot takes its place in the count.
                classes.carved += count;
            }
            (fresh, count, victim)
        };
        if let Some(victim) = victim {
            // Unmapped before the fresh guard splits a mapping, so the process never holds more
            // than `carved` slots' mappings.
            // SAFETY: the victim is a pooled slot, now ours alone: no coroutine runs on it, and
            // nothing refers to its memory. Unmapping the whole slot removes its guard's mapping
            // and its usable part's (or trims the chunk's uncarved rest from below), and never
            // splits a mapping, so it cannot fail for want of mappings.
            if unsafe {
                libc::munmap(
                    victim.start as *mut libc::c_void,
                    victim.base - victim.start,
                )
            } != 0
            {
                return Err(io::Error::last_os_error());
            }
        }
        // The slots [fresh, fresh + count * slot) are ours alone now; none is handed out before
        // its guard page is installed: all in one call where the kernel allows, else one by one.
        let starts = (fresh..).step_by(slot).take(count);
        let batched = count > 1
            && guard_kind() == GuardKind::Marker
            && advise_in_one_call(
                &starts.clone().map(page_at).collect::<Vec<_>>(),
                MADV_GUARD_INSTALL,
            );
        for start in starts {
            if !batched {
                install_guard(start)?;
            }
            out.push(Stack {
                start,
                base: start + PAGE + size,
            });
        }
        Ok(count)
    }

    /// Returns a stack whose coroutine has finished.
    pub(crate) fn give(&self, stack: Stack) {
        self.give_all(std::iter::once(stack));
    }

    /// Returns a batch of stacks (a worker cache's overflow) under one lock.
    fn give_all(&self, stacks: impl Iterator<Item = Stack>) {
        let mut classes = self.lock();
        for stack in stacks {
            classes
                .by_size
                .entry(stack.size())
                .or_default()
                .untrimmed
                .push(stack);
            self.untrimmed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Trims up to `max` returned stacks that grew past [`KEEP_RESIDENT`] (see [`trim_all`]):
    /// first those returned to `cache` (the calling worker's, if any) since it last looked,
    /// then the pool's; true if there were any to look at. Called by workers that have nothing
    /// else to do, as Go's scavenger returns memory in the background: trimming a stack costs
    /// a system call, which would otherwise be paid on every coroutine's way out, most of it
    /// for stacks that never grew.
    pub(crate) fn scavenge(&self, cache: Option<&mut StackCache>, max: usize) -> bool {
        let cached = cache.map_or(0, |c| c.scavenge(max));
        let max = max - cached;
        if max == 0 || self.untrimmed.load(Ordering::Relaxed) == 0 {
            return cached > 0;
        }
        let mut batch = Vec::new();
        let mut classes = self.lock();
        for class in classes.by_size.values_mut() {
            let n = class.untrimmed.len().min(max - batch.len());
            batch.extend(class.untrimmed.drain(class.untrimmed.len() - n..));
        }
        self.untrimmed.fetch_sub(batch.len(), Ordering::Relaxed);
        if budgeted() {
            // Under the lock: every pooled slot stays where a `take` at the carving limit can
            // find it (module docs, budget).
            trim_all(&batch);
        } else {
            drop(classes);
            trim_all(&batch);
            classes = self.lock();
        }
        let scavenged = cached > 0 || !batch.is_empty();
        for stack in batch {
            classes
                .by_size
                .entry(stack.size())
                .or_default()
                .free
                .push(stack);
        }
        scavenged
    }
}

/// Maps `len` bytes of address space for stacks, committing nothing.
fn map_chunk(len: usize) -> io::Result<usize> {
    // SAFETY: an anonymous private mapping at an address of the kernel's choosing aliases nothing.
    let addr = unsafe {
        libc::mmap(
            ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if addr == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the range was just mapped by us; the advice only affects how it is backed.
    unsafe { libc::madvise(addr, len, libc::MADV_NOHUGEPAGE) };
    Ok(addr as usize)
}

/// A worker's private cache of default-size stacks, so that spawning takes no lock. The worker
/// owns it (in its `Local`) and hands it to [`Pool::scavenge`] when it idles, which trims the
/// stacks returned to it first. With `mprotect` guards the cache is bypassed: every stack not
/// in use must be in the pool, where a `take` at the budget's limit can reclaim it (module
/// docs).
///
/// `stacks[..trimmed]` have been trimmed since they were last returned, the rest (the most
/// recently returned, handed out first) not.
pub(crate) struct StackCache {
    stacks: Vec<Stack>,
    trimmed: usize,
}

impl Drop for StackCache {
    fn drop(&mut self) {
        pool().give_all(self.stacks.drain(..));
    }
}

/// Stacks a worker keeps before returning half of them to the global pool.
const CACHE_MAX: usize = 64;
/// Stacks an empty cache takes from the global pool at once (under one lock).
const REFILL: usize = 16;

impl StackCache {
    pub(crate) fn new() -> Self {
        StackCache {
            stacks: Vec::new(),
            trimmed: 0,
        }
    }

    pub(crate) fn take(&mut self, size: usize) -> io::Result<Stack> {
        if size != crate::config::default_stack_size() || budgeted() {
            return pool().take(size);
        }
        if self.stacks.is_empty() {
            self.trimmed = pool().take_into(size, REFILL, &mut self.stacks)?;
        }
        let stack = self.stacks.pop().expect("refilled above");
        self.trimmed = self.trimmed.min(self.stacks.len());
        Ok(stack)
    }

    /// Returns the stack of a coroutine that has finished, and with it the coroutine's unit of
    /// the mapping budget ([`reserve`]).
    pub(crate) fn give(&mut self, stack: Stack) {
        if budgeted() {
            pool().give(stack);
            UNITS.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        if stack.size() != crate::config::default_stack_size() {
            return pool().give(stack);
        }
        if self.stacks.len() == CACHE_MAX {
            pool().give_all(self.stacks.drain(CACHE_MAX / 2..));
            self.trimmed = self.trimmed.min(self.stacks.len());
        }
        self.stacks.push(stack);
    }

    /// Trims up to `max` of the stacks returned to this cache since it last looked; returns
    /// how many it trimmed.
    fn scavenge(&mut self, max: usize) -> usize {
        let from = self.trimmed;
        let to = self.stacks.len().min(from.saturating_add(max));
        trim_all(&self.stacks[from..to]);
        self.trimmed = to;
        to - from
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resident(addr: usize) -> bool {
        let mut v = 0u8;
        // SAFETY: asks about one mapped page and writes one byte into `v`.
        let r = unsafe { libc::mincore((addr & !(PAGE - 1)) as *mut libc::c_void, PAGE, &mut v) };
        assert_eq!(r, 0);
        v & 1 != 0
    }

    #[test]
    fn the_scavenger_trims_a_deep_stack_and_leaves_the_kept_region() {
        let pool = Pool::new(|| usize::MAX);
        let stack = pool.take(64 * 1024).unwrap();
        // Grow the way frames do: every page from the top down is written at its top word.
        let (top, deep) = (stack.base - 64, stack.base - KEEP_RESIDENT - 2 * PAGE);
        for page_top in (deep..stack.base).step_by(PAGE).map(|p| p + PAGE - 8) {
            // SAFETY: usable memory of a stack nobody runs on.
            unsafe { ptr::write_volatile(page_top as *mut u64, 1) };
        }
        // SAFETY: as above.
        unsafe { ptr::write_volatile(top as *mut u8, 1) };
        assert!(resident(top) && resident(deep));
        pool.give(stack);
        assert!(resident(deep), "returning does not trim by itself");
        assert!(pool.scavenge(None, usize::MAX));
        assert!(
            !resident(deep),
            "the page below the kept region was given back"
        );
        assert!(resident(top), "the kept region stays");
        assert!(!pool.scavenge(None, usize::MAX), "nothing left to check");
        let again = pool.take(64 * 1024).unwrap();
        assert_eq!(again.base, top + 64, "the trimmed stack is reused");
    }

    #[test]
    fn the_scavenger_trims_a_stack_whose_deep_pages_hold_only_zeros() {
        let pool = Pool::new(|| usize::MAX);
        let stack = pool.take(64 * 1024).unwrap();
        // A deep frame full of zeros: the pages are resident but every word reads zero.
        let deep = stack.base - KEEP_RESIDENT - 8 * PAGE;
        let just_below_kept = stack.base - KEEP_RESIDENT - 8;
        for page in (deep..stack.base).step_by(PAGE) {
            // SAFETY: usable memory of a stack nobody runs on.
            unsafe { ptr::write_volatile(page as *mut u64, 0) };
        }
        assert!(resident(deep) && resident(just_below_kept));
        pool.give(stack);
        assert!(pool.scavenge(None, usize::MAX));
        assert!(!resident(deep), "the zeroed deep pages were given back");
        assert!(!resident(just_below_kept));
        assert!(resident(just_below_kept + 8), "the kept region stays");
    }

    #[test]
    fn at_the_carving_limit_a_pooled_slot_of_another_size_is_unmapped() {
        let pool = Pool::new(|| 2);
        let a = pool.take(64 * 1024).unwrap();
        let b = pool.take(64 * 1024).unwrap();
        let (a_start, b_start) = (a.start, b.start);
        pool.give(a);
        // B is in use and A pooled: a 128 KiB stack takes A's place.
        let c = pool.take(128 * 1024).unwrap();
        assert_eq!(pool.lock().carved, 2);
        let mut v = 0u8;
        // SAFETY: mincore only reports; on an unmapped page it fails with ENOMEM.
        let r = unsafe { libc::mincore(a_start as *mut libc::c_void, PAGE, &mut v) };
        assert_eq!(r, -1, "the 64 KiB slot was unmapped");
        assert_eq!(
            io::Error::last_os_error().raw_os_error(),
            Some(libc::ENOMEM)
        );
        // SAFETY: usable memory of a stack nobody runs on.
        unsafe { ptr::write_volatile((c.base - 8) as *mut u64, 7) };
        // Everything is in use: nothing to reclaim, so the pool says so instead of mapping more.
        let err = pool.take(64 * 1024 + PAGE).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::OutOfMemory);
        pool.give(b);
        let again = pool.take(64 * 1024).unwrap();
        assert_eq!(
            again.start, b_start,
            "a pooled slot of the same size is reused"
        );
        assert_eq!(pool.lock().carved, 2);
    }

    #[test]
    fn a_failed_marker_probe_falls_back_to_mprotect_whatever_the_error() {
        let prot_of = |addr: usize| -> String {
            let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
            maps.lines()
                .find(|l| {
                    let (lo, hi) = l.split_once(' ').unwrap().0.split_once('-').unwrap();
                    let (lo, hi) = (
                        usize::from_str_radix(lo, 16).unwrap(),
                        usize::from_str_radix(hi, 16).unwrap(),
                    );
                    (lo..hi).contains(&addr)
                })
                .unwrap()
                .split_whitespace()
                .nth(1)
                .unwrap()
                .to_string()
        };
        let chunk = map_chunk(4 * PAGE).unwrap();
        for (i, errno) in [libc::EPERM, libc::ENOMEM, libc::EINVAL]
            .into_iter()
            .enumerate()
        {
            let kind = AtomicU8::new(GuardKind::Unknown as u8);
            let page = chunk + PAGE * i;
            install_guard_with(page, &kind, |_| Err(io::Error::from_raw_os_error(errno))).unwrap();
            assert_eq!(kind_in(&kind), GuardKind::Mprotect, "errno {errno}");
            assert_eq!(prot_of(page), "---p", "errno {errno}: an mprotect guard");
        }
        // Once markers have worked, a failure is this slot's error, not a reason to switch.
        let kind = AtomicU8::new(GuardKind::Marker as u8);
        let err = install_guard_with(chunk + 3 * PAGE, &kind, |_| {
            Err(io::Error::from_raw_os_error(libc::ENOMEM))
        })
        .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOMEM));
        assert_eq!(kind_in(&kind), GuardKind::Marker);
        // SAFETY: unmapping our own mapping, which nothing else refers to.
        unsafe { libc::munmap(chunk as *mut libc::c_void, 4 * PAGE) };
    }

    /// The page's entry in `/proc/self/pagemap`: bit 63 present, bit 58 a guard marker (Linux
    /// 6.15+).
    fn pagemap(addr: usize) -> u64 {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = std::fs::File::open("/proc/self/pagemap").unwrap();
        f.seek(SeekFrom::Start((addr / PAGE * 8) as u64)).unwrap();
        let mut entry = [0u8; 8];
        f.read_exact(&mut entry).unwrap();
        u64::from_le_bytes(entry)
    }

    #[test]
    fn a_batch_of_fresh_slots_is_guarded_and_commits_no_memory() {
        let pool = Pool::new(|| usize::MAX);
        let size = 64 * 1024;
        // The first slot probes how guards are made; the batch after it is carved fresh.
        pool.give(pool.take(size).unwrap());
        let mut reused = Vec::new();
        pool.take_into(size, 1, &mut reused).unwrap();
        let mut batch = Vec::new();
        assert_eq!(pool.take_into(size, 16, &mut batch).unwrap(), 16);
        if guard_kind() != GuardKind::Marker || ADVISE_IN_ONE_CALL.load(Ordering::Relaxed) != 1 {
            eprintln!(
                "no guard markers or no process_madvise here: the batch was made slot by slot"
            );
            return;
        }
        for stack in &batch {
            let (guard, top) = (pagemap(stack.guard()), pagemap(stack.base - PAGE));
            assert_ne!(guard & 1 << 58, 0, "guard of {stack:?}: {guard:#x}");
            assert_eq!(
                top & 1 << 63,
                0,
                "top page of {stack:?} committed before use"
            );
        }
    }

    #[test]
    fn batched_advice_is_given_up_only_when_the_kernel_says_it_has_none() {
        let ranges = [page_at(0x10000), page_at(0x20000)];
        let (all, errno) = (2 * PAGE, io::Error::from_raw_os_error);
        // A first refusal that means "not here" decides for good: no further call is made.
        for code in [
            libc::ENOSYS,
            libc::EBADF,
            libc::EINVAL,
            libc::EPERM,
            libc::ESRCH,
        ] {
            let state = AtomicU8::new(0);
            assert!(!advise_in_one_call_with(&ranges, &state, |_| Err(errno(
                code
            ))));
            assert!(!advise_in_one_call_with(
                &ranges,
                &state,
                |_| unreachable!()
            ));
        }
        // A passing failure, or a short count, only sends this batch range by range.
        let state = AtomicU8::new(0);
        assert!(!advise_in_one_call_with(&ranges, &state, |_| Err(errno(
            libc::EINTR
        ))));
        assert!(!advise_in_one_call_with(&ranges, &state, |_| Ok(PAGE)));
        assert!(advise_in_one_call_with(&ranges, &state, |r| Ok(
            r.len() * PAGE
        )));
        // Once the kernel has done a batch, a later refusal is that batch's alone.
        assert!(!advise_in_one_call_with(&ranges, &state, |_| Err(errno(
            libc::EINVAL
        ))));
        assert!(advise_in_one_call_with(&ranges, &state, |_| Ok(all)));
    }
}
