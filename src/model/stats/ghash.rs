//! The iteration order of a GLib `GHashTable` (GLib 2.74, the one tshark
//! 4.0 is built with on Debian 12), for the statistics tshark prints with
//! `g_hash_table_foreach`: `-z http,stat`'s status codes and methods come
//! out in the table's bucket order, not sorted.
//!
//! Only the order is modelled, not the values: keys go in with their hash
//! (`g_direct_hash`: the number itself; `g_str_hash`: djb2 over signed
//! chars), buckets are found as GLib finds them (`hash * 11 % prime`,
//! quadratic probing), and the table grows as GLib grows it (at 15/16
//! occupancy, to the power of two above `nnodes * 1.333`, entries moved in
//! place by eviction). Deletion is not needed and not modelled.

/// `prime_mod[shift]`: the modulus GLib uses for a table of `1 << shift`.
const PRIME_MOD: [u32; 32] = [
    1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071,
    262139, 524287, 1048573, 2097143, 4194301, 8388593, 16777213, 33554393, 67108859, 134217689,
    268435399, 536870909, 1073741789, 2147483647,
];
const MIN_SHIFT: u32 = 3;

/// A GLib hash table's bucket layout, holding keys of type `K`.
#[derive(Debug, Clone)]
pub struct GHashOrder<K> {
    shift: u32,
    hashes: Vec<u32>,
    keys: Vec<Option<K>>,
    nnodes: usize,
    noccupied: usize,
}

/// `g_direct_hash` of an unsigned number.
pub fn direct_hash(v: u32) -> u32 {
    v
}

/// `g_str_hash`: djb2 over the bytes read as signed chars.
pub fn str_hash(s: &str) -> u32 {
    s.bytes().fold(5381u32, |h, b| {
        h.wrapping_mul(33).wrapping_add(i32::from(b as i8) as u32)
    })
}

impl<K: PartialEq + Clone> Default for GHashOrder<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: PartialEq + Clone> GHashOrder<K> {
    pub fn new() -> Self {
        let size = 1usize << MIN_SHIFT;
        GHashOrder {
            shift: MIN_SHIFT,
            hashes: vec![0; size],
            keys: vec![None; size],
            nnodes: 0,
            noccupied: 0,
        }
    }

    fn size(&self) -> usize {
        1 << self.shift
    }

    fn mask(&self) -> usize {
        self.size() - 1
    }

    fn index(&self, hash: u32) -> usize {
        (hash.wrapping_mul(11) % PRIME_MOD[self.shift as usize]) as usize
    }

    /// Where `key` is, or the free bucket it would go to.
    fn lookup(&self, key: &K, hash: u32) -> (usize, bool) {
        let mut i = self.index(hash);
        let mut step = 0;
        while self.hashes[i] != 0 {
            if self.hashes[i] == hash && self.keys[i].as_ref() == Some(key) {
                return (i, true);
            }
            step += 1;
            i = (i + step) & self.mask();
        }
        (i, false)
    }

    /// `g_hash_table_insert` of a key not necessarily new.
    pub fn insert(&mut self, key: K, hash: u32) {
        // GLib reserves 0 (unused) and 1 (tombstone).
        let hash = if hash < 2 { 2 } else { hash };
        let (i, exists) = self.lookup(&key, hash);
        if exists {
            return;
        }
        self.hashes[i] = hash;
        self.keys[i] = Some(key);
        self.nnodes += 1;
        self.noccupied += 1;
        let size = self.size();
        if (size > self.nnodes * 4 && size > 1 << MIN_SHIFT)
            || size <= self.noccupied + self.noccupied / 16
        {
            self.resize();
        }
    }

    /// `g_hash_table_resize`: in place, each entry moved to its new
    /// bucket, evicting (and then moving) what is there.
    fn resize(&mut self) {
        let old_size = self.size();
        let mut n = (self.nnodes as f64 * 1.333) as u64;
        let mut shift = 0;
        while n != 0 {
            n >>= 1;
            shift += 1;
        }
        self.shift = shift.max(MIN_SHIFT);
        let new_size = self.size();
        if new_size > old_size {
            self.hashes.resize(new_size, 0);
            self.keys.resize(new_size, None);
        }
        let mut moved = vec![false; new_size.max(old_size)];
        for i in 0..old_size {
            let h = self.hashes[i];
            if h < 2 {
                self.hashes[i] = 0;
                continue;
            }
            if moved[i] {
                continue;
            }
            self.hashes[i] = 0;
            let mut hash = h;
            let mut key = self.keys[i].take();
            loop {
                let mut j = self.index(hash);
                let mut step = 0;
                while moved[j] {
                    step += 1;
                    j = (j + step) & self.mask();
                }
                moved[j] = true;
                let replaced = self.hashes[j];
                self.hashes[j] = hash;
                let replaced_key = std::mem::replace(&mut self.keys[j], key);
                if replaced < 2 {
                    break;
                }
                hash = replaced;
                key = replaced_key;
            }
        }
        if new_size < old_size {
            self.hashes.truncate(new_size);
            self.keys.truncate(new_size);
        }
        self.noccupied = self.nnodes;
    }

    /// The keys in `g_hash_table_foreach` order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.hashes
            .iter()
            .zip(&self.keys)
            .filter(|(h, _)| **h >= 2)
            .filter_map(|(_, k)| k.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tshark 4.0's `-z http,stat` on the bundled 418/406 capture lists
    /// its codes in this order (and curl's capture 200, 304, 501, 404).
    #[test]
    fn status_codes_come_out_in_tsharks_order() {
        let mut t = GHashOrder::new();
        for c in crate::model::stats::http::STATUS_CODES {
            t.insert(c.0, direct_hash(u32::from(c.0)));
        }
        let order: Vec<u16> = t.keys().copied().collect();
        let pick = |set: &[u16]| -> Vec<u16> {
            order.iter().copied().filter(|c| set.contains(c)).collect()
        };
        assert_eq!(
            pick(&[200, 304, 400, 404, 406, 415, 418, 501]),
            [406, 418, 200, 304, 501, 400, 415, 404]
        );
        assert_eq!(pick(&[200, 304, 404, 501]), [200, 304, 501, 404]);
        assert_eq!(order.len(), crate::model::stats::http::STATUS_CODES.len());
    }

    #[test]
    fn methods_come_out_in_tsharks_order() {
        let mut t = GHashOrder::new();
        for m in ["GET", "HEAD", "POST"] {
            t.insert(m.to_string(), str_hash(m));
        }
        let order: Vec<&str> = t.keys().map(String::as_str).collect();
        assert_eq!(order, ["GET", "HEAD", "POST"]);
    }
}
