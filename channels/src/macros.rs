//! The `select!` macro: Go's `select` statement.
//!
//! The macro declares one case object per case (in source order, evaluating each channel and
//! send-value expression once, as Go does), runs the engine in `select.rs` over them, and then
//! runs the body of the chosen case inline, so `break`, `continue`, `return` and `?` in a body
//! act on the enclosing function or loop, as in Go. A send value that was not sent is dropped
//! with its case object at the end of the `select!` (exactly once); use the dynamic
//! [`Select`](crate::Select) to get it back.

/// Go's `select` statement.
///
/// Cases (any number up to 32, any order, optional trailing commas):
///
/// * `recv(ch) -> v => body`: Go's `case v, ok := <-ch:`. `v` is an irrefutable pattern of
///   type `Option<T>`: `Some(value)`, or `None` when the channel is closed and drained. A
///   refutable pattern (`-> Some(v)`) is a compile error: once the case fires the value is
///   taken, and a pattern that does not match would have nowhere to put it (match on `v` in
///   the body instead).
/// * `recv(ch) => body`: Go's `case <-ch:`.
/// * `send(ch, value) => body`: Go's `case ch <- value:`. A send case on a closed channel
///   panics `send on closed channel` if chosen.
/// * `default => body`: taken when no other case is ready (the select does not block). A
///   `select!` with only a `default` arm runs it at once (Go: `select { default: ... }`).
///
/// `ch` may be a [`Chan`](crate::Chan), a [`Receiver`](crate::Receiver) or
/// [`Sender`](crate::Sender) (by direction), or a reference to one, or an expression making
/// one, like `after(d)` for Go's `case <-time.After(d):`. A nil channel's case is never
/// chosen. When several cases are ready one is chosen uniformly at random. `select! {}`
/// blocks forever.
///
/// ```
/// use rungo_channels::{chan, select, time::after};
/// use std::time::Duration;
///
/// let a = chan::<i32>(1);
/// let b = chan::<&str>(1);
/// a.send(1);
/// let got = select! {
///     recv(a) -> v => format!("a: {v:?}"),
///     send(b, "hi") => "sent to b".to_string(),
///     recv(after(Duration::from_secs(1))) => "timeout".to_string(),
/// };
/// assert!(got == "a: Some(1)" || got == "sent to b");
///
/// let empty = chan::<i32>(0);
/// let r = select! {
///     recv(empty) -> v => v,
///     default => Some(-1),
/// };
/// assert_eq!(r, Some(-1));
/// ```
#[macro_export]
macro_rules! select {
    () => {
        $crate::__private::block_forever()
    };
    ($($t:tt)+) => {
        $crate::__select_parse!(
            @names (__sel_c0 __sel_c1 __sel_c2 __sel_c3 __sel_c4 __sel_c5 __sel_c6 __sel_c7
                __sel_c8 __sel_c9 __sel_c10 __sel_c11 __sel_c12 __sel_c13 __sel_c14 __sel_c15
                __sel_c16 __sel_c17 __sel_c18 __sel_c19 __sel_c20 __sel_c21 __sel_c22 __sel_c23
                __sel_c24 __sel_c25 __sel_c26 __sel_c27 __sel_c28 __sel_c29 __sel_c30 __sel_c31)
            @cases ()
            @default ()
            $($t)+
        )
    };
}

/// Parses `select!` cases into a uniform list. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_parse {
    // Done.
    (@names $names:tt @cases ($($cases:tt)*) @default $def:tt) => {
        $crate::__select_emit!(@cases ($($cases)*) @default $def)
    };
    // Separator.
    (@names $names:tt @cases $cases:tt @default $def:tt , $($rest:tt)*) => {
        $crate::__select_parse!(@names $names @cases $cases @default $def $($rest)*)
    };
    // Out of names.
    (@names () @cases $cases:tt @default $def:tt $($rest:tt)+) => {
        ::core::compile_error!("select!: too many cases (at most 32; use rungo_channels::Select)")
    };

    // recv(ch) -> pat => body
    (@names ($n:ident $($names:ident)*) @cases ($($cases:tt)*) @default $def:tt
        recv($ch:expr) -> $p:pat => $body:block $($rest:tt)*) => {
        $crate::__select_parse!(@names ($($names)*)
            @cases ($($cases)* [$n recv ($ch) ($p) $body]) @default $def $($rest)*)
    };
    (@names ($n:ident $($names:ident)*) @cases ($($cases:tt)*) @default $def:tt
        recv($ch:expr) -> $p:pat => $body:expr , $($rest:tt)*) => {
        $crate::__select_parse!(@names ($($names)*)
            @cases ($($cases)* [$n recv ($ch) ($p) { $body }]) @default $def $($rest)*)
    };
    (@names ($n:ident $($names:ident)*) @cases ($($cases:tt)*) @default $def:tt
        recv($ch:expr) -> $p:pat => $body:expr) => {
        $crate::__select_parse!(@names ($($names)*)
            @cases ($($cases)* [$n recv ($ch) ($p) { $body }]) @default $def)
    };

    // recv(ch) => body
    (@names ($n:ident $($names:ident)*) @cases ($($cases:tt)*) @default $def:tt
        recv($ch:expr) => $body:block $($rest:tt)*) => {
        $crate::__select_parse!(@names ($($names)*)
            @cases ($($cases)* [$n recv ($ch) (_) $body]) @default $def $($rest)*)
    };
    (@names ($n:ident $($names:ident)*) @cases ($($cases:tt)*) @default $def:tt
        recv($ch:expr) => $body:expr , $($rest:tt)*) => {
        $crate::__select_parse!(@names ($($names)*)
            @cases ($($cases)* [$n recv ($ch) (_) { $body }]) @default $def $($rest)*)
    };
    (@names ($n:ident $($names:ident)*) @cases ($($cases:tt)*) @default $def:tt
        recv($ch:expr) => $body:expr) => {
        $crate::__select_parse!(@names ($($names)*)
            @cases ($($cases)* [$n recv ($ch) (_) { $body }]) @default $def)
    };

    // send(ch, v) => body
    (@names ($n:ident $($names:ident)*) @cases ($($cases:tt)*) @default $def:tt
        send($ch:expr, $v:expr) => $body:block $($rest:tt)*) => {
        $crate::__select_parse!(@names ($($names)*)
            @cases ($($cases)* [$n send ($ch, $v) (_) $body]) @default $def $($rest)*)
    };
    (@names ($n:ident $($names:ident)*) @cases ($($cases:tt)*) @default $def:tt
        send($ch:expr, $v:expr) => $body:expr , $($rest:tt)*) => {
        $crate::__select_parse!(@names ($($names)*)
            @cases ($($cases)* [$n send ($ch, $v) (_) { $body }]) @default $def $($rest)*)
    };
    (@names ($n:ident $($names:ident)*) @cases ($($cases:tt)*) @default $def:tt
        send($ch:expr, $v:expr) => $body:expr) => {
        $crate::__select_parse!(@names ($($names)*)
            @cases ($($cases)* [$n send ($ch, $v) (_) { $body }]) @default $def)
    };

    // default => body
    (@names $names:tt @cases $cases:tt @default ()
        default => $body:block $($rest:tt)*) => {
        $crate::__select_parse!(@names $names @cases $cases @default ($body) $($rest)*)
    };
    (@names $names:tt @cases $cases:tt @default ()
        default => $body:expr , $($rest:tt)*) => {
        $crate::__select_parse!(@names $names @cases $cases @default ({ $body }) $($rest)*)
    };
    (@names $names:tt @cases $cases:tt @default ()
        default => $body:expr) => {
        $crate::__select_parse!(@names $names @cases $cases @default ({ $body }))
    };
    (@names $names:tt @cases $cases:tt @default ($d:tt) default $($rest:tt)*) => {
        ::core::compile_error!("select!: more than one `default` case")
    };
}

/// Emits the code for parsed `select!` cases. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_emit {
    (@cases ($([$n:ident $kind:ident $args:tt $p:tt $body:block])*) @default ($($def:block)?)) => {{
        $( $crate::__select_case!(@decl $n $kind $args); )*
        // Typed, so that a select with no case but `default` (an empty list) compiles.
        let __sel_cases: &mut [&mut dyn $crate::__private::Case<'_>] =
            &mut [$( &mut $n as &mut dyn $crate::__private::Case<'_> ),*];
        let _ = $crate::__private::run(
            __sel_cases,
            &mut [$( $crate::__select_case!(@zero $n) ),*],
            $crate::__select_case!(@mode $($def)?),
        );
        $(
            if $crate::__private::Case::is_selected(&$n) {
                $crate::__select_case!(@arm $n $kind $p $body)
            } else
        )*
        {
            $crate::__select_case!(@default $($def)?)
        }
    }};
}

/// Per-case pieces of `select!`. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_case {
    (@decl $n:ident recv ($ch:expr)) => {
        let $n = &$ch;
        #[allow(unused_mut)]
        let mut $n = $crate::__private::RecvCase::new($n);
    };
    (@decl $n:ident send ($ch:expr, $v:expr)) => {
        let $n = &$ch;
        #[allow(unused_mut)]
        let mut $n = $crate::__private::SendCase::new($n, $v);
    };
    (@zero $n:ident) => {
        0usize
    };
    (@mode) => {
        $crate::__private::Mode::Block
    };
    (@mode $def:block) => {
        $crate::__private::Mode::NonBlock
    };
    (@arm $n:ident recv ($p:pat) $body:block) => {{
        let $p = $n.take();
        $body
    }};
    (@arm $n:ident send $p:tt $body:block) => {
        $body
    };
    (@default) => {
        ::core::unreachable!("select!: no case chosen")
    };
    (@default $def:block) => {
        $def
    };
}
