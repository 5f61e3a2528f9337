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
//!   `MADV_DONTNEED`. Probed once, on the first slot carved.
//! * `mprotect(PROT_NONE)` otherwise: each guard splits the chunk's mapping, costing two VMAs per
//!   slot. `vm.max_map_count` (65530 by default) then bounds the number of slots, so a *budget* of
//!   slots is computed from it and every spawn reserves one unit of it (see [`reserve`]); when it
//!   runs out the spawn fails with an error that names the sysctl. No stack is ever handed out
//!   without a guard.
//!
//! # Pool and trim
//!
//! A finished coroutine gives its stack back: first to its worker's small cache (no locking),
//! then, when that overflows, half of it to a global pool per size. Reused stacks keep their
//! resident pages, so steady-state spawning touches no fresh memory. A stack that grew deeper
//! than [`KEEP_RESIDENT`] is trimmed back to it with `MADV_DONTNEED` once it sits in the pool and
//! a worker has nothing else to do ([`Pool::scavenge`], Go's scavenger in spirit): checking costs
//! the kernel a page-table update per stack, which is better paid off the coroutines' path. So
//! at most [`CACHE_MAX`] stacks per worker, plus the pool's unchecked ones while every worker is
//! busy, stay resident deeper than that. Growth is detected by reading the top word of the first
//! page below the kept region: every frame that crosses into that page writes a return address
//! or saved register at its top, and `MADV_DONTNEED` zeroes it again. (The first read of an
//! untouched page maps the kernel's zero page, once per slot; `mincore` would ask without
//! mapping anything, but measured no cheaper.)
//!
//! Chunks are never unmapped: their address space is reused through the pool, like Go's stack
//! spans.

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
/// thread stacks) when guards cost mappings.
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

    /// Gives back the pages below the keep-resident region if the stack grew into them.
    fn trim(&self) {
        if self.size() <= KEEP_RESIDENT {
            return;
        }
        let keep_bottom = self.base - KEEP_RESIDENT;
        // SAFETY: `keep_bottom - 8` lies inside this slot's usable memory (size > KEEP_RESIDENT),
        // which is mapped readable; no coroutine runs on this stack while it is being returned.
        let touched = unsafe { ptr::read_volatile((keep_bottom - 8) as *const u64) } != 0;
        if touched {
            let low = self.start + PAGE;
            // SAFETY: [low, keep_bottom) is usable memory of this slot, which we own and which
            // holds no live data; MADV_DONTNEED only drops its pages (they read as zero again).
            unsafe {
                libc::madvise(
                    low as *mut libc::c_void,
                    keep_bottom - low,
                    libc::MADV_DONTNEED,
                )
            };
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
    match GUARD_KIND.load(Ordering::Relaxed) {
        1 => GuardKind::Marker,
        2 => GuardKind::Mprotect,
        _ => GuardKind::Unknown,
    }
}

/// Installs the guard page of a freshly carved slot, probing the kernel the first time.
fn install_guard(start: usize) -> io::Result<()> {
    let page = PAGE;
    let try_marker = match guard_kind() {
        GuardKind::Marker => true,
        GuardKind::Mprotect => false,
        // The first guard decides, and the environment is read only then.
        GuardKind::Unknown => std::env::var_os(FORCE_MPROTECT_ENV).is_none(),
    };
    if try_marker {
        // SAFETY: [start, start + page) is a page of a chunk we mapped and own; installing a guard
        // marker only makes accesses to it fault.
        let r = unsafe { libc::madvise(start as *mut libc::c_void, page, MADV_GUARD_INSTALL) };
        if r == 0 {
            GUARD_KIND.store(GuardKind::Marker as u8, Ordering::Relaxed);
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if guard_kind() == GuardKind::Marker || err.raw_os_error() != Some(libc::EINVAL) {
            return Err(err);
        }
    }
    GUARD_KIND.store(GuardKind::Mprotect as u8, Ordering::Relaxed);
    // SAFETY: as above; PROT_NONE on our own page only makes accesses to it fault.
    if unsafe { libc::mprotect(start as *mut libc::c_void, page, libc::PROT_NONE) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Reserves the right to one guarded stack for a coroutine about to be spawned.
///
/// With guard markers stacks cost no kernel mappings and this always succeeds. With `mprotect`
/// guards it takes one unit of the budget derived from `vm.max_map_count`; [`release`] gives it
/// back when the coroutine finishes.
pub(crate) fn reserve() -> io::Result<()> {
    if guard_kind() == GuardKind::Marker {
        return Ok(());
    }
    let used = RESERVED.fetch_add(1, Ordering::Relaxed);
    if used < mapping_budget() {
        return Ok(());
    }
    RESERVED.fetch_sub(1, Ordering::Relaxed);
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

/// Gives back a unit taken by [`reserve`].
pub(crate) fn release() {
    if guard_kind() != GuardKind::Marker {
        RESERVED.fetch_sub(1, Ordering::Relaxed);
    }
}

static RESERVED: AtomicUsize = AtomicUsize::new(0);

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
    /// Returned stacks not yet checked for growth: handed out first (what they hold resident
    /// may be used again), trimmed by [`Pool::scavenge`] when a worker has nothing to do.
    untrimmed: Vec<Stack>,
    /// Stacks with at most [`KEEP_RESIDENT`] bytes resident.
    free: Vec<Stack>,
    /// Next uncarved slot and the end of the current chunk.
    next: usize,
    end: usize,
}

/// The global pool: one size class per stack size in use.
pub(crate) struct Pool {
    classes: Mutex<HashMap<usize, SizeClass>>,
    /// How many stacks wait in the `untrimmed` lists, readable without the lock.
    untrimmed: AtomicUsize,
}

pub(crate) fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(Pool::new)
}

impl Pool {
    fn new() -> Pool {
        Pool {
            classes: Mutex::new(HashMap::new()),
            untrimmed: AtomicUsize::new(0),
        }
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
    /// then fresh slots. Fresh slots are claimed under the pool's lock but guarded after it is
    /// released, so one worker's `madvise` calls never hold up another worker's spawns.
    fn take_into(&self, size: usize, want: usize, out: &mut Vec<Stack>) -> io::Result<()> {
        let slot = size + PAGE;
        let (fresh, count) = {
            let mut classes = self.classes.lock().unwrap_or_else(|e| e.into_inner());
            let class = classes.entry(size).or_default();
            let reused = class.untrimmed.len().min(want);
            out.extend(class.untrimmed.drain(class.untrimmed.len() - reused..));
            self.untrimmed.fetch_sub(reused, Ordering::Relaxed);
            let pooled = class.free.len().min(want - reused);
            out.extend(class.free.drain(class.free.len() - pooled..));
            if reused + pooled > 0 {
                return Ok(());
            }
            if class.next + slot > class.end {
                let len = (CHUNK_BYTES / slot).max(1) * slot;
                class.next = map_chunk(len)?;
                class.end = class.next + len;
            }
            let count = want.min((class.end - class.next) / slot);
            let fresh = class.next;
            class.next += count * slot;
            (fresh, count)
        };
        // The slots [fresh, fresh + count * slot) are ours alone now; none is handed out before
        // its guard page is installed.
        for start in (fresh..).step_by(slot).take(count) {
            install_guard(start)?;
            out.push(Stack {
                start,
                base: start + PAGE + size,
            });
        }
        Ok(())
    }

    /// Returns a stack whose coroutine has finished.
    pub(crate) fn give(&self, stack: Stack) {
        self.give_all(std::iter::once(stack));
    }

    /// Returns a batch of stacks (a worker cache's overflow) under one lock.
    fn give_all(&self, stacks: impl Iterator<Item = Stack>) {
        let mut classes = self.classes.lock().unwrap_or_else(|e| e.into_inner());
        for stack in stacks {
            classes
                .entry(stack.size())
                .or_default()
                .untrimmed
                .push(stack);
            self.untrimmed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Trims up to `max` returned stacks that grew past [`KEEP_RESIDENT`] (see [`Stack::trim`]);
    /// true if there were any to look at. Called by workers that have nothing else to do, as
    /// Go's scavenger returns memory in the background: checking a stack costs the kernel a
    /// page-table update (a fifth of what a fresh coroutine costs in all), which would
    /// otherwise be paid on every coroutine's way out, most of it for stacks that never grew.
    pub(crate) fn scavenge(&self, max: usize) -> bool {
        if self.untrimmed.load(Ordering::Relaxed) == 0 {
            return false;
        }
        let mut batch = Vec::new();
        {
            let mut classes = self.classes.lock().unwrap_or_else(|e| e.into_inner());
            for class in classes.values_mut() {
                let n = class.untrimmed.len().min(max - batch.len());
                batch.extend(class.untrimmed.drain(class.untrimmed.len() - n..));
            }
            self.untrimmed.fetch_sub(batch.len(), Ordering::Relaxed);
        }
        for stack in &batch {
            stack.trim();
        }
        let mut classes = self.classes.lock().unwrap_or_else(|e| e.into_inner());
        let scavenged = !batch.is_empty();
        for stack in batch {
            classes.entry(stack.size()).or_default().free.push(stack);
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

/// A worker's private cache of default-size stacks, so that spawning takes no lock.
pub(crate) struct StackCache {
    stacks: Vec<Stack>,
}

/// Stacks a worker keeps before returning half of them to the global pool.
const CACHE_MAX: usize = 64;
/// Stacks an empty cache takes from the global pool at once (under one lock).
const REFILL: usize = 16;

impl StackCache {
    pub(crate) fn new() -> Self {
        StackCache {
            stacks: Vec::with_capacity(CACHE_MAX),
        }
    }

    pub(crate) fn take(&mut self, size: usize) -> io::Result<Stack> {
        if size != crate::config::default_stack_size() {
            return pool().take(size);
        }
        if self.stacks.is_empty() {
            pool().take_into(size, REFILL, &mut self.stacks)?;
        }
        Ok(self.stacks.pop().expect("refilled above"))
    }

    pub(crate) fn give(&mut self, stack: Stack) {
        if stack.size() != crate::config::default_stack_size() {
            return pool().give(stack);
        }
        if self.stacks.len() == CACHE_MAX {
            pool().give_all(self.stacks.drain(CACHE_MAX / 2..));
        }
        self.stacks.push(stack);
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
        let pool = Pool::new();
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
        assert!(pool.scavenge(usize::MAX));
        assert!(
            !resident(deep),
            "the page below the kept region was given back"
        );
        assert!(resident(top), "the kept region stays");
        assert!(!pool.scavenge(usize::MAX), "nothing left to check");
        let again = pool.take(64 * 1024).unwrap();
        assert_eq!(again.base, top + 64, "the trimmed stack is reused");
    }
}
