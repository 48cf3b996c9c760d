//! The transport of the realtime stream: an event stream is read with no deadline (the
//! server closes an idle one after 5 minutes), so a blocking read must still be cut when
//! the client closes, the last subscription goes or the login changes. Each connection
//! remembers the cut counter's value when it was made; reads wait in slices of
//! [`POLL`] and fail with an `Interrupted` I/O error once the counter moved on.
//! Waiting for data costs nothing extra: a slice returns as soon as bytes arrive.

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

/// How often a waiting read looks whether it was cut.
pub(crate) const POLL: Duration = Duration::from_millis(50);

/// Chained last; wraps each connection so [`Cut::cut`] can end its reads.
#[derive(Debug, Clone)]
pub(crate) struct Cut {
    epoch: Arc<AtomicU64>,
}

impl Cut {
    pub(crate) fn new() -> Self {
        Cut { epoch: Arc::new(AtomicU64::new(0)) }
    }

    /// Ends the reads of every connection made so far (they fail with `Interrupted`).
    pub(crate) fn cut(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }
}

impl<In: Transport> Connector<In> for Cut {
    type Out = CutTransport;

    fn connect(&self, _details: &ConnectionDetails, chained: Option<In>) -> Result<Option<Self::Out>, ureq::Error> {
        let born = self.epoch.load(Ordering::SeqCst);
        Ok(chained.map(|inner| CutTransport { inner: inner.boxed(), epoch: Arc::clone(&self.epoch), born }))
    }
}

pub(crate) struct CutTransport {
    inner: Box<dyn Transport>,
    epoch: Arc<AtomicU64>,
    born: u64,
}

impl fmt::Debug for CutTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CutTransport").field("born", &self.born).finish()
    }
}

impl CutTransport {
    fn check(&self) -> Result<(), ureq::Error> {
        match self.epoch.load(Ordering::SeqCst) == self.born {
            true => Ok(()),
            false => Err(ureq::Error::Io(io::Error::new(io::ErrorKind::Interrupted, "realtime stream cut"))),
        }
    }
}

impl Transport for CutTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.check()?;
        self.inner.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let deadline = timeout.not_zero().map(|d| Instant::now() + *d);
        loop {
            self.check()?;
            let left = match deadline {
                None => POLL,
                Some(at) => at.saturating_duration_since(Instant::now()),
            };
            if left.is_zero() {
                return Err(ureq::Error::Timeout(timeout.reason));
            }
            let slice = NextTimeout { after: left.min(POLL).into(), ..timeout };
            match self.inner.await_input(slice) {
                Err(ureq::Error::Timeout(_)) => continue,
                other => return other,
            }
        }
    }

    fn is_open(&mut self) -> bool {
        self.epoch.load(Ordering::SeqCst) == self.born && self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}
