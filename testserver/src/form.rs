//! `application/x-www-form-urlencoded` encoding and decoding, for query strings, form bodies and
//! the RFC 6749 §2.3.1 form of Basic client credentials.

/// Encodes `s` the way RFC 6749 §2.3.1 asks for client ids and secrets: unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`) stay, a space becomes `+`, every other byte becomes `%XX` (uppercase).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Decodes one form component: `+` is a space and `%XX` a byte. A `%` not followed by two hex
/// digits is kept as it is; bytes that are not UTF-8 become U+FFFD.
pub(crate) fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (hex_value(bytes.get(i + 1)), hex_value(bytes.get(i + 2))) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(digit: Option<&u8>) -> Option<u8> {
    char::from(*digit?)
        .to_digit(16)
        .and_then(|v| u8::try_from(v).ok())
}

/// Splits `a=1&b=2` into decoded name/value pairs, in order. Empty pieces are skipped; a piece
/// without `=` has an empty value.
pub(crate) fn parse(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            (decode(name), decode(value))
        })
        .collect()
}

/// The value of the first pair called `name`.
pub(crate) fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_characters_and_spaces() {
        assert_eq!(encode("CLIENT_ID??"), "CLIENT_ID%3F%3F");
        assert_eq!(encode("a b+c/~é"), "a+b%2Bc%2F~%C3%A9");
    }

    #[test]
    fn decodes_plus_percent_and_bad_escapes() {
        assert_eq!(decode("a+b%2Bc%2f%C3%A9"), "a b+c/é");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn parses_pairs_in_order() {
        let pairs = parse("grant_type=client_credentials&scope=a+b&&flag&scope=second");
        assert_eq!(get(&pairs, "grant_type"), Some("client_credentials"));
        assert_eq!(get(&pairs, "scope"), Some("a b"));
        assert_eq!(get(&pairs, "flag"), Some(""));
        assert_eq!(get(&pairs, "missing"), None);
        assert_eq!(pairs.len(), 4);
    }
}
