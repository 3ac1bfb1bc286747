//! The blob encoding of vectors, byte-compatible with libSQL (`vectorSerializeWithMeta` and
//! `vectorParseMeta` in libSQL's `vector.c`).
//!
//! All numbers are little-endian. `n` is the number of dimensions, `len` the blob length.
//!
//! | type    | layout                                                                       | `len`               |
//! |---------|------------------------------------------------------------------------------|---------------------|
//! | `F32`   | `n × f32` — written without a type byte; a trailing `0x01` is accepted        | `4n` (or `4n + 1`)  |
//! | `F64`   | `n × f64`, `0x02`                                                            | `8n + 1`            |
//! | `F16`   | `n × binary16`, `0x05`                                                       | `2n + 1`            |
//! | `BF16`  | `n × bfloat16`, `0x06`                                                       | `2n + 1`            |
//! | `F8`    | `n × u8` code, `p` zero bytes (`p = (4 − n mod 4) mod 4`), `alpha: f32`, `shift: f32`, `0x00`, `p`, `0x04` | `n + p + 11` |
//! | `F1Bit` | `⌈n/8⌉` bytes of bits (element `i` = bit `i mod 8` of byte `i / 8`), a `0x00` pad byte if `⌈n/8⌉` is even, `t`, `0x03` | `⌈n/8⌉ + 2` or `+ 3` |
//!
//! How a reader tells the type: an **even** length is always a bare `F32` blob; an **odd** length
//! ends in the type byte. Every typed layout is built so that its length is odd.
//!
//! For `F1Bit`, `t` counts the bits of the blob without its type byte that are not dimensions:
//! `t = 8 × (len − 1) − n` (between 8 and 23). For `F8`, an element is `alpha × code + shift`.
//!
//! Reading is stricter than libSQL in three ways, because blobs come from disk and from users:
//! the length must be exactly the one the decoded dimensions imply (libSQL trusts the `t` and `p`
//! bytes), unused bits of the last `F1Bit` data byte are cleared, and more than `MAX_DIMS`
//! dimensions is an error for every type. The `F1Bit` pad byte and the `F8` padding are not checked
//! (libSQL writes zeros there and does not check them either).

use half::{bf16, f16};

use super::element::{VectorType, MAX_DIMS};
use super::vector::{bit_bytes, check_dims, clear_unused_bits, Data, Vector};
use crate::error::VectorError;

/// Length in bytes of the blob of a `ty` vector with `dims` dimensions, as [`Vector::to_blob`]
/// writes it.
#[must_use]
pub fn blob_len(ty: VectorType, dims: usize) -> usize {
    match ty {
        VectorType::F32 => 4 * dims,
        VectorType::F64 => 8 * dims + 1,
        VectorType::F16 | VectorType::BF16 => 2 * dims + 1,
        VectorType::F8 => dims.next_multiple_of(4) + 8 + 3,
        VectorType::F1Bit => {
            let data = bit_bytes(dims);
            data + if data % 2 == 0 { 3 } else { 2 }
        }
    }
}

impl Vector {
    /// The libSQL blob encoding of this vector (see the module documentation for the layout).
    #[must_use]
    pub fn to_blob(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(blob_len(self.vector_type(), self.dims()));
        self.write_blob(&mut out);
        out
    }

    /// Appends the libSQL blob encoding of this vector to `out`.
    pub fn write_blob(&self, out: &mut Vec<u8>) {
        let start = out.len();
        let ty = self.vector_type();
        match &self.data {
            Data::F32(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            Data::F64(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            Data::F16(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            Data::BF16(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            Data::F8 { codes, alpha, shift } => {
                let pad = codes.len().next_multiple_of(4) - codes.len();
                out.extend_from_slice(codes);
                out.resize(out.len() + pad, 0);
                out.extend_from_slice(&alpha.to_le_bytes());
                out.extend_from_slice(&shift.to_le_bytes());
                out.extend_from_slice(&[0, pad as u8]);
            }
            Data::F1Bit { bits, dims } => {
                out.extend_from_slice(bits);
                if bits.len() % 2 == 0 {
                    out.push(0);
                }
                // Bits of the blob (type byte excluded) that are not dimensions; the blob written
                // so far plus this byte is `len - 1` bytes long.
                let trailing = 8 * (out.len() - start + 1) - dims;
                out.push(trailing as u8);
            }
        }
        if ty != VectorType::F32 {
            out.push(ty.code());
        }
        debug_assert_eq!(out.len() - start, blob_len(ty, self.dims()));
    }

    /// Decodes a libSQL vector blob, telling its type from its length and trailing byte.
    ///
    /// An empty blob is the `F32` vector with no dimensions, as in libSQL.
    pub fn from_blob(blob: &[u8]) -> Result<Self, VectorError> {
        let len = blob.len();
        let invalid = |reason| VectorError::InvalidBlob { len, reason };
        let Some((&code, body)) = blob.split_last().filter(|_| len % 2 == 1) else {
            // Even length: a bare f32 vector.
            if len % 4 != 0 {
                return Err(invalid("float32 vector blob length must be divisible by 4"));
            }
            return decode_f32(blob, len);
        };
        let Some(ty) = VectorType::from_code(code) else {
            return Err(VectorError::UnknownTypeCode { len, code });
        };
        let n = body.len();
        let data = match ty {
            VectorType::F32 => {
                if n % 4 != 0 {
                    return Err(invalid(
                        "float32 vector blob length must be divisible by 4 (excluding the type byte)",
                    ));
                }
                return decode_f32(body, len);
            }
            VectorType::F64 => {
                if n % 8 != 0 {
                    return Err(invalid(
                        "float64 vector blob length must be divisible by 8 (excluding the type byte)",
                    ));
                }
                dims_ok(n / 8, len)?;
                Data::F64(body.chunks_exact(8).map(|c| f64::from_le_bytes(le(c))).collect())
            }
            VectorType::F16 => {
                dims_ok(n / 2, len)?;
                Data::F16(body.chunks_exact(2).map(|c| f16::from_le_bytes(le(c))).collect())
            }
            VectorType::BF16 => {
                dims_ok(n / 2, len)?;
                Data::BF16(body.chunks_exact(2).map(|c| bf16::from_le_bytes(le(c))).collect())
            }
            VectorType::F8 => {
                if n < 10 {
                    return Err(invalid("float8 vector blob must have at least 11 bytes"));
                }
                let pad = usize::from(body[n - 1]);
                let Some(dims) =
                    (n - 10).checked_sub(pad).filter(|d| (d + pad) % 4 == 0 && pad < 4)
                else {
                    return Err(invalid(
                        "float8 vector blob padding byte does not match its length",
                    ));
                };
                dims_ok(dims, len)?;
                let params = &body[dims + pad..];
                let alpha = f32::from_le_bytes(le(&params[..4]));
                let shift = f32::from_le_bytes(le(&params[4..8]));
                Data::F8 { codes: body[..dims].to_vec(), alpha, shift }
            }
            VectorType::F1Bit => {
                if n == 0 {
                    return Err(invalid("float1bit vector blob must have at least 3 bytes"));
                }
                let trailing = usize::from(body[n - 1]);
                let Some(dims) = (8 * n).checked_sub(trailing) else {
                    return Err(invalid(
                        "float1bit vector blob trailing-bits byte exceeds its length",
                    ));
                };
                dims_ok(dims, len)?;
                if blob_len(VectorType::F1Bit, dims) != len {
                    return Err(invalid(
                        "float1bit vector blob trailing-bits byte does not match its length",
                    ));
                }
                let mut bits = body[..bit_bytes(dims)].to_vec();
                clear_unused_bits(&mut bits, dims);
                Data::F1Bit { bits, dims }
            }
        };
        Ok(Vector::from_data(data))
    }
}

fn decode_f32(body: &[u8], len: usize) -> Result<Vector, VectorError> {
    dims_ok(body.len() / 4, len)?;
    let v = body.chunks_exact(4).map(|c| f32::from_le_bytes(le(c))).collect();
    Ok(Vector::from_data(Data::F32(v)))
}

fn dims_ok(dims: usize, len: usize) -> Result<(), VectorError> {
    check_dims(dims).map_err(|_| VectorError::InvalidBlob {
        len,
        reason: "vector blob has more than 65536 dimensions",
    })
}

/// A chunk from `chunks_exact(N)` as an array.
fn le<const N: usize>(chunk: &[u8]) -> [u8; N] {
    chunk.try_into().expect("chunks_exact yields chunks of exactly N bytes")
}

const _: () = assert!(MAX_DIMS == 65536, "the error text of dims_ok names the limit");

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v32(values: &[f32]) -> Vector {
        Vector::from_f32(values).expect("few dims")
    }

    #[test]
    fn blob_f32_is_bare_little_endian_and_accepts_type_byte() {
        let v = v32(&[1.0, -2.0]);
        let blob = v.to_blob();
        assert_eq!(blob, [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
        assert_eq!(Vector::from_blob(&blob), Ok(v.clone()));
        let mut typed = blob.clone();
        typed.push(1);
        assert_eq!(Vector::from_blob(&typed), Ok(v));
        assert_eq!(Vector::from_blob(&[]), Ok(v32(&[])));
    }

    #[test]
    fn blob_golden_bytes_for_each_type() {
        let base = v32(&[1.0, -1.0, 0.5]);
        let f64_blob = base.convert(VectorType::F64).to_blob();
        assert_eq!(f64_blob.len(), 25);
        assert_eq!(&f64_blob[..8], &1.0f64.to_le_bytes());
        assert_eq!(f64_blob[24], 2);
        assert_eq!(
            base.convert(VectorType::F16).to_blob(),
            [0x00, 0x3c, 0x00, 0xbc, 0x00, 0x38, 5]
        );
        assert_eq!(
            base.convert(VectorType::BF16).to_blob(),
            [0x80, 0x3f, 0x80, 0xbf, 0x00, 0x3f, 6]
        );
        // 3 bits [+, -, +] = 0b101; one data byte (odd) → no pad; t = 8 × 2 − 3 = 13.
        assert_eq!(base.convert(VectorType::F1Bit).to_blob(), [0b101, 13, 3]);
        // 9 bits → two data bytes (even) → pad byte; t = 8 × 4 − 9 = 23.
        let nine = Vector::from_bits(vec![0xff, 0x01], 9).expect("9 bits");
        assert_eq!(nine.to_blob(), [0xff, 0x01, 0, 23, 3]);
        // f8: 3 codes, 1 padding byte, alpha, shift, 0, 1, 4.
        let f8 = Vector::from_f8(vec![0, 128, 255], 0.25, -2.0).expect("3 dims");
        let mut expected = vec![0, 128, 255, 0];
        expected.extend_from_slice(&0.25f32.to_le_bytes());
        expected.extend_from_slice(&(-2.0f32).to_le_bytes());
        expected.extend_from_slice(&[0, 1, 4]);
        assert_eq!(f8.to_blob(), expected);
        assert_eq!(Vector::from_blob(&expected), Ok(f8));
    }

    #[test]
    fn blob_empty_vectors_of_each_type_round_trip() {
        for ty in VectorType::ALL {
            let v = v32(&[]).convert(ty);
            let blob = v.to_blob();
            assert_eq!(blob.len(), blob_len(ty, 0), "{ty}");
            assert_eq!(Vector::from_blob(&blob), Ok(v), "{ty}");
        }
        // libSQL's empty 1-bit vector: pad byte, t = 16, type byte.
        assert_eq!(v32(&[]).convert(VectorType::F1Bit).to_blob(), [0, 16, 3]);
    }

    #[test]
    fn blob_rejects_lengths_that_do_not_fit_the_type() {
        let f8_params = [0u8; 8];
        let invalid: Vec<Vec<u8>> = vec![
            vec![0; 6],                                       // even, not a multiple of 4
            vec![0, 0, 1],                                    // f32 with type byte, 2 data bytes
            vec![0, 0, 0, 0, 2],                              // f64 with 4 data bytes
            vec![3],                                          // 1-bit with no data
            vec![0, 200, 3],                                  // 1-bit trailing bits beyond the blob
            vec![0, 7, 3],                  // 1-bit: t = 7 implies 9 dims, 5 bytes
            [&[0u8; 8][..], &[4]].concat(), // f8 shorter than its parameters
            [&[0u8; 2][..], &f8_params, &[0, 0, 4]].concat(), // f8: 2 codes need 2 pad bytes
            [&[0u8; 4][..], &f8_params, &[0, 4, 4]].concat(), // f8: pad byte must be < 4
        ];
        for blob in &invalid {
            match Vector::from_blob(blob) {
                Err(VectorError::InvalidBlob { len, .. }) => {
                    assert_eq!(len, blob.len(), "{blob:?}");
                }
                other => panic!("{blob:?} gave {other:?}"),
            }
        }
        // Edge cases that are valid: 7 bits in one byte (t = 8 × 2 − 7 = 9), the empty f8 vector,
        // and 2 codes with their 2 padding bytes.
        assert_eq!(Vector::from_blob(&[0, 9, 3]).map(|v| v.dims()), Ok(7));
        let empty_f8 = [&f8_params[..], &[0, 0, 4]].concat();
        assert_eq!(Vector::from_blob(&empty_f8).map(|v| v.dims()), Ok(0));
        let two_f8 = [&[7u8, 9, 0, 0][..], &f8_params, &[0, 2, 4]].concat();
        assert_eq!(Vector::from_blob(&two_f8).map(|v| v.dims()), Ok(2));

        assert_eq!(
            Vector::from_blob(&[1, 2, 9]),
            Err(VectorError::UnknownTypeCode { len: 3, code: 9 })
        );
        let too_big = vec![0u8; 4 * (MAX_DIMS + 1)];
        assert_eq!(
            Vector::from_blob(&too_big).map(|v| v.dims()),
            Err(VectorError::InvalidBlob {
                len: too_big.len(),
                reason: "vector blob has more than 65536 dimensions"
            })
        );
    }

    #[test]
    fn blob_1bit_clears_unused_bits_on_read() {
        let v = Vector::from_blob(&[0xff, 13, 3]).expect("3 bits");
        assert_eq!(v.dims(), 3);
        assert_eq!(v.as_bits(), Some(&[0b111u8][..]));
    }

    fn any_vector() -> impl Strategy<Value = Vector> {
        let ty = prop::sample::select(VectorType::ALL.to_vec());
        let dims = prop_oneof![0usize..40, Just(1536), Just(MAX_DIMS)];
        (ty, dims, any::<u64>()).prop_map(|(ty, dims, seed)| {
            let mut x = seed | 1;
            let values: Vec<f32> = (0..dims)
                .map(|_| {
                    // xorshift: cheap, deterministic from the proptest-chosen seed.
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % 2001) as f32 / 100.0 - 10.0
                })
                .collect();
            Vector::from_f32_as(&values, ty).expect("dims within limit")
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn blob_round_trips_with_libsql_length(v in any_vector()) {
            let blob = v.to_blob();
            prop_assert_eq!(blob.len(), blob_len(v.vector_type(), v.dims()));
            prop_assert_eq!(blob.len() % 2 == 1, v.vector_type() != VectorType::F32);
            let back = Vector::from_blob(&blob).expect("own blob decodes");
            prop_assert_eq!(back.to_blob(), blob);
            prop_assert_eq!(back, v);
        }

        #[test]
        fn blob_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(v) = Vector::from_blob(&bytes) {
                v.check_invariants();
                prop_assert_eq!(v.to_blob().len(), bytes.len() - usize::from(
                    v.vector_type() == VectorType::F32 && bytes.len() % 2 == 1));
            }
        }
    }
}
