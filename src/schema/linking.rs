//! Schema links: the tables and columns a question names, found by matching words (plurals
//! folded), written as one prompt line by the linked layout (`PromptFormat::Linked`).
//!
//! Why: a small model trained from scratch learns to copy names well but to *find* them
//! poorly; on databases it never saw it wrote names from its training schemas. Pointing at the
//! schema items the question mentions (the string-matching half of RAT-SQL's schema linking)
//! turns "which column?" into "copy the linked one", which transfers to unseen schemas. The
//! line is computed from the schema and the question alone, the same way in training and at
//! inference.

use super::{DbSchema, Table};
use std::collections::BTreeSet;

/// At most this many links per prompt (values first, then the most relevant tables).
pub const MAX_LINKS: usize = 12;
/// At most this many value links (`table.column='value'`), the longest values first.
pub const MAX_VALUE_LINKS: usize = 4;

/// A word's stem for matching: lowercase, a plural folded to its singular.
fn stem(w: &str) -> String {
    let w = w.to_ascii_lowercase();
    let n = w.len();
    if n > 4 && w.ends_with("ies") {
        format!("{}y", &w[..n - 3])
    } else if n > 4
        && ["sses", "ches", "shes", "xes"]
            .iter()
            .any(|e| w.ends_with(e))
    {
        w[..n - 2].to_string()
    } else if n > 3 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") {
        w[..n - 1].to_string()
    } else {
        w
    }
}

/// The words of an identifier (`work_orders`, `WorkOrders`, `unitPrice`), stemmed.
fn ident_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if !ch.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        cur.push(ch);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words.iter().map(|w| stem(w)).collect()
}

/// The words that must appear in a question for a name to count as mentioned: all but units
/// and other short tokens (`weight_kg` is mentioned by "weight").
fn significant(name: &str) -> Vec<String> {
    ident_words(name)
        .into_iter()
        .filter(|w| w.len() >= 3 && !w.bytes().all(|b| b.is_ascii_digit()))
        .collect()
}

/// The stemmed words of a text, in order.
fn word_seq(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(stem)
        .collect()
}

fn question_words(question: &str) -> BTreeSet<String> {
    word_seq(question).into_iter().collect()
}

/// `table.column='value'` for each stored value whose words the question says in a row (a
/// filter's value, as BRIDGE anchors them): "cats" finds `species='Cat'`, "in Seattle"
/// `city='Seattle'`. Longest values first, at most `MAX_VALUE_LINKS`.
fn value_links(schema: &DbSchema, question: &str) -> Vec<String> {
    let q = word_seq(question);
    let mut found: Vec<(usize, String)> = Vec::new();
    for t in &schema.tables {
        for (c, values) in t.columns.iter().zip(&t.values) {
            for v in values {
                let w = word_seq(v);
                let hit = !w.is_empty()
                    && w.len() <= q.len()
                    && q.windows(w.len()).any(|win| win == w.as_slice());
                if hit {
                    let link = format!(
                        "{}.{}='{}'",
                        super::compact::ident(&t.name),
                        super::compact::ident(&c.name),
                        v.replace('\'', "''")
                    );
                    found.push((w.len(), link));
                }
            }
        }
    }
    // Longest first; equal lengths keep the schema's order.
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    found
        .into_iter()
        .map(|(_, l)| l)
        .take(MAX_VALUE_LINKS)
        .collect()
}

fn mentioned(name: &str, q: &BTreeSet<String>) -> bool {
    let words = significant(name);
    !words.is_empty() && words.iter().all(|w| q.contains(w))
}

/// A key is linked only when the question asks for ids.
fn is_key(t: &Table, i: usize) -> bool {
    let c = &t.columns[i];
    let n = c.name.to_ascii_lowercase();
    c.primary_key || c.foreign_key.is_some() || n == "id" || n.ends_with("_id")
}

/// The values, tables and `table.column`s `question` mentions: values first, then the tables
/// with most mentions.
pub fn links(schema: &DbSchema, question: &str) -> Vec<String> {
    let mut out = value_links(schema, question);
    out.extend(name_links(schema, question));
    out.truncate(MAX_LINKS);
    out
}

fn name_links(schema: &DbSchema, question: &str) -> Vec<String> {
    let q = question_words(question);
    let asks_ids = q.contains("id") || q.contains("ids");
    let mut per_table: Vec<(usize, usize, Vec<String>)> = Vec::new();
    for (ti, t) in schema.tables.iter().enumerate() {
        let table_hit = mentioned(&t.name, &q);
        // In a table the question does not name, a one-word column (`name`, `city`) is
        // usually another table's: only longer names (`tail_number`) link there.
        let cols: Vec<String> = (0..t.columns.len())
            .filter(|&i| asks_ids || !is_key(t, i))
            .filter(|&i| mentioned(&t.columns[i].name, &q))
            .filter(|&i| table_hit || significant(&t.columns[i].name).len() >= 2)
            .map(|i| {
                format!(
                    "{}.{}",
                    super::compact::ident(&t.name),
                    super::compact::ident(&t.columns[i].name)
                )
            })
            .collect();
        let score = 2 * usize::from(table_hit) + cols.len();
        if score == 0 {
            continue;
        }
        let mut items = Vec::new();
        if table_hit {
            items.push(super::compact::ident(&t.name));
        }
        items.extend(cols);
        per_table.push((score, ti, items));
    }
    // Stable: equal scores keep the schema's order.
    per_table.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    per_table
        .into_iter()
        .flat_map(|(_, _, items)| items)
        .collect()
}

/// The prompt line the linked layout writes after the question.
pub fn links_line(schema: &DbSchema, question: &str) -> String {
    let l = links(schema, question);
    if l.is_empty() {
        "-- Links: none\n".into()
    } else {
        format!("-- Links: {}\n", l.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, ForeignKey};

    fn col(name: &str, pk: bool, fk: Option<&str>) -> Column {
        Column {
            name: name.into(),
            ty: "TEXT".into(),
            primary_key: pk,
            not_null: false,
            foreign_key: fk.map(|t| ForeignKey {
                table: t.into(),
                column: name.into(),
            }),
        }
    }

    fn table(name: &str, columns: Vec<Column>) -> Table {
        Table {
            name: name.into(),
            columns,
            row_count: 0,
            sample_rows: vec![],
            values: vec![],
        }
    }

    fn vet_schema() -> DbSchema {
        DbSchema {
            tables: vec![
                table(
                    "owners",
                    vec![
                        col("owner_id", true, None),
                        col("first_name", false, None),
                        col("city", false, None),
                    ],
                ),
                table(
                    "pets",
                    vec![
                        col("pet_id", true, None),
                        col("owner_id", false, Some("owners")),
                        col("name", false, None),
                        col("species", false, None),
                        col("weight_kg", false, None),
                    ],
                ),
                table(
                    "work_orders",
                    vec![col("id", true, None), col("unitPrice", false, None)],
                ),
            ],
        }
    }

    #[test]
    fn words_fold_plurals_and_split_identifiers() {
        assert_eq!(stem("Categories"), "category");
        assert_eq!(stem("branches"), "branch");
        assert_eq!(stem("pets"), "pet");
        assert_eq!(stem("species"), "specy");
        assert_eq!(stem("status"), "status");
        assert_eq!(ident_words("WorkOrders"), ["work", "order"]);
        assert_eq!(ident_words("unit_price"), ["unit", "price"]);
        assert_eq!(significant("weight_kg"), ["weight"]);
    }

    #[test]
    fn values_the_question_says_are_linked_first() {
        let mut s = vet_schema();
        s.tables[1].values = vec![
            vec![],
            vec![],
            vec!["Rex".into()],
            vec!["Cat".into(), "Guinea Pig".into(), "Dog".into()],
            vec![],
        ];
        s.tables[0].values = vec![vec![], vec!["O'Brien".into()], vec!["Salem".into()]];
        assert_eq!(
            links(&s, "How many guinea pigs and cats live in Salem?"),
            [
                "pets.species='Guinea Pig'",
                "owners.city='Salem'",
                "pets.species='Cat'",
            ]
        );
        assert_eq!(
            links(&s, "Pets of owner O'Brien"),
            ["owners.first_name='O''Brien'", "owners", "pets"]
        );
        // Words must come in the value's order, whole.
        assert_eq!(links(&s, "pig guinea"), Vec::<String>::new());
    }

    #[test]
    fn links_name_what_the_question_mentions() {
        let s = vet_schema();
        assert_eq!(
            links(&s, "What is the average weight of pets of each species?"),
            ["pets", "pets.species", "pets.weight_kg"]
        );
        // Keys only when ids are asked for; camelCase and plurals fold.
        assert_eq!(
            links(&s, "List the unit prices of all work orders."),
            ["work_orders", "work_orders.unitPrice"]
        );
        assert_eq!(
            links(&s, "List the owner ids of pets."),
            [
                "pets",
                "pets.pet_id",
                "pets.owner_id",
                "owners",
                "owners.owner_id"
            ]
        );
        assert_eq!(
            links_line(&s, "How old is the universe?"),
            "-- Links: none\n"
        );
        // Tables with more mentions first.
        assert_eq!(
            links(
                &s,
                "Which owners live in the city where most pets have a name?"
            ),
            ["owners", "owners.city", "pets", "pets.name"]
        );
        // A one-word column of a table the question does not name is left out; a longer
        // name is not.
        assert_eq!(links(&s, "List the names of owners."), ["owners"]);
        assert_eq!(
            links(&s, "What is the highest unit price?"),
            ["work_orders.unitPrice"]
        );
    }
}
