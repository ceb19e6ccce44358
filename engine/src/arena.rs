//! `Arena`: the engine's table for things created by commands (products, agreements, budget lines,
//! participants, trades).
//!
//! Ids derive from the creating command's sequence, so they arrive in increasing order. Items sit in
//! a vector in creation order, which is the order of iteration and of snapshots; hot-path references
//! hold the dense index. Lookups by id go through a hash index that is never iterated (so its order
//! cannot reach an event or a snapshot), is not stored, and is rebuilt when a snapshot is restored.
//! Its hasher is the fixed FxHash, so not even a hash seed varies between runs.

use std::hash::Hash;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// A dense index into an [`Arena`].
pub type Ix = u32;

/// A table of items in creation order, looked up by id or by dense index.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(
    from = "Stored<I, T>",
    bound(deserialize = "I: Deserialize<'de> + Hash + Eq + Copy, T: Deserialize<'de>")
)]
pub struct Arena<I, T> {
    ids: Vec<I>,
    items: Vec<T>,
    #[serde(skip)]
    index: FxHashMap<I, Ix>,
}

/// What a snapshot holds of an arena: ids and items, without the derived index.
#[derive(Deserialize)]
struct Stored<I, T> {
    ids: Vec<I>,
    items: Vec<T>,
}

impl<I: Hash + Eq + Copy, T> From<Stored<I, T>> for Arena<I, T> {
    fn from(stored: Stored<I, T>) -> Self {
        let index = stored.ids.iter().zip(0..).map(|(id, ix)| (*id, ix)).collect();
        Self { ids: stored.ids, items: stored.items, index }
    }
}

impl<I, T> Default for Arena<I, T> {
    fn default() -> Self {
        Self { ids: Vec::new(), items: Vec::new(), index: FxHashMap::default() }
    }
}

impl<I: Ord + Hash + Copy, T> Arena<I, T> {
    /// Adds an item; its id must be greater than every id already held.
    ///
    /// # Panics
    /// When ids do not increase: the engine derives them from its sequence, so that is a bug.
    pub fn push(&mut self, id: I, item: T) -> Ix {
        assert!(self.ids.last().is_none_or(|last| *last < id), "arena ids must increase");
        let ix = Ix::try_from(self.items.len()).expect("fewer than 2^32 items");
        self.ids.push(id);
        self.items.push(item);
        self.index.insert(id, ix);
        ix
    }

    /// The dense index of `id`.
    pub fn index_of(&self, id: I) -> Option<Ix> {
        self.index.get(&id).copied()
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
