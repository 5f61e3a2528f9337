//! [`Select`]: a select whose cases are built at run time. Go: `reflect.Select`.
//!
//! Cases are boxed, type-erased [`Case`] objects run by the same engine as `select!`
//! (`select.rs`), so the guarantees are the same: one case completes, chosen uniformly among
//! the ready ones, and the value of a send case that is not chosen stays in the `Select`
//! ([`Select::take_unsent`]) instead of being lost. Results are fetched with the element type
//! spelled out ([`Select::recv_value`]); the type is checked at run time through `Any`, hence
//! the `T: 'static` bounds.

use std::any::Any;
use std::time::{Duration, Instant};

use crate::chan::{RecvChan, SendChan};
use crate::select::{Case, Mode, RecvCase, SendCase, run};

/// A case that also exposes its typed result slot for retrieval.
/// The slot is `Option<Option<T>>` (a receive's outcome) or `Option<T>` (a send's value).
trait DynCase<'a>: Case<'a> {
    fn slot(&mut self) -> &mut dyn Any;
    fn is_send(&self) -> bool;
    fn reset(&mut self);
}

impl<'a, T: Send + 'static> DynCase<'a> for RecvCase<'a, T> {
    fn slot(&mut self) -> &mut dyn Any {
        &mut self.result
    }
    fn is_send(&self) -> bool {
        false
    }
    fn reset(&mut self) {
        RecvCase::reset(self)
    }
}

impl<'a, T: Send + 'static> DynCase<'a> for SendCase<'a, T> {
    fn slot(&mut self) -> &mut dyn Any {
        &mut self.value
    }
    fn is_send(&self) -> bool {
        true
    }
    fn reset(&mut self) {
        self.clear_selected()
    }
}

/// A select over cases added at run time. Go: `reflect.Select` with `[]reflect.SelectCase`.
///
/// Cases are numbered in the order they are added. A `Select` can run again: received values
/// are cleared, and a send case whose value was sent is disabled (like a nil channel) until
/// [`Select::set_send_value`] gives it a new value.
///
/// ```
/// use rungo_channels::{chan, Select};
/// // Fan-in over N channels.
/// let chans: Vec<_> = (0..4).map(|_| chan::<usize>(1)).collect();
/// chans[2].send(42);
/// let mut sel = Select::new();
/// for c in &chans {
///     sel.recv(c);
/// }
/// let i = sel.select();
/// assert_eq!(i, 2);
/// assert_eq!(sel.recv_value::<usize>(i), Some(42));
/// ```
pub struct Select<'a> {
    cases: Vec<Box<dyn DynCase<'a> + 'a>>,
    order: Vec<usize>,
}

impl Default for Select<'_> {
    fn default() -> Self {
        Select::new()
    }
}

impl<'a> Select<'a> {
    /// An empty select (running it blocks forever, like Go's `select {}`).
    pub fn new() -> Select<'a> {
        Select {
            cases: Vec::new(),
            order: Vec::new(),
        }
    }

    /// Adds a receive case (Go: `SelectCase{Dir: SelectRecv, Chan: ch}`); returns its index.
    pub fn recv<T: Send + 'static, C: RecvChan<T> + ?Sized>(&mut self, ch: &'a C) -> usize {
        self.cases.push(Box::new(RecvCase::new(ch)));
        self.order.push(0);
        self.cases.len() - 1
    }

    /// Adds a send case of `value` (Go: `SelectCase{Dir: SelectSend, Chan: ch, Send: v}`);
    /// returns its index.
    pub fn send<T: Send + 'static, C: SendChan<T> + ?Sized>(
        &mut self,
        ch: &'a C,
        value: T,
    ) -> usize {
        self.cases.push(Box::new(SendCase::new(ch, value)));
        self.order.push(0);
        self.cases.len() - 1
    }

    /// Number of cases.
    /// Go: `len(cases)` of `reflect.Select`.
    pub fn len(&self) -> usize {
        self.cases.len()
    }

    /// True when there are no cases.
    /// Go: `len(cases) == 0`.
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }

    fn run(&mut self, mode: Mode) -> Option<usize> {
        for c in &mut self.cases {
            c.reset();
        }
        run(&mut self.cases, &mut self.order, mode)
    }

    /// Blocks until one case completes and returns its index.
    /// Go: `reflect.Select(cases)`.
    ///
    /// # Panics
    /// `send on closed channel` if the chosen case is a send on a closed channel.
    #[track_caller]
    pub fn select(&mut self) -> usize {
        self.run(Mode::Block)
            .expect("blocking select returned no case")
    }

    /// Completes a ready case if there is one (Go: a `SelectDefault` case).
    #[track_caller]
    pub fn try_select(&mut self) -> Option<usize> {
        self.run(Mode::NonBlock)
    }

    /// Like [`select`](Select::select) but gives up after `timeout`.
    /// Go: `reflect.Select` with a timer case.
    #[track_caller]
    pub fn select_timeout(&mut self, timeout: Duration) -> Option<usize> {
        match Instant::now().checked_add(timeout) {
            Some(d) => self.run(Mode::Deadline(d)),
            None => Some(self.select()),
        }
    }

    /// Like [`select`](Select::select) but gives up at `deadline`.
    /// Go: `reflect.Select` with a timer case.
    #[track_caller]
    pub fn select_deadline(&mut self, deadline: Instant) -> Option<usize> {
        self.run(Mode::Deadline(deadline))
    }

    /// The outcome of receive case `index` after it was chosen: `Some(v)`, or `None` if the
    /// channel was closed (Go's `recvOK == false`).
    ///
    /// # Panics
    /// If `index` is not a receive case of element type `T`, or was not chosen.
    pub fn recv_value<T: Send + 'static>(&mut self, index: usize) -> Option<T> {
        let c = &mut self.cases[index];
        assert!(
            !c.is_send(),
            "Select::recv_value: case {index} is a send case"
        );
        c.slot()
            .downcast_mut::<Option<Option<T>>>()
            .expect("Select::recv_value: not a receive case of this element type")
            .take()
            .expect("Select::recv_value: case was not chosen")
    }

    /// Takes back the value of send case `index` if it was not sent (`None` if it was sent).
    /// Go: none (a Go value is copied, so nothing needs handing back).
    ///
    /// # Panics
    /// If `index` is not a send case of element type `T`.
    pub fn take_unsent<T: Send + 'static>(&mut self, index: usize) -> Option<T> {
        self.send_slot::<T>(index).take()
    }

    /// Gives send case `index` a (new) value to send on the next run; returns the old unsent
    /// Go: setting `cases[i].Send`.
    /// value, if any.
    ///
    /// # Panics
    /// If `index` is not a send case of element type `T`.
    pub fn set_send_value<T: Send + 'static>(&mut self, index: usize, value: T) -> Option<T> {
        self.send_slot::<T>(index).replace(value)
    }

    fn send_slot<T: Send + 'static>(&mut self, index: usize) -> &mut Option<T> {
        let c = &mut self.cases[index];
        assert!(c.is_send(), "Select: case {index} is a receive case");
        c.slot()
            .downcast_mut::<Option<T>>()
            .expect("Select: not a send case of this element type")
    }
}
