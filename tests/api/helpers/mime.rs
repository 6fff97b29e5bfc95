//! A small MIME reader for the notices the mail tests receive.

/// A message cut into its headers and body, as much of RFC 5322 and 2045 as the tests need.
pub struct Mime {
    headers: Vec<(String, String)>,
    body: String,
}

impl Mime {
    pub fn parse(raw: &str) -> Self {
        let raw = raw.replace("\r\n", "\n");
        let (head, body) = raw
            .split_once("\n\n")
            .expect("headers end with a blank line");
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                let last = headers.last_mut().expect("a folded line follows a header");
                last.1.push(' ');
                last.1.push_str(line.trim());
            } else {
                let (name, value) = line.split_once(':').expect("a header line");
                headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        Self {
            headers,
            body: body.to_owned(),
        }
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} header"))
    }

    pub fn parts(&self) -> Vec<Mime> {
        let content_type = self.header("content-type");
        let boundary = content_type
            .split("boundary=")
            .nth(1)
            .expect("a multipart boundary")
            .split(';')
            .next()
            .unwrap()
            .trim_matches('"');
        let delimiter = format!("--{boundary}");
        self.body
            .split(&delimiter)
            .skip(1)
            .take_while(|part| !part.starts_with("--"))
            .map(|part| Mime::parse(part.trim_start_matches('\n')))
            .collect()
    }

    pub fn text(&self) -> String {
        let encoding = self
            .headers
            .iter()
            .find(|(n, _)| n == "content-transfer-encoding")
            .map_or("7bit", |(_, v)| v.as_str())
            .to_ascii_lowercase();
        match encoding.as_str() {
            "quoted-printable" => decode_quoted_printable(&self.body),
            "base64" => {
                use base64::Engine;
                let compact: String = self.body.split_whitespace().collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .unwrap();
                String::from_utf8(bytes).unwrap()
            }
            _ => self.body.clone(),
        }
    }
}

fn decode_quoted_printable(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The plain and HTML parts of a multipart/alternative notice, decoded.
pub fn text_and_html(message: &Mime) -> (String, String) {
    assert!(
        message
            .header("content-type")
            .starts_with("multipart/alternative"),
        "{}",
        message.header("content-type")
    );
    let parts = message.parts();
    assert_eq!(parts.len(), 2, "a plain and an HTML part");
    let find = |kind: &str| {
        parts
            .iter()
            .find(|p| p.header("content-type").starts_with(kind))
            .unwrap_or_else(|| panic!("a {kind} part"))
            .text()
    };
    (find("text/plain"), find("text/html"))
}
