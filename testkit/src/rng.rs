/// A small xorshift generator for random interleavings in tests: seeded, so a run can be
/// repeated; not for anything that needs good randomness.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded by `seed`; any seed works, 0 included (it is mixed, and the state is
    /// never 0, where xorshift would stay).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    #[allow(clippy::should_implement_trait)] // not an iterator: it never ends
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (`n` must not be 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn seeded_runs_repeat_and_stay_below() {
        let (mut a, mut b) = (Rng::new(0), Rng::new(0));
        let xs: Vec<u64> = (0..100).map(|_| a.next()).collect();
        assert!(xs.iter().all(|&x| x != 0));
        assert_eq!(xs, (0..100).map(|_| b.next()).collect::<Vec<_>>());
        assert_ne!(Rng::new(1).next(), Rng::new(2).next());
        assert!((0..1000).all(|_| a.below(7) < 7));
    }
}
