//! The methods every connection type shares (Go's `net.Conn` interface), generated once for
//! [`TcpStream`](crate::TcpStream) and [`UnixStream`](crate::UnixStream).

/// Implements Go's `net.Conn` methods in std's shape for a type with an `fd: Arc<NetFd>` field.
macro_rules! conn_methods {
    ($ty:ident, $go:literal) => {
        impl $ty {
            #[doc = concat!("Shuts down the read half, the write half (the peer reads EOF and may \
                still write back) or both. Go: `", $go, ".CloseRead`, `CloseWrite`.")]
            pub fn shutdown(&self, how: std::net::Shutdown) -> std::io::Result<()> {
                self.fd.check_open()?;
                self.fd.sock().shutdown(how)
            }

            #[doc = concat!("Another handle to the same connection, usable from another \
                coroutine at the same time: it shares the registration, so one clone may read \
                while another writes, and [`close`](", stringify!($ty), "::close) wakes waiters \
                on every clone. Infallible here; `io::Result` for std's shape. \
                Go: sharing the `*", $go, "`.")]
            pub fn try_clone(&self) -> std::io::Result<$ty> {
                Ok(self.clone())
            }

            #[doc = concat!("Sets (or clears) the absolute read and write deadlines, like \
                [`set_read_deadline`](", stringify!($ty), "::set_read_deadline). \
                Go: `", $go, ".SetDeadline`.")]
            pub fn set_deadline(&self, deadline: Option<std::time::Instant>) -> std::io::Result<()> {
                self.set_read_deadline(deadline)?;
                self.set_write_deadline(deadline)
            }

            #[doc = concat!("Sets (or clears) the absolute deadline of reads: sticky (it stays \
                until changed) and applied to reads already waiting, so a past deadline set \
                from another coroutine wakes a blocked read with `ErrorKind::TimedOut` \
                (\"i/o timeout\"). Go: `", $go, ".SetReadDeadline`.")]
            pub fn set_read_deadline(&self, deadline: Option<std::time::Instant>) -> std::io::Result<()> {
                self.fd.check_open()?;
                self.fd.set_deadline(rungo_runtime::io::Interest::Read, deadline);
                Ok(())
            }

            #[doc = concat!("Sets (or clears) the absolute, sticky deadline of writes, applied \
                to writes already waiting. Go: `", $go, ".SetWriteDeadline`.")]
            pub fn set_write_deadline(&self, deadline: Option<std::time::Instant>) -> std::io::Result<()> {
                self.fd.check_open()?;
                self.fd.set_deadline(rungo_runtime::io::Interest::Write, deadline);
                Ok(())
            }

            /// The read deadline, if set. Go: none (Go's deadlines are write-only).
            pub fn read_deadline(&self) -> Option<std::time::Instant> {
                self.fd.deadline(rungo_runtime::io::Interest::Read)
            }

            /// The write deadline, if set. Go: none (Go's deadlines are write-only).
            pub fn write_deadline(&self) -> Option<std::time::Instant> {
                self.fd.deadline(rungo_runtime::io::Interest::Write)
            }

            /// std's relative read timeout: each read waits at most `timeout` (it is not
            /// sticky: it starts again with every read), then fails with `ErrorKind::TimedOut`.
            /// A zero duration is an `InvalidInput` error, as in std. Go:
            /// `SetReadDeadline(time.Now().Add(d))` before each read.
            pub fn set_read_timeout(&self, timeout: Option<std::time::Duration>) -> std::io::Result<()> {
                self.fd.set_timeout(rungo_runtime::io::Interest::Read, timeout)
            }

            /// std's relative write timeout, per write like the read timeout. Go:
            /// `SetWriteDeadline(time.Now().Add(d))` before each write.
            pub fn set_write_timeout(&self, timeout: Option<std::time::Duration>) -> std::io::Result<()> {
                self.fd.set_timeout(rungo_runtime::io::Interest::Write, timeout)
            }

            /// The read timeout (std's). Go: none.
            pub fn read_timeout(&self) -> std::io::Result<Option<std::time::Duration>> {
                Ok(self.fd.timeout(rungo_runtime::io::Interest::Read))
            }

            /// The write timeout (std's). Go: none.
            pub fn write_timeout(&self) -> std::io::Result<Option<std::time::Duration>> {
                Ok(self.fd.timeout(rungo_runtime::io::Interest::Write))
            }

            #[doc = concat!("Closes the connection the Go way: blocked reads and writes on \
                every clone wake with the runtime's `closed_error` (\"use of closed network \
                connection\", `ErrorKind::NotConnected`), later operations fail the same way, \
                and the socket is shut down (the peer reads EOF). The fd itself is closed when \
                the last clone drops, so no operation can reach a reused fd number. \
                Go: `", $go, ".Close`.")]
            pub fn close(&self) {
                self.fd.close();
            }

            #[doc = concat!("True once [`close`](", stringify!($ty), "::close) was called on \
                any clone. Go: none (an operation's `net.ErrClosed`).")]
            pub fn is_closed(&self) -> bool {
                self.fd.is_closed()
            }
        }

        impl std::io::Read for &$ty {
            #[track_caller]
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.fd.read(buf)
            }
        }

        impl std::io::Write for &$ty {
            #[track_caller]
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.fd.write(buf)
            }

            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        impl std::io::Read for $ty {
            #[track_caller]
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.fd.read(buf)
            }
        }

        impl std::io::Write for $ty {
            #[track_caller]
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.fd.write(buf)
            }

            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.fd.as_fd()
            }
        }

        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                self.fd.as_raw_fd()
            }
        }
    };
}

pub(crate) use conn_methods;
