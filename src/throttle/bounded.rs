//! A map with a fixed capacity that forgets its least recently updated entry to make room.
//!
//! Entries live in a slab (a `Vec` whose slots are reused) threaded on a doubly linked list
//! from the least to the most recently updated; the index maps a key to its slot. Every
//! operation is O(1): no scan ever looks at more than one entry, whatever the number of
//! keys. Once full, memory stays where it is: the slab never grows past the capacity and
//! the index is sized at construction so that it never needs to grow either.

use std::collections::HashMap;

/// A key as the throttles store it: the first 128 bits of the SHA-256 of what identifies it,
/// so every entry has the same small size whatever the caller sent.
pub type Key = [u8; 16];

const NONE: u32 = u32::MAX;

struct Slot<V> {
    key: Key,
    value: V,
    older: u32,
    newer: u32,
}

pub struct BoundedMap<V> {
    index: HashMap<Key, u32>,
    /// The most the index has had room for. Its `capacity()` dips while removals leave
    /// tombstones, but what it allocated stays: this is that allocation.
    index_room: usize,
    slots: Vec<Slot<V>>,
    /// Slots emptied by `remove`, reused before the slab grows.
    free: Vec<u32>,
    oldest: u32,
    newest: u32,
    capacity: usize,
}

impl<V: Default> BoundedMap<V> {
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.clamp(1, NONE as usize - 1);
        // Twice the capacity: with at most half its room in use, the table rehashes in place
        // instead of growing when removals have left tombstones behind.
        let index = HashMap::with_capacity(capacity * 2);
        Self {
            index_room: index.capacity(),
            index,
            slots: Vec::new(),
            free: Vec::new(),
            oldest: NONE,
            newest: NONE,
            capacity,
        }
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes reserved by the index and the slab: what the map costs, as opposed to what it holds.
    pub fn reserved_bytes(&self) -> usize {
        self.index_room * (size_of::<Key>() + size_of::<u32>() + 1)
            + self.slots.capacity() * size_of::<Slot<V>>()
            + self.free.capacity() * size_of::<u32>()
    }

    pub fn get(&self, key: &Key) -> Option<&V> {
        let slot = *self.index.get(key)?;
        Some(&self.slots[slot as usize].value)
    }

    /// The entry without changing its place in the eviction order.
    pub fn get_mut(&mut self, key: &Key) -> Option<&mut V> {
        let slot = *self.index.get(key)?;
        Some(&mut self.slots[slot as usize].value)
    }

    /// The entry for `key`, made the most recently updated; a new one (the default value)
    /// when absent, evicting the least recently updated entry if the map is full.
    pub fn touch(&mut self, key: Key) -> &mut V {
        let slot = match self.index.get(&key) {
            Some(&slot) => {
                self.unlink(slot);
                slot
            }
            None => {
                let slot = self.vacant_slot(key);
                self.index.insert(key, slot);
                self.index_room = self.index_room.max(self.index.capacity());
                slot
            }
        };
        self.link_newest(slot);
        &mut self.slots[slot as usize].value
    }

    /// The least recently updated entry.
    pub fn oldest(&self) -> Option<(Key, &V)> {
        let slot = self.slots.get(self.oldest as usize)?;
        Some((slot.key, &slot.value))
    }

    pub fn remove(&mut self, key: &Key) {
        if let Some(slot) = self.index.remove(key) {
            self.unlink(slot);
            self.slots[slot as usize].value = V::default();
            self.free.push(slot);
        }
    }

    fn vacant_slot(&mut self, key: Key) -> u32 {
        if let Some(slot) = self.free.pop() {
            self.slots[slot as usize].key = key;
            return slot;
        }
        if self.slots.len() < self.capacity {
            if self.slots.capacity() == self.slots.len() {
                let room = self
                    .slots
                    .len()
                    .max(64)
                    .min(self.capacity - self.slots.len());
                self.slots.reserve_exact(room);
            }
            self.slots.push(Slot {
                key,
                value: V::default(),
                older: NONE,
                newer: NONE,
            });
            return (self.slots.len() - 1) as u32;
        }
        let slot = self.oldest;
        self.unlink(slot);
        let evicted = &mut self.slots[slot as usize];
        self.index.remove(&evicted.key);
        evicted.key = key;
        evicted.value = V::default();
        slot
    }

    fn unlink(&mut self, slot: u32) {
        let (older, newer) = {
            let s = &self.slots[slot as usize];
            (s.older, s.newer)
        };
        match older {
            NONE => self.oldest = newer,
            o => self.slots[o as usize].newer = newer,
        }
        match newer {
            NONE => self.newest = older,
            n => self.slots[n as usize].older = older,
        }
        let s = &mut self.slots[slot as usize];
        s.older = NONE;
        s.newer = NONE;
    }

    fn link_newest(&mut self, slot: u32) {
        let previous = self.newest;
        {
            let s = &mut self.slots[slot as usize];
            s.older = previous;
            s.newer = NONE;
        }
        match previous {
            NONE => self.oldest = slot,
            p => self.slots[p as usize].newer = slot,
        }
        self.newest = slot;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u32) -> Key {
        let mut k = [0; 16];
        k[..4].copy_from_slice(&n.to_be_bytes());
        k
    }

    #[test]
    fn a_full_map_forgets_the_least_recently_updated_entry() {
        let mut map = BoundedMap::<u32>::new(3);
        for n in 0..3 {
            *map.touch(key(n)) = n;
        }
        map.touch(key(0));
        *map.touch(key(3)) = 3;
        assert_eq!(map.len(), 3);
        assert!(map.get(&key(1)).is_none(), "the oldest went");
        assert_eq!(map.get(&key(0)), Some(&0), "a touched entry stays");
        assert_eq!(map.get(&key(3)), Some(&3));
    }

    #[test]
    fn removed_slots_are_reused_and_the_order_survives_removals() {
        let mut map = BoundedMap::<u32>::new(3);
        for n in 0..3 {
            map.touch(key(n));
        }
        map.remove(&key(1));
        map.touch(key(4));
        map.touch(key(5));
        assert_eq!(map.len(), 3);
        assert!(map.get(&key(0)).is_none());
        for n in [2, 4, 5] {
            assert!(map.get(&key(n)).is_some(), "{n}");
        }
        map.remove(&key(2));
        map.remove(&key(4));
        map.remove(&key(5));
        assert_eq!(map.len(), 0);
        map.touch(key(6));
        assert_eq!(map.len(), 1);
    }

    #[test]
    fn a_million_distinct_keys_leave_the_reserved_memory_where_the_capacity_put_it() {
        let mut map = BoundedMap::<u64>::new(1000);
        let churn = |map: &mut BoundedMap<u64>, keys: std::ops::Range<u32>| {
            for n in keys {
                *map.touch(key(n)) += 1;
                if n % 3 == 0 {
                    map.remove(&key(n - 1));
                }
            }
        };
        churn(&mut map, 1..10_000);
        let warm = map.reserved_bytes();
        churn(&mut map, 10_000..1_000_000);
        assert!((999..=1000).contains(&map.len()));
        assert_eq!(map.reserved_bytes(), warm);
    }
}
