//! Value-bound string literals, the other half of schema-bound decoding: a quoted value a
//! completion writes must come from its prompt: a value the prompt shows (a schema sample or
//! a `-- Links:` value), words of the question or its external knowledge, or a date, number
//! or `strftime` format. LIKE's `%` may wrap any of them.
//!
//! Why: measured on the dev questions, a small model that reached the right query shape
//! still wrote `city = 'Sealk-in'` for "Seattle" (linked as `customers.city='Seattle'`),
//! `channel = 'Germany'` for "Online", `LIKE '%C%'` for "the word 'Chocolate'"; 88 of the 90
//! quoted values of their gold SQL come from the prompt this way.

/// Where a prompt's values may come from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Literals {
    /// Values written whole: schema samples and linked values, sorted.
    values: Vec<String>,
    /// The question (and external knowledge): a literal may be any run of it that starts and
    /// ends at word boundaries, or starts at one when a `%` follows.
    texts: Vec<String>,
}

/// The lines of a sense prompt that carry a question or its evidence.
const TEXT_MARKERS: [&str; 2] = ["-- Question: ", "-- External knowledge: "];

impl Literals {
    /// The values and question of a prompt sense wrote; None without a question line.
    pub fn of_prompt(prompt: &str) -> Option<Literals> {
        let line_after = |marker: &str| {
            prompt.find(marker).map(|i| {
                let rest = &prompt[i + marker.len()..];
                rest[..rest.find("\n-- ").unwrap_or(rest.len())].trim_end()
            })
        };
        let texts: Vec<String> = TEXT_MARKERS
            .iter()
            .filter_map(|m| line_after(m))
            .map(str::to_string)
            .collect();
        if texts.is_empty() {
            return None;
        }
        // Quoted values anywhere before the question (schema samples) and in the links line.
        let before_question = &prompt[..prompt.find(TEXT_MARKERS[0]).unwrap_or(prompt.len())];
        let mut values = quoted(before_question);
        if let Some(links) = line_after("-- Links: ") {
            values.extend(quoted(links));
        }
        values.sort();
        values.dedup();
        Some(Literals { values, texts })
    }

    /// Whether `lit`, the inside of a single-quoted literal so far (`''` as one `'`), can be
    /// or (with `closed`) is an allowed value.
    pub fn allows(&self, lit: &str, closed: bool) -> bool {
        if is_format(lit) {
            return true;
        }
        let core = lit.trim_start_matches('%');
        // A LIKE pattern's `%` ends the value part; only more `%` may follow it.
        let (head, complete) = match core.find('%') {
            Some(i) if core[i..].chars().all(|c| c == '%') => (&core[..i], true),
            Some(_) => return false,
            None => (core, closed),
        };
        if head.is_empty() {
            return true;
        }
        let value = if complete {
            self.values
                .binary_search_by(|v| v.as_str().cmp(head))
                .is_ok()
        } else {
            let i = self.values.partition_point(|v| v.as_str() < head);
            self.values.get(i).is_some_and(|v| v.starts_with(head))
        };
        value || self.texts.iter().any(|t| in_text(t, head, complete))
    }
}

/// The field letters of SQLite's `strftime` that SQL writes (the rarer ones, `%G` or `%C`,
/// read as a letter in a LIKE pattern: `'%G%'` was a dev model's favourite filter).
const STRFTIME: &str = "dfHjJmMsSwWY";

/// A date, time, number or `strftime` format (`2024-01-31`, `2024-%`, `%Y-%m`, `3.5`): free.
fn is_format(lit: &str) -> bool {
    let mut chars = lit.chars();
    while let Some(c) = chars.next() {
        match c {
            // `%` and a field letter is a strftime field; `%` alone, LIKE's wildcard.
            '%' => {
                if chars.clone().next().is_some_and(|l| STRFTIME.contains(l)) {
                    chars.next();
                }
            }
            '0'..='9' | '-' | ':' | '.' | '/' | ' ' => {}
            _ => return false,
        }
    }
    true
}

/// Whether `head` occurs in `text` from the start of a word, and (with `complete`) up to the
/// end of one. Case is kept but for the first letter (`'Math'` for "math").
fn in_text(text: &str, head: &str, complete: bool) -> bool {
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric();
    let starts = |i: usize| i == 0 || !word(bytes[i - 1]);
    let ends = |j: usize| j >= bytes.len() || !word(bytes[j]);
    let mut h = head.chars();
    let Some(first) = h.next() else {
        return true;
    };
    let tail = h.as_str();
    text.char_indices().any(|(i, c)| {
        starts(i)
            && (c == first || c.to_lowercase().eq(first.to_lowercase()))
            && text[i + c.len_utf8()..].starts_with(tail)
            && (!complete || ends(i + c.len_utf8() + tail.len()))
    })
}

/// The insides of the single-quoted strings of `text` (`''` read as `'`).
fn quoted(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut v = String::new();
        loop {
            match chars.next() {
                Some('\'') if chars.peek() == Some(&'\'') => {
                    chars.next();
                    v.push('\'');
                }
                Some('\'') | None => break,
                Some(ch) => v.push(ch),
            }
        }
        out.push(v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROMPT: &str = "-- SQLite database schema:\n\
        customers(customer_id PK, city text 'Beaverton', last_name text 'O''Neil')\n\
        orders(order_id PK, channel text 'Online', order_date text)\n\
        -- Question: How many customers in seattle ordered 'Chocolate' online in 2024?\n\
        -- Links: customers.city='Seattle', orders.channel='Online'\n\
        -- SQL:\n";

    fn lits() -> Literals {
        Literals::of_prompt(PROMPT).unwrap()
    }

    #[test]
    fn values_the_prompt_gives_pass_and_made_up_ones_do_not() {
        let l = lits();
        let whole = |v: &str| l.allows(v, true);
        // Linked and sample values, whole.
        assert!(whole("Seattle") && whole("Online") && whole("Beaverton") && whole("O'Neil"));
        // The question's words, as written or capitalized (`'Seattle'` for "seattle").
        assert!(whole("Chocolate") && whole("seattle") && whole("Online"));
        assert!(!whole("ONLINE") && !whole("sEattle"));
        // Dates, numbers and strftime formats are free.
        assert!(whole("2024-01-31") && whole("%Y-%m") && whole("2024-%") && whole("3.5"));
        // What the dev model wrote instead.
        assert!(!whole("Sealk-in"));
        assert!(!whole("Germany"));
        // A value cut short, or a piece of a word.
        assert!(!whole("Sea") && !whole("hocolate"));
    }

    #[test]
    fn a_value_being_spelled_must_start_an_allowed_one() {
        let l = lits();
        let open = |v: &str| l.allows(v, false);
        assert!(open("") && open("Sea") && open("Seattl") && open("Choc"));
        assert!(!open("Seal") && !open("Ger"));
        // LIKE: `%` around a whole value or word; a letter alone is not one.
        assert!(l.allows("%Chocolate%", true) && open("%Choc") && open("Chocolate%"));
        assert!(!l.allows("%C%", true) && !open("C%") && !open("%Choc%x"));
        assert!(!l.allows("%G%", true));
    }

    #[test]
    fn only_prompts_with_a_question_bound_literals() {
        assert!(Literals::of_prompt("-- SQLite database schema:\nt(a)\n-- SQL:\n").is_none());
        let ev = "-- SQLite database schema:\nt(a)\n-- External knowledge: grounded refers to status = 'AOG'\n-- Question: How many are grounded?\n-- SQL:\n";
        let l = Literals::of_prompt(ev).unwrap();
        assert!(l.allows("AOG", true) && l.allows("grounded", true));
    }
}
