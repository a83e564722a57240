//! Schema-bound decoding, the lexical form of PICARD (Scholak et al., 2021): while a model
//! writes SQL for one of sense's prompts, every identifier it spells must be a SQL word or a
//! name the prompt's schema shows (or an alias it declared with `AS`). A candidate token that
//! would spell anything else is passed over for the next likeliest, so a small model that
//! half-remembers the names of its training databases writes the names of this one instead.
//! A string literal must be a value the prompt gives (`super::literals`); numbers and quoted
//! identifiers are left free.

use super::literals::Literals;
use super::sql_scope::Scopes;
use crate::schema::schema_section;

/// Words SQLite reads that are not in a schema: keywords, functions, type names.
const SQL_WORDS: &[&str] = &[
    "abs",
    "all",
    "and",
    "as",
    "asc",
    "avg",
    "between",
    "by",
    "case",
    "cast",
    "coalesce",
    "collate",
    "count",
    "cross",
    "date",
    "datetime",
    "desc",
    "distinct",
    "else",
    "end",
    "escape",
    "except",
    "exists",
    "false",
    "from",
    "full",
    "glob",
    "group",
    "group_concat",
    "having",
    "iif",
    "ifnull",
    "in",
    "inner",
    "instr",
    "integer",
    "intersect",
    "is",
    "join",
    "julianday",
    "left",
    "length",
    "like",
    "limit",
    "lower",
    "max",
    "min",
    "natural",
    "nocase",
    "not",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "or",
    "order",
    "outer",
    "printf",
    "real",
    "replace",
    "right",
    "round",
    "select",
    "strftime",
    "substr",
    "substring",
    "sum",
    "text",
    "then",
    "time",
    "total",
    "trim",
    "true",
    "union",
    "upper",
    "using",
    "when",
    "where",
    "with",
];

/// The identifiers a completion may use, by where they may stand; each list lowercase and
/// sorted for exact and prefix lookups.
#[derive(Debug, Clone, PartialEq)]
pub struct Names {
    tables: Vec<String>,
    /// Every other word of the schema: columns (and type names, which do no harm).
    columns: Vec<String>,
    sql: Vec<String>,
    /// Qualifiers taken on trust before the query declares them (`SELECT T1.a FROM t AS T1`):
    /// single letters, `t1`..`t9`, and each table's initials (`work_orders` → `wo`).
    alias_like: Vec<String>,
    /// The values string literals may hold (None: any).
    literals: Option<Literals>,
    /// Each table's words (its columns), by table; both sorted.
    table_columns: Vec<(String, Vec<String>)>,
    /// Schema words written in mixed case (`CustomerID`), as written; sorted.
    cased: Vec<String>,
    /// The tables and columns the prompt's `-- Links:` line names (lowercase, sorted).
    linked: Vec<String>,
}

/// Whether a lowercase letter is followed by a capital (`crOSS`, `airCRaft`): how a word reads
/// when spelled from odd tokens because the model's own were refused. Schema words written so
/// (`CustomerID`) are allowed as written.
fn mixed_case(word: &str) -> bool {
    word.chars()
        .zip(word.chars().skip(1))
        .any(|(a, b)| a.is_lowercase() && b.is_uppercase())
}

/// What the words before a word make of it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    /// After FROM or JOIN: a table.
    Table,
    /// After `x.`: a column.
    Column,
    /// After AS: a new alias, free.
    Alias,
    /// Anywhere else: a SQL word, column, table or declared alias.
    Any,
}

impl Names {
    /// The names of a schema as `prompt_for` lays it out: each line starts with a table
    /// (`name(...)` or `CREATE TABLE name`); its other words, outside single-quoted values,
    /// are columns. A double-quoted name counts whole.
    pub fn of_schema(schema: &str) -> Names {
        let mut tables = Vec::new();
        let mut columns = Vec::new();
        let mut alias_like: Vec<String> = ('a'..='z').map(String::from).collect();
        alias_like.extend((1..=9).map(|i| format!("t{i}")));
        let mut lex = Lexer::default();
        let create = schema.contains("CREATE TABLE");
        let mut table_columns: Vec<(String, Vec<String>)> = Vec::new();
        let mut cased = Vec::new();
        for line in schema.lines() {
            // A foreign key's target (`-> parent.col`) names a table and its column: the words
            // after each arrow but its first are columns of this line.
            let mut words = Vec::new();
            for (i, part) in line.split("->").enumerate() {
                let mut part_words = Vec::new();
                for c in part.chars().chain(std::iter::once('\n')) {
                    if let Some(word) = lex.push(c) {
                        if mixed_case(&word) {
                            cased.push(word.clone());
                        }
                        part_words.push(word.to_lowercase());
                    }
                }
                if i > 0 && !part_words.is_empty() {
                    part_words.remove(0);
                }
                words.extend(part_words);
            }
            // A table's line starts with its name (compact layout) or `CREATE TABLE name`.
            let at = match words.as_slice() {
                [c, t, _, ..] if c == "create" && t == "table" => Some(2),
                [_, ..] if !create => Some(0),
                _ => None,
            };
            if let Some(t) = at.map(|at| words.remove(at)) {
                alias_like.push(t.split('_').filter_map(|p| p.chars().next()).collect());
                table_columns.push((t.clone(), Vec::new()));
                tables.push(t);
            }
            // The CREATE TABLE layout lists a table's columns on the lines after its name.
            if let Some((_, cols)) = table_columns.last_mut() {
                cols.extend(words.iter().cloned());
            }
            columns.extend(words);
        }
        for (_, cols) in &mut table_columns {
            cols.sort();
            cols.dedup();
        }
        table_columns.sort();
        table_columns.dedup_by(|a, b| a.0 == b.0);
        let mut sql: Vec<String> = SQL_WORDS.iter().map(|w| w.to_string()).collect();
        for words in [
            &mut tables,
            &mut columns,
            &mut sql,
            &mut alias_like,
            &mut cased,
        ] {
            words.sort();
            words.dedup();
        }
        Names {
            tables,
            columns,
            sql,
            alias_like,
            literals: None,
            table_columns,
            cased,
            linked: Vec::new(),
        }
    }

    /// Whether `word` is cased as SQL is written: not mixed (`crOSS`) unless the schema writes
    /// it so (with `prefix`, the start of such a word).
    fn case_fits(&self, word: &str, prefix: bool) -> bool {
        !mixed_case(word) || has(&self.cased, word, prefix)
    }

    /// The words of `table`'s line(s): its columns (sorted).
    fn columns_of(&self, table: &str) -> Option<&[String]> {
        self.table_columns
            .binary_search_by(|(t, _)| t.as_str().cmp(table))
            .ok()
            .map(|i| self.table_columns[i].1.as_slice())
    }

    /// The names for a prompt `schema::prompt_for` wrote; None for any other text.
    pub fn of_prompt(prompt: &str) -> Option<Names> {
        let mut names = Names::of_schema(schema_section(prompt)?);
        names.literals = Literals::of_prompt(prompt);
        names.linked = super::links::linked_names(prompt);
        Some(names)
    }

    /// Whether `sql` (a completion so far) uses only allowed identifiers, each where it may
    /// stand: every finished word, and the last one as the start of an allowed word (with
    /// `finished`, as a whole one). So whatever is allowed can be finished by spelling on.
    /// A qualifier (`x.`) may be an alias the query declares later; it must be a table, a
    /// declared alias or alias-like.
    pub fn allows(&self, sql: &str, finished: bool) -> bool {
        let mut c = self.check();
        c.feed(sql) && c.ok(finished)
    }

    /// A check to feed a completion as it grows (`allows` in steps): clone it to try a piece.
    pub fn check(&self) -> Check<'_> {
        Check {
            names: self,
            lex: Lexer::default(),
            place: Place::Any,
            aliases: Vec::new(),
            literal: String::new(),
            scopes: Scopes::default(),
        }
    }
}

/// The state of `Names::allows` after some text: feed more, then ask whether it may end.
#[derive(Debug, Clone)]
pub struct Check<'a> {
    names: &'a Names,
    lex: Lexer,
    place: Place,
    aliases: Vec<String>,
    /// The single-quoted literal being written.
    literal: String,
    scopes: Scopes,
}

impl Check<'_> {
    /// Takes more text; false (and the state is spent) at the first identifier out of place.
    pub fn feed(&mut self, text: &str) -> bool {
        text.chars().all(|c| self.push(c))
    }

    fn push(&mut self, c: char) -> bool {
        if self.lex.quote == Some('\'') {
            if let Some(lits) = &self.names.literals {
                let closed = c == '\'';
                if !closed {
                    self.literal.push(c);
                }
                if !lits.allows(&self.literal, closed) {
                    return false;
                }
                if closed {
                    self.literal.clear();
                }
            }
        }
        let quoted = self.lex.quote.is_some();
        if let Some(word) = self.lex.push(c) {
            let w = word.to_lowercase();
            let n = self.names;
            let bare = !quoted && !w.starts_with(|c: char| c.is_ascii_digit());
            let ok = !bare
                || if self.place == Place::Alias {
                    // An alias is a name, not a qualified one (`AS T1.status`).
                    self.aliases.push(w.clone());
                    c != '.'
                } else if c == '.' && self.place == Place::Table {
                    false
                } else if c == '.' && self.place != Place::Column {
                    in_list(&n.tables, &w)
                        || in_list(&n.alias_like, &w)
                        || self.aliases.contains(&w)
                } else {
                    self.fits_here(&w, false)
                };
            if !ok || (bare && !n.case_fits(&word, false)) {
                return false;
            }
            if bare && c == '.' && self.place != Place::Column {
                self.scopes.note_qualifier(&w);
            }
            if bare && c != '.' {
                match self.place {
                    Place::Table => self.scopes.add_table(&w),
                    Place::Any if self.is_bare_column(&w) => self.scopes.note_column(&w),
                    _ => {}
                }
                self.scopes.word(&w);
            }
            self.place = match w.as_str() {
                "from" | "join" if !quoted => Place::Table,
                "as" if !quoted => Place::Alias,
                _ => Place::Any,
            };
        }
        let opened = self.lex.quote.is_some() && !quoted;
        if (self.lex.quote.is_none() && self.lex.word.is_empty() && !c.is_whitespace()) || opened {
            // What follows FROM/JOIN is a table or a subquery; what follows a dot, a column
            // or `*`.
            let fits = match self.place {
                Place::Table => c == '(',
                Place::Column => c == '*',
                _ => true,
            };
            if !fits && !quoted {
                return false;
            }
            if !quoted {
                if self.place == Place::Table {
                    self.scopes.from_subquery();
                }
                if !self.scopes.punct(c) {
                    return false;
                }
            }
            self.place = if c == '.' { Place::Column } else { Place::Any };
        }
        true
    }

    /// `Names::fits` where the query's scopes narrow it: the first table after FROM holds a
    /// column the SELECT used; once a SELECT's tables are known a bare column is one of theirs;
    /// SELECT only where a query may start.
    fn fits_here(&self, w: &str, prefix: bool) -> bool {
        let n = self.names;
        let matches = |x: &str| if prefix { x.starts_with(w) } else { x == w };
        match self.place {
            Place::Table => n
                .tables
                .iter()
                .any(|t| matches(t) && self.scopes.table_fits(t, |x| n.columns_of(x))),
            Place::Any => {
                let select_fits = self.scopes.select_fits();
                let sql = n
                    .sql
                    .iter()
                    .any(|x| matches(x) && (select_fits || x != "select"));
                let in_scope = self.scopes.tables_in_scope();
                let column = || match &in_scope {
                    None => has(&n.columns, w, prefix),
                    Some(ts) => ts.iter().any(|t| {
                        n.columns_of(t)
                            .is_some_and(|cols| cols.iter().any(|c| matches(c)))
                    }),
                };
                // A qualifier is only known as one at its `.`: alias-like prefixes may grow.
                sql || column()
                    || has(&n.tables, w, prefix)
                    || self.aliases.iter().any(|a| matches(a))
                    || (prefix && has(&n.alias_like, w, true))
            }
            Place::Column => has(&n.columns, w, prefix),
            Place::Alias => true,
        }
    }

    /// A schema column written bare: not a SQL word, table or declared alias.
    fn is_bare_column(&self, w: &str) -> bool {
        let n = self.names;
        in_list(&n.columns, w)
            && !in_list(&n.sql, w)
            && !in_list(&n.tables, w)
            && !self.aliases.iter().any(|a| a == w)
    }

    /// Whether the text fed so far may stand: the word being spelled starts an allowed one
    /// (with `finished`, is one), and a finished query does not end where a name is due
    /// (`FROM`, `t.`, `AS`).
    pub fn ok(&self, finished: bool) -> bool {
        if finished && self.lex.quote.is_none() {
            // The word being spelled ends with the query: take it before judging the scopes.
            let mut done = self.clone();
            if !(done.push(' ') && done.scopes.may_end(&done.aliases)) {
                return false;
            }
        }
        match self.lex.open_word() {
            Some(part)
                if !part.starts_with(|c: char| c.is_ascii_digit())
                    && self.place != Place::Alias =>
            {
                self.names.case_fits(part, !finished)
                    && self.fits_here(&part.to_lowercase(), !finished)
            }
            Some(part) if self.place == Place::Alias => self.names.case_fits(part, !finished),
            Some(_) => true,
            // A string or quoted name left open is never a finished query.
            None if self.lex.quote.is_some() => !finished,
            None => !finished || self.place == Place::Any,
        }
    }
}

impl Check<'_> {
    /// Whether appending `piece` spells (part of) a name the prompt's links line gives
    /// (`super::links::spells`); never inside a string or quoted name.
    pub fn spells_link(&self, piece: &str) -> bool {
        self.lex.quote.is_none() && super::links::spells(&self.names.linked, &self.lex.word, piece)
    }
}

/// Whether sorted `list` holds `w` (with `prefix`, a word starting with it).
fn has(list: &[String], w: &str, prefix: bool) -> bool {
    if prefix {
        let i = list.partition_point(|x| x.as_str() < w);
        list.get(i).is_some_and(|x| x.starts_with(w))
    } else {
        in_list(list, w)
    }
}

fn in_list(list: &[String], w: &str) -> bool {
    list.binary_search_by(|x| x.as_str().cmp(w)).is_ok()
}

/// Splits SQL text into identifier words as it arrives, skipping single-quoted strings; a
/// double- or back-quoted name is one word.
#[derive(Debug, Clone, Default)]
struct Lexer {
    word: String,
    quote: Option<char>,
}

impl Lexer {
    /// Takes one character; returns the word it finished, if any.
    fn push(&mut self, c: char) -> Option<String> {
        if let Some(q) = self.quote {
            if c == q {
                self.quote = None;
                if q != '\'' {
                    return Some(std::mem::take(&mut self.word));
                }
            } else if q != '\'' {
                self.word.push(c);
            }
            return None;
        }
        if c.is_alphanumeric() || c == '_' {
            self.word.push(c);
            return None;
        }
        let done = (!self.word.is_empty()).then(|| std::mem::take(&mut self.word));
        if matches!(c, '\'' | '"' | '`') {
            self.quote = Some(c);
        }
        done
    }

    /// The word being spelled at the end of the text (None inside a string or between words;
    /// a quoted name in progress is free).
    fn open_word(&self) -> Option<&str> {
        (self.quote.is_none() && !self.word.is_empty()).then_some(self.word.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names::of_schema(
            "aircraft(aircraft_id PK, tail_number text 'N1 Fleet', total_flight_hours real)\n\
             technicians(technician_id PK, \"Hourly Rate\" real, supervisor_id -> technicians.technician_id)\n\
             work_orders(work_order_id PK, aircraft_id -> aircraft)\n",
        )
    }

    #[test]
    fn schema_names_and_sql_words_pass_and_others_do_not() {
        let n = names();
        let ok = |s: &str| n.allows(s, true);
        assert!(ok(
            "SELECT MAX(total_flight_hours), MIN(total_flight_hours) FROM aircraft"
        ));
        assert!(ok("SELECT \"Hourly Rate\" FROM Technicians"));
        assert!(ok("SELECT COUNT(*) FROM work_orders WHERE aircraft_id IN (SELECT aircraft_id FROM aircraft)"));
        // A training database's table, and a column made of a real one's pieces.
        assert!(!ok("SELECT COUNT(*) FROM players"));
        assert!(!ok("SELECT MAX(hours) FROM aircraft"));
        // A value's words are not names: they were inside quotes in the schema.
        assert!(!ok("SELECT fleet FROM aircraft"));
    }

    #[test]
    fn a_name_must_fit_where_it_stands() {
        let n = names();
        let ok = |s: &str| n.allows(s, true);
        // After FROM or JOIN only a table; SQL words and columns are refused there.
        assert!(!ok("SELECT COUNT(*) FROM replace"));
        assert!(!ok("SELECT COUNT(*) FROM tail_number"));
        assert!(!n.allows("SELECT COUNT(*) FROM re", false));
        assert!(n.allows("SELECT COUNT(*) FROM (SELECT", false));
        assert!(!n.allows("SELECT COUNT(*) FROM,", false));
        assert!(!n.allows("SELECT COUNT(*) FROM a.", false));
        assert!(n.allows("SELECT COUNT(*) FROM\n", false));
        assert!(!n.allows("SELECT COUNT(*) FROM\n", true));
        assert!(!n.allows("SELECT t.", true));
        assert!(!n.allows("SELECT COUNT(*) FROM 'x'", false));
        assert!(!n.allows("SELECT t.(", false));
        assert!(n.allows("SELECT t.*", false));
        // After a qualifier's dot only a column.
        assert!(!ok("SELECT T1.aircraft FROM aircraft AS T1"));
        assert!(ok("SELECT T1.tail_number FROM aircraft AS T1"));
    }

    #[test]
    fn the_word_being_spelled_needs_only_to_start_a_name() {
        let n = names();
        assert!(n.allows("SELECT COUNT(*) FROM air", false));
        assert!(!n.allows("SELECT COUNT(*) FROM air", true));
        assert!(!n.allows("SELECT COUNT(*) FROM pla", false));
        assert!(n.allows("SELECT total_fl", false));
        assert!(!n.allows("SELECT total_fl ", false));
    }

    /// Words spelled from odd tokens after the model's own were refused (`crOSS`, `airCRaft`)
    /// are not SQL; capitals, lowercase and the schema's own mixed case are.
    #[test]
    fn words_in_mixed_case_pass_only_as_the_schema_writes_them() {
        let n = names();
        assert!(n.allows("SELECT COUNT(*) FROM AIRCRAFT", true));
        assert!(n.allows("select count(*) from Aircraft", true));
        assert!(!n.allows("SELECT COUNT(*) FROM airCRaft", true));
        assert!(!n.allows("SELECT COUNT(*) FROM airC", false));
        assert!(!n.allows("SELECT DISTINCT crOSS", false));
        assert!(!n.allows("SELECT total_fliGht_hours FROM aircraft", true));
        let camel = Names::of_schema("customers(CustomerID PK, eventTime text)\n");
        assert!(camel.allows("SELECT CustomerID, eventTime FROM customers", true));
        assert!(camel.allows("SELECT CustomerI", false));
        assert!(!camel.allows("SELECT CustomerId FROM customers", true));
    }

    const LINKED: &str = "-- SQLite database schema:\n\
        parts(part_id PK, part_name text, supplier text 'Honeywell')\n\
        planes(plane_id PK, tail_number text)\n\
        -- Question: Which parts does Honeywell, Inc. supply?\n\
        -- Links: parts.supplier='Honeywell, Inc.', parts, parts.part_name\n\
        -- SQL:\n";

    #[test]
    fn a_piece_spells_a_link_when_it_writes_or_continues_a_linked_name() {
        let n = Names::of_prompt(LINKED).unwrap();
        let after = |text: &str| {
            let mut c = n.check();
            assert!(c.feed(text), "{text}");
            c
        };
        let from = after("SELECT COUNT(*) FROM");
        assert!(
            from.spells_link(" par") && from.spells_link(" parts") && from.spells_link(" parts ")
        );
        assert!(
            !from.spells_link(" pla") && !from.spells_link(" partsx ") && !from.spells_link(" ")
        );
        let open = after("SELECT part");
        assert!(open.spells_link("_name") && open.spells_link("_na") && open.spells_link("s,"));
        assert!(!open.spells_link("_id"));
        // Inside a string the links say nothing (values have their own rule).
        assert!(!after("SELECT part_name FROM parts WHERE supplier = 'Hon").spells_link("ey"));
        assert!(!after("SELECT part_name FROM parts WHERE supplier =").spells_link(" 'parts"));
    }

    #[test]
    fn literals_numbers_and_aliases_are_free() {
        let n = names();
        assert!(n.allows(
            "SELECT tail_number FROM aircraft WHERE tail_number = 'Anything goes",
            false
        ));
        assert!(n.allows(
            "SELECT tail_number FROM aircraft WHERE tail_number = 'it''s' LIMIT 3",
            true
        ));
        assert!(n.allows(
            "SELECT total_flight_hours FROM aircraft WHERE total_flight_hours > 2.5",
            true
        ));
        assert!(n.allows(
            "SELECT T1.tail_number FROM aircraft AS T1 JOIN work_orders AS wo ON T1.aircraft_id = wo.aircraft_id",
            true
        ));
        // Qualifiers used before their declaration: alias-like ones (letters, t1..t9, a table's
        // initials) and tables; not any word.
        assert!(n.allows("SELECT wo.work_order_id", false));
        assert!(n.allows("SELECT aircraft.tail_number", false));
        assert!(!n.allows("SELECT tech.technician_id", false));
        // A declared alias stands for a name, in ORDER BY too.
        assert!(n.allows(
            "SELECT COUNT(*) AS planes FROM aircraft ORDER BY planes",
            true
        ));
    }

    #[test]
    fn only_prompts_sense_wrote_have_names() {
        assert!(Names::of_prompt("Write SQL for: how many aircraft?").is_none());
        let p = "-- SQLite database schema:\naircraft(aircraft_id PK)\n-- Question: How many?\n-- SQL:\n";
        let n = Names::of_prompt(p).unwrap();
        assert!(n.allows("SELECT COUNT(aircraft_id) FROM aircraft", true));
        // The question's words are not names.
        assert!(!n.allows("SELECT how FROM aircraft", true));
        // The CREATE TABLE layout names its tables too.
        let create = "-- SQLite database schema:\nCREATE TABLE aircraft (\n  aircraft_id INTEGER PRIMARY KEY\n);\n-- Question: How many?\n-- SQL:\n";
        let n = Names::of_prompt(create).unwrap();
        assert!(n.allows("SELECT COUNT(aircraft_id) FROM aircraft", true));
        assert!(!n.allows("SELECT COUNT(*) FROM aircraft_id", true));
    }

    fn shop() -> Names {
        Names::of_schema(
            "customers(customer_id PK, name text, city text)\n\
             orders(order_id PK, customer_id -> customers, status text, total real)\n\
             products(product_id PK, name text, price real)\n",
        )
    }

    #[test]
    fn bare_columns_keep_to_the_tables_in_scope() {
        let n = shop();
        let ok = |s: &str| n.allows(s, true);
        // The first table after FROM holds a column the SELECT used.
        assert!(ok("SELECT name FROM customers"));
        assert!(!ok("SELECT name FROM orders"));
        assert!(!n.allows("SELECT city FROM pro", false));
        assert!(n.allows("SELECT city FROM cus", false));
        // Once its tables are named, a bare column is one of theirs.
        assert!(ok("SELECT COUNT(*) FROM orders WHERE status = 'x'"));
        assert!(!ok("SELECT COUNT(*) FROM orders WHERE price > 3"));
        assert!(!n.allows("SELECT COUNT(*) FROM orders WHERE pric", false));
        assert!(ok(
            "SELECT name, total FROM customers JOIN orders ON customers.customer_id = orders.customer_id"
        ));
        // A subquery has its own scope; a correlated one sees the outer tables.
        assert!(ok("SELECT name FROM customers WHERE customer_id IN (SELECT customer_id FROM orders WHERE total > 5)"));
        assert!(!ok(
            "SELECT name FROM customers WHERE customer_id IN (SELECT customer_id FROM products)"
        ));
        assert!(ok("SELECT name FROM customers WHERE EXISTS (SELECT 1 FROM orders WHERE orders.customer_id = customer_id AND city = 'x')"));
        // A SELECT reading a subquery, and aliases of the SELECT list, stay free.
        assert!(ok(
            "SELECT name FROM (SELECT name FROM products) AS sub WHERE name > 1"
        ));
        assert!(ok(
            "SELECT city, COUNT(*) AS c FROM customers GROUP BY city ORDER BY c DESC"
        ));
    }

    #[test]
    fn brackets_balance_and_select_starts_a_query() {
        let n = shop();
        let ok = |s: &str| n.allows(s, true);
        assert!(!n.allows("SELECT COUNT(*) FROM orders)", false));
        assert!(!ok(
            "SELECT COUNT(*) FROM orders WHERE total > (SELECT AVG(total) FROM orders"
        ));
        assert!(n.allows(
            "SELECT COUNT(*) FROM orders WHERE total > (SELECT AVG(total",
            false
        ));
        assert!(!ok("SELECT name FROM customers SELECT name FROM products"));
        assert!(ok(
            "SELECT name FROM customers UNION SELECT name FROM products"
        ));
        assert!(ok(
            "SELECT name FROM customers UNION ALL SELECT name FROM products"
        ));
        // An alias is a name, never a qualified one.
        assert!(!n.allows("SELECT COUNT(*) AS T1.status", false));
        // A query ends only with its qualifiers declared and its columns' tables named.
        assert!(!ok("SELECT f.name FROM products"));
        assert!(ok("SELECT f.name FROM products AS f"));
        assert!(ok("SELECT products.name FROM products"));
        assert!(!ok("SELECT city, 1"));
        assert!(!ok("SELECT name FROM (SELECT name LIKE 'A%') AS s"));
        assert!(ok("SELECT 1"));
    }

    #[test]
    fn a_prompt_with_a_question_keeps_literals_to_its_values() {
        let p = "-- SQLite database schema:\naircraft(aircraft_id PK, home_base text 'SEA')\n-- Question: Which aircraft are based in Boston?\n-- SQL:\n";
        let n = Names::of_prompt(p).unwrap();
        assert!(n.allows(
            "SELECT aircraft_id FROM aircraft WHERE home_base = 'Boston'",
            true
        ));
        assert!(n.allows(
            "SELECT aircraft_id FROM aircraft WHERE home_base = 'SEA'",
            true
        ));
        assert!(n.allows(
            "SELECT aircraft_id FROM aircraft WHERE home_base = 'Bos",
            false
        ));
        assert!(!n.allows(
            "SELECT aircraft_id FROM aircraft WHERE home_base = 'Bon",
            false
        ));
        assert!(!n.allows(
            "SELECT aircraft_id FROM aircraft WHERE home_base = 'Bost' ",
            false
        ));
    }
}
