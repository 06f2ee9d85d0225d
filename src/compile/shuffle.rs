//! Python's `random.Random(seed).shuffle(list)`, exactly (semantics §2.7.6): MT19937 seeded by
//! `init_by_array` over the 32-bit words of `|seed|`, `getrandbits`, `randbelow` by rejection,
//! and the Fisher–Yates walk from the end.

const N: usize = 624;
const M: usize = 397;

/// The Mersenne Twister MT19937 as CPython's `_random` module runs it.
pub struct Mt19937 {
    state: [u32; N],
    index: usize,
}

impl Mt19937 {
    fn init_genrand(seed: u32) -> Self {
        let mut state = [0u32; N];
        state[0] = seed;
        for i in 1..N {
            state[i] = 1_812_433_253u32
                .wrapping_mul(state[i - 1] ^ (state[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        Mt19937 { state, index: N }
    }

    fn init_by_array(key: &[u32]) -> Self {
        let mut mt = Mt19937::init_genrand(19_650_218);
        let s = &mut mt.state;
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(key.len()) {
            s[i] = (s[i] ^ (s[i - 1] ^ (s[i - 1] >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                s[0] = s[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            s[i] = (s[i] ^ (s[i - 1] ^ (s[i - 1] >> 30)).wrapping_mul(1_566_083_941))
                .wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                s[0] = s[N - 1];
                i = 1;
            }
        }
        s[0] = 0x8000_0000;
        mt
    }

    /// `random.seed(seed)` for an integer seed: the absolute value, split into 32-bit words,
    /// least significant first (`[0]` for zero).
    pub fn from_python_seed(seed: i64) -> Self {
        let mut magnitude = seed.unsigned_abs();
        let mut key = Vec::with_capacity(2);
        while magnitude > 0 {
            key.push((magnitude & 0xffff_ffff) as u32);
            magnitude >>= 32;
        }
        if key.is_empty() {
            key.push(0);
        }
        Mt19937::init_by_array(&key)
    }

    fn twist(&mut self) {
        for i in 0..N {
            let y = (self.state[i] & 0x8000_0000) | (self.state[(i + 1) % N] & 0x7fff_ffff);
            let mut v = self.state[(i + M) % N] ^ (y >> 1);
            if y & 1 != 0 {
                v ^= 0x9908_b0df;
            }
            self.state[i] = v;
        }
        self.index = 0;
    }

    /// The next tempered 32-bit output.
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.twist();
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `getrandbits(k)` for 1 ≤ k ≤ 32.
    fn getrandbits(&mut self, k: u32) -> u32 {
        self.next_u32() >> (32 - k)
    }

    /// `_randbelow(n)` for 1 ≤ n < 2³²: draw `bit_length(n)` bits until below `n`.
    fn randbelow(&mut self, n: u32) -> u32 {
        let k = 32 - n.leading_zeros();
        loop {
            let r = self.getrandbits(k);
            if r < n {
                return r;
            }
        }
    }
}

/// `random.Random(seed).shuffle(list(range(n)))`: position k of the result holds the product
/// index of the k-th output row. `n` must be below 2³².
pub fn permutation(seed: i64, n: u32) -> Vec<u32> {
    let mut items: Vec<u32> = (0..n).collect();
    let mut rng = Mt19937::from_python_seed(seed);
    for i in (1..items.len()).rev() {
        let j = rng.randbelow(i as u32 + 1) as usize;
        items.swap(i, j);
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every vector of semantics §2.7.6.
    #[test]
    fn reference_shuffle_vectors() {
        let cases: &[(i64, u32, &[u32])] = &[
            (123, 3, &[2, 1, 0]),
            (456, 3, &[0, 1, 2]),
            (0, 5, &[2, 1, 0, 4, 3]),
            (1, 4, &[3, 0, 2, 1]),
            (42, 10, &[7, 3, 2, 8, 5, 6, 9, 4, 0, 1]),
            (-42, 10, &[7, 3, 2, 8, 5, 6, 9, 4, 0, 1]),
            (17, 10, &[7, 3, 0, 5, 1, 9, 2, 4, 6, 8]),
            (17, 12, &[10, 3, 0, 2, 7, 11, 1, 9, 5, 4, 6, 8]),
            (7, 12, &[7, 11, 3, 10, 8, 4, 9, 1, 0, 6, 2, 5]),
            (123, 8, &[1, 4, 5, 6, 3, 7, 2, 0]),
            (4_294_967_297, 5, &[2, 4, 0, 3, 1]),
        ];
        for (seed, n, want) in cases {
            assert_eq!(permutation(*seed, *n), *want, "seed {seed}, n {n}");
        }
    }

    #[test]
    fn first_raw_outputs() {
        let mut rng = Mt19937::from_python_seed(42);
        assert_eq!(
            [rng.next_u32(), rng.next_u32(), rng.next_u32()],
            [2_746_317_213, 478_163_327, 107_420_369]
        );
        let mut rng = Mt19937::from_python_seed(0);
        assert_eq!(
            [rng.next_u32(), rng.next_u32(), rng.next_u32()],
            [3_626_764_237, 1_654_615_998, 3_255_389_356]
        );
    }

    #[test]
    fn degenerate_sizes() {
        assert!(permutation(5, 0).is_empty());
        assert_eq!(permutation(5, 1), [0]);
    }
}
