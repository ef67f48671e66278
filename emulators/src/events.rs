//! An emulated server's event log: kept in order (the last
//! [`EVENT_LOG_CAPACITY`]), numbered from 0, and broadcast to followers —
//! `ccelab ctl events [--follow]` reads it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

/// How many events a log keeps (the oldest are dropped beyond it; their
/// sequence numbers are not reused), so that a long load run stays bounded.
pub const EVENT_LOG_CAPACITY: usize = 100_000;

/// The event log (cheap to clone: clones share it).
#[derive(Clone, Debug)]
pub struct EventLog<T: Clone> {
    log: Arc<Mutex<(usize, VecDeque<T>)>>,
    tx: broadcast::Sender<T>,
}

impl<T: Clone> Default for EventLog<T> {
    fn default() -> Self {
        EventLog {
            log: Arc::new(Mutex::new((0, VecDeque::new()))),
            tx: broadcast::channel(1024).0,
        }
    }
}

impl<T: Clone> EventLog<T> {
    /// Appends `e` (dropping the oldest event when the log is full) and
    /// sends it to every subscriber.
    pub fn record(&self, e: T) {
        {
            let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
            if log.1.len() == EVENT_LOG_CAPACITY {
                log.1.pop_front();
                log.0 += 1;
            }
            log.1.push_back(e.clone());
        }
        let _ = self.tx.send(e);
    }

    /// Everything kept.
    pub fn snapshot(&self) -> Vec<T> {
        let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        log.1.iter().cloned().collect()
    }

    /// The kept events numbered `seq` and later, with their numbers.
    pub fn since(&self, seq: usize) -> Vec<(usize, T)> {
        let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        let first = log.0;
        log.1
            .iter()
            .enumerate()
            .map(|(i, e)| (first + i, e.clone()))
            .filter(|(n, _)| *n >= seq)
            .collect()
    }

    /// The number the next event will get.
    pub fn next_seq(&self) -> usize {
        let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        log.0 + log.1.len()
    }

    /// Events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<T> {
        self.tx.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_numbered() {
        let l = EventLog::<usize>::default();
        for i in 0..EVENT_LOG_CAPACITY + 5 {
            l.record(i);
        }
        let s = l.snapshot();
        assert_eq!(s.len(), EVENT_LOG_CAPACITY);
        assert_eq!(s[0], 5);
        assert_eq!(
            l.since(EVENT_LOG_CAPACITY + 3),
            vec![
                (EVENT_LOG_CAPACITY + 3, EVENT_LOG_CAPACITY + 3),
                (EVENT_LOG_CAPACITY + 4, EVENT_LOG_CAPACITY + 4)
            ]
        );
    }
}
