//! A response, fully read: what every exchange returns, and what an API call hands back.

/// Status, headers (names in lower case, in the order received) and body of an API answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub(crate) status: u16,
    /// Every header as `name NUL value NUL`, one after the other: one buffer for them all, and
    /// each name and value is followed by a NUL, so the C API hands out pointers into it.
    pub(crate) head: String,
    pub(crate) header_count: usize,
    pub(crate) body: Vec<u8>,
}

impl Response {
    /// A response without a body yet, with the headers of `map` (values not UTF-8 made so).
    pub(crate) fn from_head(status: u16, map: &http::HeaderMap) -> Response {
        let size = map
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 2)
            .sum();
        let mut head = String::with_capacity(size);
        for (name, value) in map {
            head.push_str(name.as_str());
            head.push('\0');
            head.push_str(&String::from_utf8_lossy(value.as_bytes()));
            head.push('\0');
        }
        Response {
            status,
            head,
            header_count: map.len(),
            body: Vec::new(),
        }
    }

    /// A response with `headers` (names as given) and `body`.
    #[cfg(test)]
    pub(crate) fn with(status: u16, headers: &[(&str, &str)], body: Vec<u8>) -> Response {
        let mut head = String::new();
        for (name, value) in headers {
            for part in [name, value] {
                head.push_str(&part.replace('\0', " "));
                head.push('\0');
            }
        }
        Response {
            status,
            head,
            header_count: headers.len(),
            body,
        }
    }

    pub fn status(&self) -> u16 {
        self.status
    }

    /// The headers as `(name, value)`, in the order received.
    pub fn headers(&self) -> ResponseHeaders<'_> {
        ResponseHeaders {
            rest: &self.head,
            left: self.header_count,
        }
    }

    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

/// The headers of a [`Response`], in the order received.
#[derive(Clone, Debug)]
pub struct ResponseHeaders<'a> {
    rest: &'a str,
    left: usize,
}

impl<'a> Iterator for ResponseHeaders<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let (name, rest) = self.rest.split_once('\0')?;
        let (value, rest) = rest.split_once('\0')?;
        self.rest = rest;
        self.left = self.left.saturating_sub(1);
        Some((name, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for ResponseHeaders<'_> {}
