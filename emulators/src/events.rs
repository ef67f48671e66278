//! An emulated server's event log: kept in order, numbered from 0, bounded
//! in count ([`EVENT_LOG_CAPACITY`]) and in bytes ([`EVENT_LOG_BYTES`]: the
//! oldest events go first), read a page at a time, and broadcast to
//! followers — `ccelab ctl events [--follow]` reads it.
//!
//! What a peer sends ends up in events (a bind name, a search base, an
//! SNI), so every text an event keeps is clipped to [`MAX_FIELD`] bytes
//! ([`clip`]): a client sending 9 MB DNs cannot grow the process.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

/// How many events a log keeps (the oldest are dropped beyond it; their
/// sequence numbers are not reused), so that a long load run stays bounded.
pub const EVENT_LOG_CAPACITY: usize = 100_000;

/// How many bytes of events a log keeps at most (by [`Weigh::weight`]).
pub const EVENT_LOG_BYTES: usize = 32 << 20;

/// The longest text an event keeps of one field, in bytes.
pub const MAX_FIELD: usize = 1024;

/// The most events one read returns ([`EventLog::page`]).
pub const MAX_PAGE: usize = 10_000;

/// `s` as an event keeps it: whole when at most [`MAX_FIELD`] bytes, else
/// its start and how long it was.
pub fn clip(s: &str) -> String {
    if s.len() <= MAX_FIELD {
        return s.to_string();
    }
    let mut end = MAX_FIELD;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}

/// What an event costs the log, in bytes (its texts and a fixed part).
pub trait Weigh {
    /// The event's weight.
    fn weight(&self) -> usize;
}

impl Weigh for usize {
    fn weight(&self) -> usize {
        std::mem::size_of::<usize>()
    }
}

struct Kept<T> {
    /// The sequence number of the first event kept.
    first: usize,
    events: VecDeque<(T, usize)>,
    bytes: usize,
}

/// The event log (cheap to clone: clones share it).
#[derive(Clone)]
pub struct EventLog<T: Clone> {
    log: Arc<Mutex<Kept<T>>>,
    tx: broadcast::Sender<T>,
}

impl<T: Clone> std::fmt::Debug for EventLog<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLog").finish_non_exhaustive()
    }
}

impl<T: Clone> Default for EventLog<T> {
    fn default() -> Self {
        EventLog {
            log: Arc::new(Mutex::new(Kept {
                first: 0,
                events: VecDeque::new(),
                bytes: 0,
            })),
            tx: broadcast::channel(1024).0,
        }
    }
}

impl<T: Clone + Weigh> EventLog<T> {
    /// Appends `e` (dropping the oldest events while the log is full in
    /// count or bytes) and sends it to every subscriber.
    pub fn record(&self, e: T) {
        let w = e.weight();
        {
            let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
            while !log.events.is_empty()
                && (log.events.len() >= EVENT_LOG_CAPACITY || log.bytes + w > EVENT_LOG_BYTES)
            {
                if let Some((_, old)) = log.events.pop_front() {
                    log.bytes -= old;
                }
                log.first += 1;
            }
            log.events.push_back((e.clone(), w));
            log.bytes += w;
        }
        let _ = self.tx.send(e);
    }
}

impl<T: Clone> EventLog<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Kept<T>> {
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Everything kept.
    pub fn snapshot(&self) -> Vec<T> {
        self.lock().events.iter().map(|(e, _)| e.clone()).collect()
    }

    /// The kept events numbered `seq` and later, with their numbers.
    pub fn since(&self, seq: usize) -> Vec<(usize, T)> {
        self.page(seq, usize::MAX)
    }

    /// At most `limit` kept events numbered `seq` and later, with their
    /// numbers (the next page starts after the last one).
    pub fn page(&self, seq: usize, limit: usize) -> Vec<(usize, T)> {
        let log = self.lock();
        let skip = seq.saturating_sub(log.first);
        log.events
            .iter()
            .skip(skip)
            .take(limit)
            .enumerate()
            .map(|(i, (e, _))| (log.first + skip + i, e.clone()))
            .collect()
    }

    /// The number the next event will get.
    pub fn next_seq(&self) -> usize {
        let log = self.lock();
        log.first + log.events.len()
    }

    /// The bytes of events kept (by [`Weigh::weight`]).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
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
        assert_eq!(l.page(0, 2), vec![(5, 5), (6, 6)]);
        assert_eq!(l.page(7, 1), vec![(7, 7)]);
        assert!(l.page(usize::MAX, 10).is_empty());
    }

    #[derive(Clone)]
    struct Big(String);
    impl Weigh for Big {
        fn weight(&self) -> usize {
            self.0.len()
        }
    }

    #[test]
    fn bounded_in_bytes_and_texts_clipped() {
        let l = EventLog::<Big>::default();
        let mb = "x".repeat(1 << 20);
        for _ in 0..100 {
            l.record(Big(mb.clone()));
        }
        assert!(l.bytes() <= EVENT_LOG_BYTES);
        assert_eq!(l.snapshot().len(), EVENT_LOG_BYTES >> 20);
        assert_eq!(l.next_seq(), 100);
        let c = clip(&"é".repeat(5000));
        assert!(c.len() < MAX_FIELD + 32, "{}", c.len());
        assert!(c.ends_with("… (10000 bytes)"), "{c}");
        assert_eq!(clip("short"), "short");
    }
}
