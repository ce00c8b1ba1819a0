//! The one source of "now" for every use case and background task: the
//! system clock in service, a clock the tests set and move, so time targets
//! and retention can be tested without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use crate::domain::resource::Timestamp;

#[derive(Clone, Debug)]
pub struct Clock(Source);

#[derive(Clone, Debug)]
enum Source {
    System,
    /// Stands at a time until moved.
    Manual(Arc<AtomicI64>),
    /// The system clock moved by an offset that only grows.
    Shifted(Arc<AtomicI64>),
}

impl Clock {
    pub fn system() -> Self {
        Clock(Source::System)
    }

    /// A clock that stands at `start` until it is set or advanced.
    pub fn manual(start: Timestamp) -> Self {
        Clock(Source::Manual(Arc::new(AtomicI64::new(start.micros()))))
    }

    /// A clock that runs with the system clock and can be moved ahead, for
    /// tests that need time to pass without waiting.
    pub fn shifted() -> Self {
        Clock(Source::Shifted(Arc::new(AtomicI64::new(0))))
    }

    pub fn now(&self) -> Timestamp {
        let system = || Timestamp(chrono::Utc::now().timestamp_micros());
        match &self.0 {
            Source::System => system(),
            Source::Manual(micros) => Timestamp(micros.load(Ordering::SeqCst)),
            Source::Shifted(offset) => system().plus_micros(offset.load(Ordering::SeqCst)),
        }
    }

    /// Moves a manual or shifted clock forward; the system clock cannot be
    /// moved.
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
        match &self.0 {
            Source::System => {}
            Source::Manual(micros) | Source::Shifted(micros) => {
                micros.fetch_add(by, Ordering::SeqCst);
            }
        }
    }

    /// Sets a manual clock.
    pub fn set(&self, to: Timestamp) {
        if let Source::Manual(micros) = &self.0 {
            micros.store(to.micros(), Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_stands_still_until_moved() {
        let clock = Clock::manual(Timestamp(1_000));
        assert_eq!(clock.now(), Timestamp(1_000));
        clock.advance(Duration::from_millis(2));
        assert_eq!(clock.now(), Timestamp(3_000));
        clock.set(Timestamp(7));
        assert_eq!(clock.now(), Timestamp(7));
    }

    #[test]
    fn a_shifted_clock_runs_ahead_of_the_system_clock() {
        let clock = Clock::shifted();
        let system = Clock::system();
        clock.advance(Duration::from_secs(3600));
        let ahead = clock.now().micros() - system.now().micros();
        assert!((3_599_000_000..=3_601_000_000).contains(&ahead), "{ahead}");
    }
}
