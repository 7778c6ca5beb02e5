//! `application/x-www-form-urlencoded` encoding (the WHATWG form serializer), used for the token
//! request's query and body and for `basic_urlencoded` client authentication.

/// Encodes `value`: ASCII letters, digits and `*-._` stay, space becomes `+`, every other byte `%XX`.
pub fn encode(value: &str) -> String {
    encode_with(value, "+")
}

/// Encodes `value` for `basic_urlencoded` client authentication (RFC 6749 §2.3.1) like [`encode`]
/// but with a space as `%20`: servers that decode the pair with a percent-decoder only (authlib's
/// `unquote`) would keep a `+` as it is, and form decoders read `%20` as a space too.
pub fn encode_basic(value: &str) -> String {
    encode_with(value, "%20")
}

fn encode_with(value: &str, space: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(byte as char)
            }
            b' ' => out.push_str(space),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Joins `name=value` pairs with `&`, encoding both sides.
pub fn serialize(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_a_form() {
        assert_eq!(encode("CLIENT_ID??"), "CLIENT_ID%3F%3F");
        assert_eq!(encode("a b+c/é"), "a+b%2Bc%2F%C3%A9");
        assert_eq!(encode_basic("a b+c/é"), "a%20b%2Bc%2F%C3%A9");
        assert_eq!(
            serialize(&[("grant_type", "client_credentials"), ("scope", "a b")]),
            "grant_type=client_credentials&scope=a+b"
        );
    }
}
