//! Text from the caller (argv, program names) shown to others: in a unit's Description,
//! in `ssc --status`, in `systemctl`. Control characters and Unicode format characters
//! (bidirectional overrides such as U+202E, zero-width characters) would let a command
//! line change how the text around it reads, so each becomes U+FFFD.

pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || is_format(c) {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// Unicode's general category Cf, the code points of it in use.
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}'
        | '\u{0890}'..='\u{0891}' | '\u{08E2}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{110BD}' | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spoofing_characters_are_replaced() {
        assert_eq!(sanitize("firefox"), "firefox");
        assert_eq!(sanitize("é ü 日本"), "é ü 日本");
        assert_eq!(sanitize("evil\u{202E}fdp.exe"), "evil\u{FFFD}fdp.exe");
        assert_eq!(sanitize("a\nb\tc\u{7f}"), "a\u{FFFD}b\u{FFFD}c\u{FFFD}");
        assert_eq!(
            sanitize("zero\u{200B}width\u{FEFF}"),
            "zero\u{FFFD}width\u{FFFD}"
        );
        assert_eq!(sanitize("\u{2066}iso\u{2069}"), "\u{FFFD}iso\u{FFFD}");
    }
}
