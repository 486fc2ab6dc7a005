//! The platform faults that the fake Telegram and Discord servers play, shared by both crates' test support
//! (each includes this file with `#[path]`).

use std::time::{Duration, Instant};

/// A fault met by the requests that send something; the platform's incoming side stays up, so that messages
/// keep coming in during the fault.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// 500 Internal Server Error.
    ServerError,
    /// The connection is closed without an answer before anything is posted.
    DropBefore,
    /// The message is posted, then the connection is closed without an answer.
    DropAfter,
    /// The answer comes this late.
    Slow(Duration),
    /// 429 with `retry_after` until this instant.
    RateLimited { until: Instant },
}

/// The fault in force, and for how many more sends (`None`: until the fake recovers).
#[derive(Debug, Default)]
pub struct Faults {
    fault: Option<Fault>,
    left: Option<u32>,
}

impl Faults {
    /// Every send meets `fault` until the fake recovers.
    pub fn always(fault: Fault) -> Faults {
        Faults {
            fault: Some(fault),
            left: None,
        }
    }

    /// The next `times` sends meet `fault`.
    pub fn next(fault: Fault, times: u32) -> Faults {
        Faults {
            fault: Some(fault),
            left: Some(times),
        }
    }

    /// The fault a send meets now, counting it down.
    pub fn take(&mut self) -> Option<Fault> {
        let fault = self.fault?;
        if let Fault::RateLimited { until } = fault
            && Instant::now() >= until
        {
            *self = Faults::default();
            return None;
        }
        if let Some(left) = &mut self.left {
            *left -= 1;
            if *left == 0 {
                *self = Faults::default();
            }
        }
        Some(fault)
    }
}

/// The fake closed the connection without an answer.
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the fake")
    }
}

impl std::error::Error for Dropped {}
