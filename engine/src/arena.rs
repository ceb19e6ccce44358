//! `Arena`: the engine's table for things created by commands (products, agreements, budget lines,
//! participants, trades).
//!
//! Ids derive from the creating command's sequence, so they arrive in increasing order: the table is
//! a pair of vectors sorted by id. Lookups by id are a binary search, hot-path references hold the
//! dense index, and iteration order is creation order, which keeps snapshots and hashes deterministic
//! without a hash map whose order would depend on a seed.

use serde::{Deserialize, Serialize};

/// A table of items in creation order, looked up by id or by dense index.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Arena<I, T> {
    ids: Vec<I>,
    items: Vec<T>,
}

impl<I, T> Default for Arena<I, T> {
    fn default() -> Self {
        Self {
            ids: Vec::new(),
            items: Vec::new(),
        }
    }
}

/// A dense index into an [`Arena`].
pub type Ix = u32;

impl<I: Ord + Copy, T> Arena<I, T> {
    /// Adds an item; its id must be greater than every id already held.
    ///
    /// # Panics
    /// When ids do not increase: the engine derives them from its sequence, so that is a bug.
    pub fn push(&mut self, id: I, item: T) -> Ix {
        assert!(
            self.ids.last().is_none_or(|last| *last < id),
            "arena ids must increase"
        );
        let ix = Ix::try_from(self.items.len()).expect("fewer than 2^32 items");
        self.ids.push(id);
        self.items.push(item);
        ix
    }

    /// The dense index of `id`.
    pub fn index_of(&self, id: I) -> Option<Ix> {
        self.ids
            .binary_search(&id)
            .ok()
            .and_then(|ix| Ix::try_from(ix).ok())
    }

    /// The item with `id`.
    pub fn get(&self, id: I) -> Option<&T> {
        self.index_of(id).map(|ix| &self.items[ix as usize])
    }

    /// The item at a dense index obtained from this arena.
    pub fn at(&self, ix: Ix) -> &T {
        &self.items[ix as usize]
    }

    /// The item at a dense index obtained from this arena, mutably.
    pub fn at_mut(&mut self, ix: Ix) -> &mut T {
        &mut self.items[ix as usize]
    }

    /// Items in creation order.
    pub fn iter(&self) -> impl Iterator<Item = (I, &T)> {
        self.ids.iter().copied().zip(self.items.iter())
    }
}
