//! Capture timestamps: exact nanoseconds, never floats, so that relative times
//! print digit for digit like Wireshark's.

/// Seconds and nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    pub secs: i64,
    pub nanos: u32,
}

/// How many decimals a timestamp deserves: Wireshark's "automatic" precision
/// follows the file's (pcap µs/ns magic, pcapng `if_tsresol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TsPrecision {
    Secs,
    Decis,
    Centis,
    Millis,
    Micros,
    Nanos,
}

impl TsPrecision {
    /// Number of decimals printed.
    pub fn digits(self) -> usize {
        match self {
            TsPrecision::Secs => 0,
            TsPrecision::Decis => 1,
            TsPrecision::Centis => 2,
            TsPrecision::Millis => 3,
            TsPrecision::Micros => 6,
            TsPrecision::Nanos => 9,
        }
    }

    /// The precision Wireshark shows for an interface with this many units per second.
    pub fn from_units_per_sec(units: u64) -> Self {
        match units {
            0..=1 => TsPrecision::Secs,
            2..=10 => TsPrecision::Decis,
            11..=100 => TsPrecision::Centis,
            101..=1_000 => TsPrecision::Millis,
            1_001..=1_000_000 => TsPrecision::Micros,
            _ => TsPrecision::Nanos,
        }
    }
}

impl Timestamp {
    /// pcap: whole seconds plus a fraction counted in `units_per_sec`.
    #[inline]
    pub fn from_fraction(secs: i64, frac: u64, units_per_sec: u64) -> Self {
        // Fast paths for the two pcap resolutions, with a fraction below one
        // second; the general path divides in 128 bits.
        match units_per_sec {
            1_000_000 if frac < 1_000_000 => Timestamp {
                secs,
                nanos: frac as u32 * 1000,
            },
            1_000_000_000 if frac < 1_000_000_000 => Timestamp {
                secs,
                nanos: frac as u32,
            },
            _ => Self::from_fraction_general(secs, frac, units_per_sec),
        }
    }

    #[inline(never)]
    fn from_fraction_general(secs: i64, frac: u64, units_per_sec: u64) -> Self {
        let units = units_per_sec.max(1);
        // A fraction of a second or more (bad writers do this) carries over.
        let carry = (frac / units) as i64;
        let frac = frac % units;
        let nanos = (frac as u128 * 1_000_000_000 / units as u128) as u32;
        Timestamp {
            secs: secs + carry,
            nanos,
        }
    }

    /// pcapng: a 64-bit count of interface units, plus `if_tsoffset` seconds.
    #[inline]
    pub fn from_units(units: u64, units_per_sec: u64, offset_secs: i64) -> Self {
        // Fast paths for the resolutions real captures use: divisions by a
        // constant, which compile to multiplications. The general path is
        // out of line so that the compiler cannot merge them into its
        // division instruction (it did: one `div` per frame).
        match units_per_sec {
            1_000_000_000 => Timestamp {
                secs: (units / 1_000_000_000) as i64 + offset_secs,
                nanos: (units % 1_000_000_000) as u32,
            },
            1_000_000 => Timestamp {
                secs: (units / 1_000_000) as i64 + offset_secs,
                nanos: (units % 1_000_000) as u32 * 1000,
            },
            _ => Self::from_units_general(units, units_per_sec, offset_secs),
        }
    }

    #[inline(never)]
    fn from_units_general(units: u64, units_per_sec: u64, offset_secs: i64) -> Self {
        let per = units_per_sec.max(1);
        let secs = (units / per) as i64 + offset_secs;
        let frac = units % per;
        let nanos = (frac as u128 * 1_000_000_000 / per as u128) as u32;
        Timestamp { secs, nanos }
    }

    /// Nanoseconds since the epoch in 64 bits (years 1678 to 2262; saturates
    /// outside): compact per-connection state keeps times this way.
    #[inline]
    pub fn as_nanos(self) -> i64 {
        // Years 1685 to 2255 cannot overflow (even with `nanos` up to
        // `u32::MAX`): one multiply and one add, no saturation checks.
        if self.secs.unsigned_abs() < 9_000_000_000 {
            return self.secs * 1_000_000_000 + self.nanos as i64;
        }
        self.secs
            .saturating_mul(1_000_000_000)
            .saturating_add(self.nanos as i64)
    }

    /// Signed difference `self - earlier`, in nanoseconds.
    pub fn nanos_since(self, earlier: Timestamp) -> i128 {
        let dsecs = self.secs.wrapping_sub(earlier.secs);
        let dnanos = self.nanos as i64 - earlier.nanos as i64;
        // 64-bit arithmetic covers ±292 years, i.e. every real capture; this
        // runs several times per packet, so the 128-bit path is the fallback.
        if dsecs.unsigned_abs() < 9_000_000_000 && (dsecs >= 0) == (self.secs >= earlier.secs) {
            (dsecs * 1_000_000_000 + dnanos) as i128
        } else {
            (self.secs as i128 - earlier.secs as i128) * 1_000_000_000 + dnanos as i128
        }
    }
}

/// A signed nanosecond duration cut for display as seconds: Wireshark's
/// `nstime` display truncates the fraction to the shown decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds {
    pub negative: bool,
    pub whole: u64,
    /// The fraction in units of the last shown decimal.
    pub fraction: u32,
}

impl Seconds {
    /// `nanos` with `decimals` decimals (at most 9).
    pub fn split(nanos: i128, decimals: usize) -> Self {
        let abs = nanos.unsigned_abs();
        // Durations in captures fit in 64 bits of nanoseconds (584 years); the
        // 128-bit division is only for absurd timestamps.
        let (whole, frac) = match u64::try_from(abs) {
            Ok(v) => (v / 1_000_000_000, (v % 1_000_000_000) as u32),
            Err(_) => ((abs / 1_000_000_000) as u64, (abs % 1_000_000_000) as u32),
        };
        Seconds {
            negative: nanos < 0,
            whole,
            fraction: frac / 10u32.pow(9 - decimals as u32),
        }
    }
}

/// Writes a signed nanosecond duration as seconds with `digits` decimals,
/// truncating like Wireshark's `nstime` display does.
pub fn write_seconds(out: &mut String, nanos: i128, digits: usize) {
    let s = Seconds::split(nanos, digits);
    write_split(out, s, itoa::Buffer::new().format(s.whole), digits);
}

/// [`write_seconds`] after spaces up to `width` characters (right-aligned);
/// the length is known before writing, so nothing is formatted twice.
pub fn write_seconds_right(out: &mut String, nanos: i128, digits: usize, width: usize) {
    let s = Seconds::split(nanos, digits);
    let mut buf = itoa::Buffer::new();
    let whole = buf.format(s.whole);
    let len = usize::from(s.negative) + whole.len() + if digits > 0 { 1 + digits } else { 0 };
    push_spaces(out, width.saturating_sub(len));
    write_split(out, s, whole, digits);
}

/// The sign, the whole seconds (already formatted) and the fraction.
fn write_split(out: &mut String, s: Seconds, whole: &str, digits: usize) {
    if s.negative {
        out.push('-');
    }
    out.push_str(whole);
    if digits > 0 {
        let mut buf = itoa::Buffer::new();
        let fraction = buf.format(s.fraction);
        out.push('.');
        // Hand-rolled zero padding: `write!` with a width was a hot spot.
        for _ in fraction.len()..digits {
            out.push('0');
        }
        out.push_str(fraction);
    }
}

/// Appends `n` spaces: a few are pushed one by one (cheaper than a `memcpy`
/// call, measured), more are one copy from a constant.
pub fn push_spaces(out: &mut String, n: usize) {
    const SPACES: &str = "                                ";
    match SPACES.get(..n) {
        Some(spaces) if n > 4 => out.push_str(spaces),
        _ => (0..n).for_each(|_| out.push(' ')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_paths_agree_with_the_general_ones() {
        for units in [0, 1, 999_999, 1_000_000, 1_741_615_200_123_456, u64::MAX] {
            for per in [1_000_000, 1_000_000_000] {
                assert_eq!(
                    Timestamp::from_units(units, per, 3),
                    Timestamp::from_units_general(units, per, 3)
                );
            }
        }
        for frac in [
            0,
            1,
            999_999,
            1_000_000,
            999_999_999,
            1_000_000_000,
            4_000_000_000,
        ] {
            for per in [1_000_000, 1_000_000_000] {
                assert_eq!(
                    Timestamp::from_fraction(7, frac, per),
                    Timestamp::from_fraction_general(7, frac, per)
                );
            }
        }
    }

    #[test]
    fn fractions_and_units_agree() {
        let a = Timestamp::from_fraction(10, 500_000, 1_000_000);
        let b = Timestamp::from_units(10_500_000, 1_000_000, 0);
        assert_eq!(a, b);
        assert_eq!(a.nanos, 500_000_000);
    }

    #[test]
    fn nanos_saturate_only_outside_the_fast_range() {
        for secs in [
            0,
            1,
            -1,
            1_700_000_000,
            8_999_999_999,
            9_000_000_000,
            -9_000_000_000,
            9_223_372_036,
            9_223_372_037,
            -9_223_372_037,
            i64::MAX,
            i64::MIN,
        ] {
            for nanos in [0, 999_999_999, u32::MAX] {
                let expected = secs
                    .saturating_mul(1_000_000_000)
                    .saturating_add(nanos as i64);
                assert_eq!(Timestamp { secs, nanos }.as_nanos(), expected);
            }
        }
    }

    #[test]
    fn seconds_are_truncated_not_rounded() {
        let mut s = String::new();
        write_seconds(&mut s, 1_999_999_999, 6);
        assert_eq!(s, "1.999999");
        s.clear();
        write_seconds(&mut s, -1_500, 9);
        assert_eq!(s, "-0.000001500");
    }

    #[test]
    fn precision_from_resolution() {
        assert_eq!(
            TsPrecision::from_units_per_sec(1_000_000),
            TsPrecision::Micros
        );
        assert_eq!(
            TsPrecision::from_units_per_sec(1_000_000_000),
            TsPrecision::Nanos
        );
        assert_eq!(TsPrecision::from_units_per_sec(1 << 20), TsPrecision::Nanos);
    }
}
