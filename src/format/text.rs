//! Small writers shared by the formats: numbers and milliseconds without `fmt`.

/// `"00" "01" … "99"`: two decimal digits per lookup.
pub(crate) static DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Appends the decimal digits of `n`.
pub(crate) fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    // Most numbers in a record (status, small sizes, whole milliseconds) are short.
    if n < 10 {
        out.push(b'0' + n as u8);
        return;
    }
    if n < 100 {
        out.extend_from_slice(&DIGIT_PAIRS[2 * n as usize..2 * n as usize + 2]);
        return;
    }
    let digits = n.checked_ilog10().unwrap_or(0) as usize + 1;
    let mut buf = [0u8; 20];
    let mut i = digits;
    while n >= 100 {
        i -= 2;
        let pair = (n % 100) as usize;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[2 * pair..2 * pair + 2]);
        n /= 100;
    }
    if n >= 10 {
        buf[..2].copy_from_slice(&DIGIT_PAIRS[2 * n as usize..2 * n as usize + 2]);
    } else {
        buf[0] = b'0' + n as u8;
    }
    // All 20 bytes, then cut: a copy of constant size is a few moves, not a `memcpy`.
    let end = out.len() + digits;
    out.extend_from_slice(&buf);
    out.truncate(end);
}

/// Appends a signed integer.
pub(crate) fn write_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    write_u64(out, n.unsigned_abs());
}

/// Appends microseconds as milliseconds with three decimals: `412` → `0.412`.
pub(crate) fn write_millis(out: &mut Vec<u8>, micros: u64) {
    write_u64(out, micros / 1000);
    let frac = micros % 1000;
    out.extend_from_slice(&[
        b'.',
        b'0' + (frac / 100) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
    ]);
}

/// Appends a finite float in Rust's shortest round-trip form; `false` if not finite.
pub(crate) fn write_f64(out: &mut Vec<u8>, n: f64) -> bool {
    if !n.is_finite() {
        return false;
    }
    use std::io::Write;
    // Writing into a Vec cannot fail.
    let _ = write!(out, "{n}");
    true
}

/// The decimal digits of each byte value, left-aligned, and their count.
static OCTETS: [[u8; 4]; 256] = {
    let mut t = [[0u8; 4]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if i >= 100 {
            [
                b'0' + (i / 100) as u8,
                b'0' + (i / 10 % 10) as u8,
                b'0' + (i % 10) as u8,
                3,
            ]
        } else if i >= 10 {
            [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8, 0, 2]
        } else {
            [b'0' + i as u8, 0, 0, 1]
        };
        i += 1;
    }
    t
};

/// Appends an IP address, as its `Display` form writes it.
pub(crate) fn write_ip(out: &mut Vec<u8>, ip: std::net::IpAddr) {
    match ip {
        // Dotted quad by hand, a table lookup per octet: `fmt` costs ten times as much,
        // on every line.
        std::net::IpAddr::V4(v4) => {
            let mut buf = [0u8; 16];
            let mut n = 0;
            for octet in v4.octets() {
                let [a, b, c, len] = OCTETS[usize::from(octet)];
                buf[n..n + 3].copy_from_slice(&[a, b, c]);
                n += usize::from(len);
                buf[n] = b'.';
                n += 1;
            }
            // All 16 bytes, then cut (and drop the last dot): a copy of constant size.
            let end = out.len() + n - 1;
            out.extend_from_slice(&buf);
            out.truncate(end);
        }
        std::net::IpAddr::V6(v6) => {
            use std::io::Write;
            // Writing into a Vec cannot fail.
            let _ = write!(out, "{v6}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        let mut o = Vec::new();
        write_u64(&mut o, 0);
        o.push(b' ');
        write_u64(&mut o, u64::MAX);
        o.push(b' ');
        write_i64(&mut o, i64::MIN);
        o.push(b' ');
        write_millis(&mut o, 412);
        o.push(b' ');
        write_millis(&mut o, 12_345_007);
        assert_eq!(
            String::from_utf8(o).unwrap(),
            "0 18446744073709551615 -9223372036854775808 0.412 12345.007"
        );
        let mut n = 1u64;
        for _ in 0..200 {
            for m in [n - 1, n, n.saturating_add(1), n / 3 * 2] {
                let mut o = b"x".to_vec();
                write_u64(&mut o, m);
                assert_eq!(o, format!("x{m}").as_bytes());
            }
            n = n.saturating_mul(10).max(n.saturating_mul(7) / 2) | 1;
        }
    }

    #[test]
    fn ip_addresses_as_display_writes_them() {
        let mut addrs: Vec<std::net::IpAddr> = (0..=255u8)
            .map(|o| std::net::Ipv4Addr::new(o, 255 - o, o / 3, o.wrapping_mul(7)).into())
            .collect();
        for a in [
            "0.0.0.0",
            "255.255.255.255",
            "10.0.0.1",
            "::1",
            "::ffff:10.0.0.1",
            "2001:db8::7",
        ] {
            addrs.push(a.parse().unwrap());
        }
        for ip in addrs {
            let mut o = Vec::new();
            write_ip(&mut o, ip);
            assert_eq!(String::from_utf8(o).unwrap(), ip.to_string());
        }
    }
}
