//! The credentials file's INI dialect, read literally: `[profile]` headers, `key = value` (or
//! `key: value`) lines, whole-line `;`/`#` comments. No quotes, escapes, inline comments or line
//! continuations, so any character a secret holds (`%`, `;`, `#`, `\`) stays as it is.

use crate::error::{Error, ErrorKind, Result};

/// The keys of one section (`None`: before any section header), in file order.
pub type Section = (Option<String>, Vec<(String, String)>);

/// Parses `text` into its sections. Keys are lower-cased; values and names are trimmed.
pub fn parse(text: &str) -> Result<Vec<Section>> {
    let mut sections: Vec<Section> = vec![(None, Vec::new())];
    for (index, raw) in text.split('\n').enumerate() {
        let line = raw.trim();
        let bad = |what: &str| {
            Error::new(
                ErrorKind::Config,
                format!("not valid INI at line {}: {what}", index + 1),
            )
        };
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let name = header
                .strip_suffix(']')
                .ok_or_else(|| bad("a section header needs a closing ']'"))?
                .trim();
            if name.is_empty() {
                return Err(bad("the section name is empty"));
            }
            sections.push((Some(name.to_string()), Vec::new()));
            continue;
        }
        let split = line
            .find(['=', ':'])
            .ok_or_else(|| bad("expected 'key = value'"))?;
        let key = line[..split].trim();
        if key.is_empty() {
            return Err(bad("the key is empty"));
        }
        let value = line[split + 1..].trim();
        if let Some((_, pairs)) = sections.last_mut() {
            pairs.push((key.to_ascii_lowercase(), value.to_string()));
        }
    }
    Ok(sections)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keys_and_literal_values() {
        let text = "a = 1\r\n; comment\n# another\n[prod]\nClient_Secret = x;y#z%20\\\nnext: v=w\n\n[ spaced ]\n";
        let sections = parse(text).unwrap();
        assert_eq!(sections.len(), 3);
        assert_eq!(sections[0], (None, vec![("a".into(), "1".into())]));
        assert_eq!(
            sections[1],
            (
                Some("prod".into()),
                vec![
                    ("client_secret".into(), "x;y#z%20\\".into()),
                    ("next".into(), "v=w".into())
                ]
            )
        );
        assert_eq!(sections[2], (Some("spaced".into()), vec![]));
    }

    #[test]
    fn malformed_lines_name_the_line() {
        assert_eq!(
            parse("a=1\n[open\n").unwrap_err().message(),
            "not valid INI at line 2: a section header needs a closing ']'"
        );
        assert_eq!(
            parse("just words\n").unwrap_err().message(),
            "not valid INI at line 1: expected 'key = value'"
        );
        assert_eq!(
            parse(" = v\n").unwrap_err().message(),
            "not valid INI at line 1: the key is empty"
        );
        assert_eq!(
            parse("[]\n").unwrap_err().message(),
            "not valid INI at line 1: the section name is empty"
        );
    }
}
