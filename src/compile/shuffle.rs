//! Python's `random.Random(seed).shuffle(list)`, exactly (docs/reference.md §2.7.6): MT19937
//! seeded by `init_by_array` over the 32-bit words of `|seed|`, `getrandbits`, `randbelow` by
//! rejection, and the Fisher–Yates walk from the end. A seed is any decimal integer, of any size
//! (docs/decisions.md D23): [`Seed`].

pub use crate::seed::{MAX_SEED_DIGITS, Seed, SeedError};

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

    /// `random.seed(seed)` for an integer seed: `init_by_array` over [`Seed::to_mt_key`].
    pub fn from_python_seed(seed: &Seed) -> Self {
        Mt19937::init_by_array(&seed.to_mt_key())
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
pub fn permutation(seed: &Seed, n: u32) -> Vec<u32> {
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

    fn seed(text: &str) -> Seed {
        text.parse().expect("a test seed")
    }

    // Every vector of docs/reference.md §2.7.6.
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
        for (n_seed, n, want) in cases {
            assert_eq!(
                permutation(&Seed::from(*n_seed), *n),
                *want,
                "seed {n_seed}, n {n}"
            );
        }
    }

    // Seeds at and beyond ±2⁶³ and ±2⁶⁴ (docs/decisions.md D23). Each expected order is
    // CPython 3.11's `r = random.Random(seed); l = list(range(12)); r.shuffle(l)`.
    #[test]
    fn seeds_of_any_size_shuffle_as_python_does() {
        let cases: &[(&str, [u32; 12])] = &[
            (
                "9223372036854775807",
                [11, 1, 6, 9, 4, 3, 0, 8, 7, 2, 10, 5],
            ),
            (
                "9223372036854775808",
                [11, 0, 7, 5, 4, 10, 2, 1, 9, 3, 6, 8],
            ),
            (
                "-9223372036854775808",
                [11, 0, 7, 5, 4, 10, 2, 1, 9, 3, 6, 8],
            ),
            (
                "-9223372036854775809",
                [0, 4, 5, 6, 8, 3, 9, 1, 7, 10, 2, 11],
            ),
            (
                "18446744073709551615",
                [1, 8, 6, 9, 2, 11, 4, 7, 10, 5, 3, 0],
            ),
            (
                "18446744073709551616",
                [8, 10, 9, 3, 0, 6, 4, 2, 7, 1, 5, 11],
            ),
            (
                "-18446744073709551616",
                [8, 10, 9, 3, 0, 6, 4, 2, 7, 1, 5, 11],
            ),
            (
                "18446744073709551617",
                [11, 5, 3, 10, 9, 8, 2, 7, 0, 4, 6, 1],
            ),
            (
                "79228162514264337593543950341",
                [6, 8, 4, 5, 0, 10, 3, 7, 9, 11, 2, 1],
            ),
            (
                "1234567890123456789012345678901234567890",
                [11, 9, 0, 7, 5, 2, 8, 10, 4, 3, 6, 1],
            ),
            (
                "-1234567890123456789012345678901234567890",
                [11, 9, 0, 7, 5, 2, 8, 10, 4, 3, 6, 1],
            ),
            ("0", [1, 9, 8, 5, 10, 2, 3, 7, 4, 0, 11, 6]),
            ("-0", [1, 9, 8, 5, 10, 2, 3, 7, 4, 0, 11, 6]),
            ("-1", [7, 11, 0, 8, 5, 6, 3, 10, 4, 1, 9, 2]),
            ("-7", [7, 11, 3, 10, 8, 4, 9, 1, 0, 6, 2, 5]),
            ("+0007", [7, 11, 3, 10, 8, 4, 9, 1, 0, 6, 2, 5]),
        ];
        for (text, want) in cases {
            assert_eq!(permutation(&seed(text), 12), want, "seed {text}");
        }
    }

    #[test]
    fn first_raw_outputs() {
        let mut rng = Mt19937::from_python_seed(&Seed::from(42));
        assert_eq!(
            [rng.next_u32(), rng.next_u32(), rng.next_u32()],
            [2_746_317_213, 478_163_327, 107_420_369]
        );
        let mut rng = Mt19937::from_python_seed(&Seed::from(0));
        assert_eq!(
            [rng.next_u32(), rng.next_u32(), rng.next_u32()],
            [3_626_764_237, 1_654_615_998, 3_255_389_356]
        );
    }

    #[test]
    fn degenerate_sizes() {
        assert!(permutation(&Seed::from(5), 0).is_empty());
        assert_eq!(permutation(&Seed::from(5), 1), [0]);
    }
}
