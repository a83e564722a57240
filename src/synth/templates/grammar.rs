//! The grammar: which templates apply to a table and with which values. Every random draw (a
//! phrasing, a value, a coin) happens in a fixed order, so a seed gives the same examples; the
//! templates themselves are the table in `defs.rs`.

use super::defs::{self as d, Template};
use super::english::{
    an_before_vowels, bare, label_words, plural, plural_word, say, singular, words,
};
use super::profile::{Col, Tab};
use super::sql::{self, label_sql, lit, q};
use crate::exec::Value;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;

/// The most phrasings a template may have (see `Phraser::index`).
pub(super) const MAX_PHRASINGS: usize = 8;
const INDICES: [usize; MAX_PHRASINGS] = [0, 1, 2, 3, 4, 5, 6, 7];

pub(super) struct Phraser {
    pub(super) rng: StdRng,
}

impl Phraser {
    /// Which of `n` phrasings: the same draw as choosing from a slice of `n` phrasings.
    fn index(&mut self, n: usize) -> usize {
        INDICES[..n.min(MAX_PHRASINGS)]
            .choose(&mut self.rng)
            .copied()
            .unwrap_or(0)
    }
    /// Fills a phrasing's `{name}` slots, in the order given.
    fn fill(tpl: &str, slots: &[(&str, &str)]) -> String {
        let mut s = tpl.to_string();
        for (k, v) in slots {
            // `{slot}s` is the plural of the slot's noun phrase.
            s = s.replace(&format!("{{{k}}}s"), &plural_word(v));
            s = s.replace(&format!("{{{k}}}"), v);
        }
        let s = an_before_vowels(&s);
        // Sentence case: the first letter, and the first after "? ".
        let mut out = String::with_capacity(s.len());
        let mut upper = true;
        let mut prev = ' ';
        for ch in s.chars() {
            if upper && ch.is_alphabetic() {
                out.extend(ch.to_uppercase());
                upper = false;
            } else {
                out.push(ch);
            }
            if prev == '?' && ch == ' ' {
                upper = true;
            }
            prev = ch;
        }
        out
    }
    pub(super) fn value<'a>(&mut self, top: &'a [(Value, i64)]) -> Option<&'a Value> {
        top.choose(&mut self.rng).map(|(v, _)| v)
    }
    pub(super) fn coin(&mut self) -> bool {
        self.rng.random_bool(0.5)
    }
    pub(super) fn upto(&mut self, n: usize) -> usize {
        self.rng.random_range(0..n.max(1))
    }
}

/// A generated question with its SQL, before it is executed.
pub(super) struct Cand {
    pub(super) template: &'static str,
    pub(super) question: String,
    pub(super) sql: String,
}

pub(super) struct Gen {
    pub(super) p: Phraser,
    pub(super) out: Vec<Cand>,
}

impl Gen {
    /// One candidate of template `t`: a phrasing drawn and filled with `words`, its SQL pattern
    /// filled with `sql`.
    pub(super) fn emit(&mut self, t: &Template, words: &[(&str, &str)], sql: &[(&str, &str)]) {
        let i = self.p.index(t.phrasings.len());
        let question = Phraser::fill(t.phrasings.get(i).copied().unwrap_or_default(), words);
        self.out.push(Cand {
            template: t.name,
            question,
            sql: sql::fill(t.sql_for(i), sql),
        });
    }
}

/// Questions about one table on its own.
pub(super) fn single_table(g: &mut Gen, t: &Tab) {
    let names = Names::of(t);
    let (tn, pl, sg, lw, ls, named) = names.parts();

    g.emit(&d::COUNT_ALL, &[("pl", pl)], &[("tn", tn)]);
    if named && t.rows <= 200 {
        g.emit(
            &d::LIST_ALL,
            &[("lw", lw), ("pl", pl), ("sg", sg)],
            &[("ls", ls), ("tn", tn)],
        );
    }

    for c in t.cats() {
        let cw = words(&c.name);
        let cn = q(&c.name);
        let w = [("cw", cw.as_str()), ("pl", pl)];
        let s = [("cn", cn.as_str()), ("tn", tn)];
        g.emit(&d::DISTINCT, &w, &s);
        g.emit(&d::GROUP_COUNT, &w, &s);
        g.emit(&d::GROUP_TOP, &w, &s);
        g.emit(&d::COUNT_DISTINCT, &w, &s);
        if c.top.len() >= 2 {
            let n = c.top[1].1.max(2).to_string();
            g.emit(
                &d::GROUP_HAVING,
                &[("cw", &cw), ("pl", pl), ("n", &n)],
                &[("cn", &cn), ("tn", tn), ("n", &n)],
            );
        }

        for _ in 0..3 {
            let Some(v) = g.p.value(&c.top).cloned() else {
                break;
            };
            let vs = say(&v);
            let vb = bare(&v);
            let vl = lit(&v);
            let s = [
                ("cn", cn.as_str()),
                ("tn", tn),
                ("ls", ls),
                ("v", vl.as_str()),
            ];
            g.emit(
                &d::COUNT_WHERE,
                &[("cw", &cw), ("pl", pl), ("v", &vs), ("vb", &vb)],
                &s,
            );
            if named {
                g.emit(
                    &d::LIST_WHERE,
                    &[("cw", &cw), ("pl", pl), ("v", &vs), ("vb", &vb), ("lw", lw)],
                    &s,
                );
            }
            if c.top.len() >= 2 {
                let w = c.top[g.p.upto(c.top.len())].0.clone();
                if w != v && named {
                    g.emit(
                        &d::UNION,
                        &[
                            ("cw", &cw),
                            ("pl", pl),
                            ("v", &vs),
                            ("w", &say(&w)),
                            ("lw", lw),
                        ],
                        &[
                            ("ls", ls),
                            ("tn", tn),
                            ("cn", &cn),
                            ("v", &vl),
                            ("w", &lit(&w)),
                        ],
                    );
                }
            }
        }

        for m in t.measures() {
            let mw = words(&m.name);
            let mn = q(&m.name);
            let w = [("cw", cw.as_str()), ("pl", pl), ("mw", mw.as_str())];
            let s = [("cn", cn.as_str()), ("tn", tn), ("mn", mn.as_str())];
            g.emit(&d::GROUP_AGG, &w, &s);
            g.emit(&d::GROUP_COUNT_AVG, &w, &s);
            g.emit(&d::GROUP_SUM, &w, &s);
            g.emit(&d::GROUP_ORDER, &w, &s);

            if let Some(v) = g.p.value(&c.top).cloned() {
                let (agg, aw) = [
                    ("AVG", "average"),
                    ("MAX", "maximum"),
                    ("MIN", "minimum"),
                    ("SUM", "total"),
                ][g.p.upto(4)];
                let vs = say(&v);
                let vb = bare(&v);
                let vl = lit(&v);
                g.emit(
                    &d::AGG_WHERE,
                    &[
                        ("cw", &cw),
                        ("pl", pl),
                        ("mw", &mw),
                        ("aw", aw),
                        ("v", &vs),
                        ("vb", &vb),
                    ],
                    &[
                        ("agg", agg),
                        ("mn", &mn),
                        ("tn", tn),
                        ("cn", &cn),
                        ("v", &vl),
                    ],
                );
                g.emit(
                    &d::AVG_ROUND_WHERE,
                    &[
                        ("cw", &cw),
                        ("pl", pl),
                        ("mw", &mw),
                        ("v", &vs),
                        ("vb", &vb),
                    ],
                    &[("mn", &mn), ("tn", tn), ("cn", &cn), ("v", &vl)],
                );

                let hi = &m.quartiles[1];
                if named {
                    g.emit(
                        &d::AND_FILTER,
                        &[
                            ("cw", &cw),
                            ("pl", pl),
                            ("mw", &mw),
                            ("v", &vs),
                            ("x", &say(hi)),
                            ("lw", lw),
                        ],
                        &[
                            ("ls", ls),
                            ("tn", tn),
                            ("cn", &cn),
                            ("v", &vl),
                            ("mn", &mn),
                            ("x", &lit(hi)),
                        ],
                    );
                }
            }

            let (lo, hi) = (&m.quartiles[0], &m.quartiles[2]);
            g.emit(
                &d::INTERSECT,
                &[
                    ("cw", &cw),
                    ("pl", pl),
                    ("mw", &mw),
                    ("hi", &say(hi)),
                    ("lo", &say(lo)),
                ],
                &[
                    ("cn", &cn),
                    ("tn", tn),
                    ("mn", &mn),
                    ("hi", &lit(hi)),
                    ("lo", &lit(lo)),
                ],
            );
            let mid = &m.quartiles[1];
            g.emit(
                &d::EXCEPT,
                &[("cw", &cw), ("pl", pl), ("mw", &mw), ("x", &say(mid))],
                &[("cn", &cn), ("tn", tn), ("mn", &mn), ("x", &lit(mid))],
            );
        }
    }

    for m in t.measures() {
        measure(g, t, m, &names);
    }
    if named {
        label_text(g, t, &names);
    }

    for dc in t.dates() {
        let dw = words(&dc.name);
        let dn = q(&dc.name);
        let x = dc.quartiles[g.p.upto(3)].clone();
        let (op, ow) = if g.p.coin() {
            (">", "after")
        } else {
            ("<", "before")
        };
        g.emit(
            &d::COUNT_DATE,
            &[("pl", pl), ("dw", &dw), ("ow", ow), ("x", &say(&x))],
            &[("tn", tn), ("dn", &dn), ("op", op), ("x", &lit(&x))],
        );
        if let Some(y) = year_of(&x) {
            g.emit(
                &d::COUNT_YEAR,
                &[("pl", pl), ("dw", &dw), ("y", y)],
                &[("tn", tn), ("dn", &dn), ("y", y)],
            );
            if named {
                g.emit(
                    &d::LIST_YEAR,
                    &[("pl", pl), ("dw", &dw), ("y", y), ("lw", lw)],
                    &[("ls", ls), ("tn", tn), ("dn", &dn), ("y", y)],
                );
            }
        }
        if named {
            let (dir, w) = if g.p.coin() {
                ("DESC", "most recent")
            } else {
                ("ASC", "earliest")
            };
            g.emit(
                &d::DATE_SUPERLATIVE,
                &[("sg", sg), ("w", w), ("dw", &dw), ("lw", lw)],
                &[("ls", ls), ("tn", tn), ("dn", &dn), ("dir", dir)],
            );
        }
    }

    for c in t.cols.iter().filter(|c| c.nulls > 0 && !c.key) {
        let cw = words(&c.name);
        let cn = q(&c.name);
        let tpl = if g.p.coin() {
            &d::IS_NULL
        } else {
            &d::NOT_NULL
        };
        g.emit(tpl, &[("pl", pl), ("cw", &cw)], &[("tn", tn), ("cn", &cn)]);
        if named {
            g.emit(
                &d::LIST_NULL,
                &[("pl", pl), ("cw", &cw), ("lw", lw)],
                &[("ls", ls), ("tn", tn), ("cn", &cn)],
            );
        }
    }
}

/// Questions on the text of the column that names a row (its last name, for people): what it
/// starts with, a word it contains.
fn label_text(g: &mut Gen, t: &Tab, names: &Names) {
    let (tn, pl, _, lw, ls, _) = names.parts();
    let Some(lc) = t.label.last().and_then(|l| t.col(l)) else {
        return;
    };
    let Some(Value::Text(v)) = g.p.value(&lc.top).cloned() else {
        return;
    };
    let (lcw, lcn) = (words(&lc.name), q(&lc.name));
    if let Some(ch) = v.chars().next().filter(char::is_ascii_uppercase) {
        let ch = ch.to_string();
        g.emit(
            &d::STARTS_WITH,
            &[("lw", lw), ("pl", pl), ("lcw", &lcw), ("ch", &ch)],
            &[("ls", ls), ("tn", tn), ("lcn", &lcn), ("ch", &ch)],
        );
    }
    // A whole word of letters, so that it needs no quoting and reads as a word.
    let word = v
        .split(' ')
        .filter(|w| w.len() >= 4 && w.bytes().all(|b| b.is_ascii_alphabetic()))
        .max_by_key(|w| w.len());
    if let Some(word) = word {
        g.emit(
            &d::CONTAINS,
            &[("lw", lw), ("pl", pl), ("lcw", &lcw), ("word", word)],
            &[("ls", ls), ("tn", tn), ("lcn", &lcn), ("word", word)],
        );
    }
}

/// The year of an ISO date or timestamp value (`2023-04-01` → `2023`).
fn year_of(v: &Value) -> Option<&str> {
    let Value::Text(s) = v else { return None };
    let y = s.get(..4)?;
    (y.bytes().all(|b| b.is_ascii_digit()) && s.as_bytes().get(4) == Some(&b'-')).then_some(y)
}

/// How a table is named in questions and SQL.
struct Names {
    tn: String,
    pl: String,
    sg: String,
    lw: String,
    ls: String,
    /// Rows have a name (not only a key) to list them by.
    named: bool,
}

impl Names {
    fn of(t: &Tab) -> Names {
        Names {
            tn: q(&t.name),
            pl: plural(&t.name),
            sg: singular(&t.name),
            lw: label_words(t),
            ls: label_sql(t, None),
            named: t.has_name_label(),
        }
    }
    fn parts(&self) -> (&str, &str, &str, &str, &str, bool) {
        (&self.tn, &self.pl, &self.sg, &self.lw, &self.ls, self.named)
    }
}

/// Questions about one measure of a table: aggregates, numeric filters, ranges and order.
fn measure(g: &mut Gen, t: &Tab, m: &Col, names: &Names) {
    let (tn, pl, sg, lw, ls, named) = names.parts();
    let mw = words(&m.name);
    let mn = q(&m.name);
    for (agg, aws) in [
        ("AVG", &["average", "mean"][..]),
        ("MAX", &["maximum", "highest", "largest"][..]),
        ("MIN", &["minimum", "lowest", "smallest"][..]),
        ("SUM", &["total", "combined"][..]),
    ] {
        let aw = aws[g.p.upto(aws.len())];
        g.emit(
            &d::AGG,
            &[("aw", aw), ("mw", &mw), ("pl", pl)],
            &[("agg", agg), ("mn", &mn), ("tn", tn)],
        );
    }
    let w = [("mw", mw.as_str()), ("pl", pl)];
    let s = [("mn", mn.as_str()), ("tn", tn)];
    g.emit(&d::MAX_MIN, &w, &s);
    g.emit(&d::AVG_ROUND, &w, &s);

    for k in 0..3 {
        let x = m.quartiles[k].clone();
        let (op, ow) = if g.p.coin() {
            (">", ["more than", "greater than", "above"][g.p.upto(3)])
        } else {
            ("<", ["less than", "below", "under"][g.p.upto(3)])
        };
        let (xs, xl) = (say(&x), lit(&x));
        let s = [
            ("tn", tn),
            ("ls", ls),
            ("mn", mn.as_str()),
            ("op", op),
            ("x", xl.as_str()),
        ];
        g.emit(
            &d::COUNT_NUM,
            &[("pl", pl), ("mw", &mw), ("ow", ow), ("x", &xs)],
            &s,
        );
        if named {
            g.emit(
                &d::FILTER_NUM,
                &[
                    ("pl", pl),
                    ("sg", sg),
                    ("mw", &mw),
                    ("ow", ow),
                    ("x", &xs),
                    ("lw", lw),
                ],
                &s,
            );
        }
    }
    let (lo, hi) = (&m.quartiles[0], &m.quartiles[2]);
    g.emit(
        &d::BETWEEN,
        &[("pl", pl), ("mw", &mw), ("lo", &say(lo)), ("hi", &say(hi))],
        &[("tn", tn), ("mn", &mn), ("lo", &lit(lo)), ("hi", &lit(hi))],
    );
    if named {
        g.emit(
            &d::LIST_BETWEEN,
            &[
                ("pl", pl),
                ("mw", &mw),
                ("lw", lw),
                ("lo", &say(lo)),
                ("hi", &say(hi)),
            ],
            &[
                ("ls", ls),
                ("tn", tn),
                ("mn", &mn),
                ("lo", &lit(lo)),
                ("hi", &lit(hi)),
            ],
        );
    }

    if named {
        let desc = g.p.coin();
        let (dir, most) = if desc {
            ("DESC", "highest")
        } else {
            ("ASC", "lowest")
        };
        let n = 1 + g.p.upto(5);
        let s = [("ls", ls), ("tn", tn), ("mn", mn.as_str()), ("dir", dir)];
        if n == 1 {
            g.emit(
                &d::SUPERLATIVE,
                &[("sg", sg), ("most", most), ("mw", &mw), ("lw", lw)],
                &s,
            );
        } else {
            let ns = n.to_string();
            g.emit(
                &d::ORDER_LIMIT,
                &[
                    ("pl", pl),
                    ("most", most),
                    ("mw", &mw),
                    ("lw", lw),
                    ("n", &ns),
                ],
                &[
                    ("ls", ls),
                    ("tn", tn),
                    ("mn", &mn),
                    ("dir", dir),
                    ("n", &ns),
                ],
            );
        }
        g.emit(&d::ABOVE_AVG, &[("pl", pl), ("mw", &mw), ("lw", lw)], &s);
        if t.rows <= 200 {
            g.emit(
                &d::SORTED,
                &[
                    ("pl", pl),
                    ("sg", sg),
                    ("mw", &mw),
                    ("lw", lw),
                    ("ord", if desc { "descending" } else { "ascending" }),
                ],
                &s,
            );
        }
    }
}
