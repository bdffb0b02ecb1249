//! Shamir's secret sharing over GF(2^8), as Vault does it: each share is one polynomial value
//! per byte of the secret, followed by the share's x-coordinate as its last byte.

use rand::{seq::SliceRandom, RngCore};

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShamirError {
    #[error("less than two parts cannot be used to reconstruct the secret")]
    TooFewParts,
    #[error("all parts must be the same length")]
    DifferentLengths,
    #[error("parts must be at least two bytes")]
    TooShort,
    #[error("duplicate part detected")]
    DuplicatePart,
    #[error("parts cannot be less than threshold")]
    PartsBelowThreshold,
    #[error("parts cannot exceed 255")]
    TooManyParts,
    #[error("threshold must be at least 2")]
    ThresholdTooSmall,
    #[error("cannot split an empty secret")]
    EmptySecret,
}

/// Multiplication in GF(2^8) modulo the AES polynomial x^8 + x^4 + x^3 + x + 1.
fn mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            product ^= a;
        }
        let carry = a & 0x80 != 0;
        a <<= 1;
        if carry {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    product
}

/// The multiplicative inverse: a^254 = a^-1 in GF(2^8).
fn inverse(a: u8) -> u8 {
    let mut result = 1u8;
    let mut base = a;
    let mut exponent = 254u8;
    while exponent != 0 {
        if exponent & 1 != 0 {
            result = mul(result, base);
        }
        base = mul(base, base);
        exponent >>= 1;
    }
    result
}

fn evaluate(coefficients: &[u8], x: u8) -> u8 {
    coefficients
        .iter()
        .rev()
        .fold(0u8, |acc, c| mul(acc, x) ^ c)
}

/// Splits `secret` into `parts` shares, any `threshold` of which rebuild it.
pub fn split(secret: &[u8], parts: usize, threshold: usize) -> Result<Vec<Vec<u8>>, ShamirError> {
    if parts < threshold {
        return Err(ShamirError::PartsBelowThreshold);
    }
    if parts > 255 {
        return Err(ShamirError::TooManyParts);
    }
    if threshold < 2 {
        return Err(ShamirError::ThresholdTooSmall);
    }
    if secret.is_empty() {
        return Err(ShamirError::EmptySecret);
    }
    let mut rng = rand::rng();
    let mut xs: Vec<u8> = (1..=255).collect();
    xs.shuffle(&mut rng);
    let mut shares: Vec<Vec<u8>> = xs[..parts]
        .iter()
        .map(|_| Vec::with_capacity(secret.len() + 1))
        .collect();
    let mut coefficients = vec![0u8; threshold];
    for &byte in secret {
        coefficients[0] = byte;
        rng.fill_bytes(&mut coefficients[1..]);
        for (share, &x) in shares.iter_mut().zip(&xs[..parts]) {
            share.push(evaluate(&coefficients, x));
        }
    }
    for (share, &x) in shares.iter_mut().zip(&xs[..parts]) {
        share.push(x);
    }
    Ok(shares)
}

/// Rebuilds the secret from shares by Lagrange interpolation at x = 0. With the wrong
/// shares it yields a wrong secret, which the caller detects (the keyring will not open).
pub fn combine(shares: &[Vec<u8>]) -> Result<Vec<u8>, ShamirError> {
    if shares.len() < 2 {
        return Err(ShamirError::TooFewParts);
    }
    let length = shares[0].len();
    if shares.iter().any(|s| s.len() != length) {
        return Err(ShamirError::DifferentLengths);
    }
    if length < 2 {
        return Err(ShamirError::TooShort);
    }
    let xs: Vec<u8> = shares.iter().map(|s| s[length - 1]).collect();
    for (i, x) in xs.iter().enumerate() {
        if xs[..i].contains(x) {
            return Err(ShamirError::DuplicatePart);
        }
    }
    let secret = (0..length - 1)
        .map(|byte| {
            xs.iter().enumerate().fold(0u8, |acc, (i, &xi)| {
                let basis =
                    xs.iter()
                        .enumerate()
                        .filter(|(j, _)| *j != i)
                        .fold(1u8, |b, (_, &xj)| {
                            // In GF(2^8), 0 - xj = xj and xi - xj = xi ^ xj.
                            mul(b, mul(xj, inverse(xi ^ xj)))
                        });
                acc ^ mul(shares[i][byte], basis)
            })
        })
        .collect();
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_arithmetic() {
        for a in 1..=255u8 {
            assert_eq!(mul(a, inverse(a)), 1, "{a}");
        }
        assert_eq!(mul(0x57, 0x83), 0xc1); // FIPS-197's worked example
    }

    #[test]
    fn any_threshold_subset_rebuilds_the_secret() {
        let secret: Vec<u8> = (0..32).collect();
        let shares = split(&secret, 5, 3).unwrap();
        assert!(shares.iter().all(|s| s.len() == 33));
        for subset in [[0, 1, 2], [4, 2, 0], [1, 3, 4]] {
            let chosen: Vec<Vec<u8>> = subset.iter().map(|&i| shares[i].clone()).collect();
            assert_eq!(combine(&chosen).unwrap(), secret);
        }
    }

    #[test]
    fn fewer_than_threshold_shares_do_not_reveal_it() {
        let secret = [42u8; 32];
        let shares = split(&secret, 5, 3).unwrap();
        assert_ne!(combine(&shares[..2]).unwrap(), secret);
    }

    #[test]
    fn bad_inputs() {
        assert_eq!(split(b"s", 2, 3), Err(ShamirError::PartsBelowThreshold));
        assert_eq!(split(b"s", 3, 1), Err(ShamirError::ThresholdTooSmall));
        assert_eq!(split(b"s", 256, 3), Err(ShamirError::TooManyParts));
        let shares = split(b"secret", 3, 2).unwrap();
        assert_eq!(
            combine(&[shares[0].clone(), shares[0].clone()]),
            Err(ShamirError::DuplicatePart)
        );
        assert_eq!(combine(&[shares[0].clone()]), Err(ShamirError::TooFewParts));
    }
}
