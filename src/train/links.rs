//! The `-- Links:` line of a linked prompt (`schema::linking`) as decoding reads it: the tables
//! and columns it names, and whether a token spells one of them. Schema-bound decoding favours
//! such tokens (`GenOptions::link_bias`).

/// Whether appending `piece` to the word being spelled (`open`, empty between words) writes a
/// name in sorted `linked`: the word it writes or continues is one, or the start of one if the
/// piece ends inside it.
pub fn spells(linked: &[String], open: &str, piece: &str) -> bool {
    if linked.is_empty() {
        return false;
    }
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    // A piece that starts with a letter continues the open word; one that starts with
    // separators (` `, `(`, `.`, not a quote) starts a new one after them.
    let (mut word, body) = if piece.starts_with(ident) {
        (open.to_string(), piece)
    } else {
        match piece.find(ident) {
            Some(start) if !piece[..start].contains(['\'', '"', '`']) => {
                (String::new(), &piece[start..])
            }
            _ => return false,
        }
    };
    let end = body.find(|c: char| !ident(c)).unwrap_or(body.len());
    word.push_str(&body[..end]);
    word.make_ascii_lowercase();
    // A word the piece finishes must be a linked name; one it leaves open, the start of one.
    let i = linked.partition_point(|x| x.as_str() < word.as_str());
    linked.get(i).is_some_and(|x| {
        if body[end..].is_empty() {
            x.starts_with(word.as_str())
        } else {
            *x == word
        }
    })
}

/// The tables and columns the `-- Links:` line of a prompt names (`t`, `t.c`, `t.c='v'`),
/// lowercase and sorted; empty when there is none.
pub fn linked_names(prompt: &str) -> Vec<String> {
    let Some(line) = prompt
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("-- Links: "))
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let (mut item, mut quote) = (String::new(), false);
    for c in line.chars().chain(std::iter::once(',')) {
        match c {
            '\'' => quote = !quote,
            ',' if !quote => {
                let path = item.split('=').next().unwrap_or("").trim();
                out.extend(
                    path.split('.')
                        .filter(|p| !p.is_empty() && *p != "none")
                        .map(str::to_lowercase),
                );
                item.clear();
                continue;
            }
            _ => {}
        }
        if !quote || c == '\'' {
            item.push(c);
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINKED: &str = "-- Question: Which parts does Honeywell, Inc. supply?\n\
        -- Links: parts.supplier='Honeywell, Inc.', parts, parts.part_name\n-- SQL:\n";

    #[test]
    fn the_links_line_gives_its_tables_and_columns_without_values() {
        assert_eq!(linked_names(LINKED), ["part_name", "parts", "supplier"]);
        assert!(linked_names("-- Question: q\n-- Links: none\n-- SQL:\n").is_empty());
        assert!(linked_names("-- Question: q\n-- SQL:\n").is_empty());
    }
}
