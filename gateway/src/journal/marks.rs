//! Where the journal's consumers (the persister, the publisher) stand, combined into the one mark
//! the engine task keeps segments behind: the lowest of them, so no segment a consumer still needs
//! is pruned.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use engine::types::Seq;

/// The consumers' marks.
#[derive(Clone, Debug)]
pub struct Marks {
    combined: Arc<AtomicU64>,
    each: Arc<Mutex<BTreeMap<&'static str, u64>>>,
}

impl Marks {
    /// Marks for `consumers`, each at the start until it reports, combined into `combined`.
    pub fn new(combined: Arc<AtomicU64>, consumers: &[&'static str]) -> Self {
        let each = consumers.iter().map(|c| (*c, 0)).collect();
        combined.store(0, Ordering::Release);
        Self { combined, each: Arc::new(Mutex::new(each)) }
    }

    /// `consumer` has passed `seq`.
    pub fn report(&self, consumer: &'static str, seq: Seq) {
        let mut each = self.each.lock().unwrap_or_else(PoisonError::into_inner);
        each.insert(consumer, seq.0);
        let lowest = each.values().copied().min().unwrap_or(0);
        self.combined.store(lowest, Ordering::Release);
    }

    /// The lowest mark.
    pub fn lowest(&self) -> Seq {
        Seq(self.combined.load(Ordering::Acquire))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_combined_mark_is_the_lowest_consumer_and_waits_for_one_that_never_reported() {
        let marks = Marks::new(Arc::new(AtomicU64::new(7)), &["persister", "publisher"]);
        assert_eq!(marks.lowest(), Seq(0));
        marks.report("persister", Seq(40));
        assert_eq!(marks.lowest(), Seq(0), "the publisher has not reported");
        marks.report("publisher", Seq(25));
        assert_eq!(marks.lowest(), Seq(25));
        marks.report("publisher", Seq(60));
        assert_eq!(marks.lowest(), Seq(40));
    }
}
