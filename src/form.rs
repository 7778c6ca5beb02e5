//! `application/x-www-form-urlencoded` encoding (the WHATWG form serializer), used for the token
//! request's query and body and for `basic_urlencoded` client authentication.

/// Encodes `value`: ASCII letters, digits and `*-._` stay, space becomes `+`, every other byte `%XX`.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(encoded_len(value));
    encode_into(&mut out, value, "+");
    out
}

/// Encodes `value` for `basic_urlencoded` client authentication (RFC 6749 §2.3.1) like [`encode`]
/// but with a space as `%20`: servers that decode the pair with a percent-decoder only (authlib's
/// `unquote`) would keep a `+` as it is, and form decoders read `%20` as a space too.
pub fn encode_basic(value: &str) -> String {
    let spaces = value.bytes().filter(|b| *b == b' ').count();
    let mut out = String::with_capacity(encoded_len(value) + 2 * spaces);
    encode_into(&mut out, value, "%20");
    out
}

/// Percent-encodes `value` as RFC 3986 does for a URI component: the unreserved characters
/// (letters, digits, `-._~`) stay, every other byte becomes `%XX`.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            push_hex(&mut out, byte);
        }
    }
    out
}

fn push_hex(out: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(HEX[usize::from(byte >> 4)] as char);
    out.push(HEX[usize::from(byte & 15)] as char);
}

/// The length of `encode(value)`.
fn encoded_len(value: &str) -> usize {
    value
        .bytes()
        .map(|b| if keeps(b) || b == b' ' { 1 } else { 3 })
        .sum()
}

fn keeps(byte: u8) -> bool {
    matches!(byte, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_')
}

/// Appends `encode(value)` to `out` (which must have room, if it holds a secret: a buffer that
/// grows leaves its old copy behind, unwiped).
fn encode_into(out: &mut String, value: &str, space: &str) {
    for byte in value.bytes() {
        if keeps(byte) {
            out.push(byte as char);
        } else if byte == b' ' {
            out.push_str(space);
        } else {
            push_hex(out, byte);
        }
    }
}

/// Joins `name=value` pairs with `&`, encoding both sides, into one buffer of the exact size
/// (no reallocation, no intermediate strings: a value may be the client secret).
pub fn serialize(pairs: &[(&str, &str)]) -> String {
    let len: usize = pairs
        .iter()
        .map(|(k, v)| encoded_len(k) + 1 + encoded_len(v))
        .sum::<usize>()
        + pairs.len().saturating_sub(1);
    let mut out = String::with_capacity(len);
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_into(&mut out, k, "+");
        out.push('=');
        encode_into(&mut out, v, "+");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_a_form() {
        assert_eq!(encode("CLIENT_ID??"), "CLIENT_ID%3F%3F");
        assert_eq!(encode("a b+c/é"), "a+b%2Bc%2F%C3%A9");
        assert_eq!(encode_basic("a b+c/é"), "a%20b%2Bc%2F%C3%A9");
        assert_eq!(encode_basic("a b").capacity(), 5, "sized exactly");
        assert_eq!(
            serialize(&[("grant_type", "client_credentials"), ("scope", "a b")]),
            "grant_type=client_credentials&scope=a+b"
        );
        let pairs = [("client_secret", "S3cr3t;# é~"), ("a", "")];
        let out = serialize(&pairs);
        assert_eq!(out, "client_secret=S3cr3t%3B%23+%C3%A9%7E&a=");
        assert_eq!(
            out.capacity(),
            out.len(),
            "sized exactly, never reallocated"
        );
    }
}
