//! The persisted form of one graph node: its level and neighbour keys, without its vector (the
//! engine keeps vectors in the user's table and passes them back to `load`).
//!
//! ```text
//! offset  size     field
//! 0       1        format version, RECORD_VERSION (= 1)
//! 1       1        level L (0 ..= MAX_LEVEL; always 0 for DiskANN)
//! 2       ...      for each layer 0 ..= L:
//!                    varint  c, the number of neighbours on this layer
//!                    varint  zigzag(k_1 − key)           (k_1 < k_2 < ... < k_c, the neighbour keys)
//!                    varint  k_i − k_(i−1) − 1, for i = 2 ..= c
//! ```
//!
//! Varints are LEB128 (7 bits per byte, least significant group first, high bit = "more"), at
//! most 10 bytes for a `u64`; differences are computed with wrapping `i64` arithmetic, so any
//! keys encode. Neighbour keys are sorted, so the gaps are small: a node of a 100k-row table with
//! 20 neighbours takes about 45 bytes. A record with trailing bytes, an over-long varint, more
//! neighbours than the layer allows, or a level out of range is corrupt.

use crate::error::VectorError;

/// The format version byte this code writes and reads.
pub(super) const RECORD_VERSION: u8 = 1;

/// Appends `v` as a LEB128 varint.
fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Encodes a node: `layers[l]` are the neighbour keys on layer `l` (any order; sorted here).
pub(super) fn encode(key: i64, layers: &mut [Vec<i64>]) -> Vec<u8> {
    let level = u8::try_from(layers.len() - 1).expect("level fits a byte");
    let mut out = Vec::with_capacity(2 + layers.iter().map(|l| 1 + 3 * l.len()).sum::<usize>());
    out.push(RECORD_VERSION);
    out.push(level);
    for keys in layers.iter_mut() {
        keys.sort_unstable();
        put_varint(&mut out, keys.len() as u64);
        let mut prev = key;
        for (i, &k) in keys.iter().enumerate() {
            if i == 0 {
                put_varint(&mut out, zigzag(k.wrapping_sub(key)));
            } else {
                // Sorted and distinct: the true difference is in 1 ..= 2^64 − 1.
                put_varint(&mut out, (k.wrapping_sub(prev) as u64).wrapping_sub(1));
            }
            prev = k;
        }
    }
    out
}

/// A decoding cursor that reports every failure as a corrupt `key`.
struct Reader<'a> {
    key: i64,
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn corrupt(&self, reason: &'static str) -> VectorError {
        VectorError::CorruptNode { key: self.key, reason }
    }

    fn byte(&mut self) -> Result<u8, VectorError> {
        let b = *self.bytes.get(self.pos).ok_or_else(|| self.corrupt("record is truncated"))?;
        self.pos += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, VectorError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(self.corrupt("varint overflows 64 bits"));
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.corrupt("varint longer than 10 bytes"))
    }
}

/// Decodes the record of node `key`: its level and the neighbour keys of each layer (sorted,
/// distinct). `max_degree(layer)` bounds each count before anything is allocated for it.
pub(super) fn decode(
    key: i64,
    bytes: &[u8],
    max_level: u8,
    max_degree: impl Fn(u8) -> usize,
) -> Result<(u8, Vec<Vec<i64>>), VectorError> {
    let mut r = Reader { key, bytes, pos: 0 };
    if r.byte()? != RECORD_VERSION {
        return Err(r.corrupt("unknown record format version"));
    }
    let level = r.byte()?;
    if level > max_level {
        return Err(r.corrupt("level out of range"));
    }
    let mut layers = Vec::with_capacity(level as usize + 1);
    for layer in 0..=level {
        let count = r.varint()?;
        if count > max_degree(layer) as u64 {
            return Err(r.corrupt("more neighbours than the layer allows"));
        }
        let mut keys = Vec::with_capacity(count as usize);
        let mut prev = key;
        for i in 0..count {
            let v = r.varint()?;
            let k = if i == 0 {
                key.wrapping_add(unzigzag(v))
            } else {
                let gap = v.checked_add(1).ok_or_else(|| r.corrupt("neighbour gap overflows"))?;
                let k = prev.wrapping_add(gap as i64);
                if k <= prev {
                    return Err(r.corrupt("neighbour keys are not ascending"));
                }
                k
            };
            keys.push(k);
            prev = k;
        }
        layers.push(keys);
    }
    if r.pos != bytes.len() {
        return Err(r.corrupt("trailing bytes after the record"));
    }
    Ok((level, layers))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn record_layout_is_as_documented() {
        let mut layers = vec![vec![12, 9, 10], vec![]];
        let bytes = encode(10, &mut layers);
        // version, level 1, layer 0: 3 keys 9 (zigzag(-1) = 1), 10 (gap 1 -> 0), 12 (gap 2 -> 1);
        // layer 1: 0 keys.
        assert_eq!(bytes, [1, 1, 3, 1, 0, 1, 0]);
        assert_eq!(decode(10, &bytes, 30, |_| 32), Ok((1, vec![vec![9, 10, 12], vec![]])));
    }

    #[test]
    fn record_rejects_corruption() {
        let mut layers = vec![vec![1, 2, 3]];
        let good = encode(5, &mut layers);
        let err = |b: &[u8]| match decode(5, b, 30, |_| 4) {
            Err(VectorError::CorruptNode { key: 5, reason }) => reason,
            other => panic!("{b:?}: {other:?}"),
        };
        for cut in 0..good.len() {
            assert_eq!(err(&good[..cut]), "record is truncated");
        }
        assert_eq!(err(&[&good[..], &[0]].concat()), "trailing bytes after the record");
        assert_eq!(err(&[2, 0, 0]), "unknown record format version");
        assert_eq!(err(&[1, 31, 0]), "level out of range");
        assert_eq!(err(&[1, 0, 5]), "more neighbours than the layer allows");
        assert_eq!(
            err(&[1, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
            "varint overflows 64 bits"
        );
        assert_eq!(
            err(&[1, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x01]),
            "varint longer than 10 bytes"
        );
        // Gap of 2^64 - 1 wraps around to a smaller key.
        assert_eq!(
            err(&[1, 0, 2, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            "neighbour keys are not ascending"
        );
    }

    proptest! {
        #[test]
        fn record_round_trips(key: i64, layers in prop::collection::vec(prop::collection::btree_set(any::<i64>(), 0..40), 1..4)) {
            let mut layers: Vec<Vec<i64>> = layers.into_iter().map(|s| s.into_iter().collect()).collect();
            let bytes = encode(key, &mut layers);
            prop_assert_eq!(decode(key, &bytes, 30, |_| 40), Ok(((layers.len() - 1) as u8, layers)));
        }
    }
}
