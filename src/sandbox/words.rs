//! Words of a value as systemd's extract_first_word(EXTRACT_UNQUOTE) splits them:
//! whitespace between words, double or single quotes anywhere in a word, backslash escapes
//! inside and outside quotes. Only `\\`, `\"`, `\'` and, where ':' separates fields, `\:`
//! are taken: the other escapes mean different things with and without EXTRACT_CUNESCAPE,
//! so they are refused rather than guessed.

/// systemd's WHITESPACE, which separates words.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Splits a value into words and, with `colon`, each word into fields at every ':' outside
/// quotes, undoing quotes and escapes.
pub(super) fn words(value: &str, colon: bool) -> Result<Vec<Vec<String>>, String> {
    let (mut words, mut fields, mut field) = (Vec::new(), Vec::new(), String::new());
    let (mut in_word, mut quote) = (false, None);
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let e = chars
                    .next()
                    .ok_or_else(|| format!("'{value}': a '\\' at the end"))?;
                if !(matches!(e, '\\' | '"' | '\'') || colon && e == ':') {
                    return Err(format!(
                        "'{value}': escape '\\{e}' not supported; use quotes"
                    ));
                }
                field.push(e);
                in_word = true;
            }
            '"' | '\'' if quote == Some(c) => quote = None,
            '"' | '\'' if quote.is_none() => {
                quote = Some(c);
                in_word = true;
            }
            ':' if colon && quote.is_none() => {
                fields.push(std::mem::take(&mut field));
                in_word = true;
            }
            c if quote.is_none() && is_space(c) => {
                if in_word {
                    fields.push(std::mem::take(&mut field));
                    words.push(std::mem::take(&mut fields));
                    in_word = false;
                }
            }
            c => {
                field.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err(format!("'{value}': a quote is not closed"));
    }
    if in_word {
        fields.push(field);
        words.push(fields);
    }
    Ok(words)
}

/// A word as `words` reads it back: in double quotes if it holds whitespace, quotes,
/// backslashes or (with `colon`) ':'.
pub(super) fn quote(s: &str, colon: bool) -> String {
    let special = |c: char| is_space(c) || matches!(c, '"' | '\'' | '\\') || colon && c == ':';
    if !s.is_empty() && !s.contains(special) {
        return s.into();
    }
    let mut q = String::from('"');
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}
