//! The grammar along foreign keys: counts and aggregates per parent, parents with or without
//! children (of a kind), children filtered by their parent.

use super::defs as d;
use super::english::{label_words, plural, say, singular, words};
use super::grammar::Gen;
use super::profile::Tab;
use super::sql::{label_sql, lit, q};

/// Questions over `child` joined to each table its foreign keys name.
pub(super) fn joins(g: &mut Gen, tabs: &[Tab], child: &Tab) {
    for (fk, parent_name, pcol) in &child.fks {
        let Some(parent) = tabs
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(parent_name))
        else {
            continue;
        };
        if parent.name == child.name {
            continue;
        }
        let (cn, pn) = (q(&child.name), q(&parent.name));
        let (fkq, pkq) = (q(fk), q(pcol));
        let on = format!("{cn} AS T1 JOIN {pn} AS T2 ON T1.{fkq} = T2.{pkq}");
        let cpl = plural(&child.name);
        let csg = singular(&child.name);
        let psg = singular(&parent.name);
        let ppl = plural(&parent.name);
        let plw = label_words(parent);
        let pls2 = label_sql(parent, Some("T2"));
        let pls = label_sql(parent, None);
        let clw = label_words(child);
        let cls1 = label_sql(child, Some("T1"));
        // Which parent the foreign key names, when a child has several to the same table
        // (home team / away team): say the column.
        let role = {
            let w = words(fk);
            let w = w.strip_suffix(" id").unwrap_or(&w).to_string();
            if w == psg {
                psg.clone()
            } else {
                w
            }
        };
        // Every SQL slot of the join templates but the value ones.
        let s = [
            ("on", on.as_str()),
            ("fk", &fkq),
            ("pk", &pkq),
            ("cn", &cn),
            ("pn", &pn),
            ("pls", &pls),
            ("pls2", &pls2),
            ("cls1", &cls1),
        ];

        if parent.has_name_label() {
            g.emit(
                &d::JOIN_GROUP_COUNT,
                &[("psg", &psg), ("role", &role), ("plw", &plw), ("cpl", &cpl)],
                &s,
            );
            g.emit(
                &d::JOIN_TOP,
                &[("role", &role), ("plw", &plw), ("cpl", &cpl)],
                &s,
            );
            let n = (2 + g.p.upto(3)).to_string();
            g.emit(
                &d::JOIN_HAVING,
                &[
                    ("ppl", &ppl),
                    ("role", &role),
                    ("plw", &plw),
                    ("cpl", &cpl),
                    ("n", &n),
                ],
                &[("pls2", &pls2), ("on", &on), ("fk", &fkq), ("n", &n)],
            );
            g.emit(
                &d::NOT_IN,
                &[("ppl", &ppl), ("plw", &plw), ("cpl", &cpl)],
                &s,
            );

            // Filter the children by a real parent name.
            if let Some(lab) = parent.label.first().and_then(|l| parent.col(l)) {
                if let Some(v) = g.p.value(&lab.top).cloned() {
                    if child.has_name_label() && parent.label.len() == 1 {
                        g.emit(
                            &d::JOIN_WHERE,
                            &[
                                ("clw", &clw),
                                ("cpl", &cpl),
                                ("role", &role),
                                ("v", &say(&v)),
                            ],
                            &[
                                ("cls1", &cls1),
                                ("on", &on),
                                ("plabel", &q(&parent.label[0])),
                                ("v", &lit(&v)),
                            ],
                        );
                    }
                }
            }
            if child.has_name_label() && child.rows <= 300 {
                g.emit(
                    &d::JOIN_LIST,
                    &[("csg", &csg), ("clw", &clw), ("plw", &plw), ("role", &role)],
                    &s,
                );
            }
        }

        // Children's categories through the parent, and parents with some child of a kind.
        for c in child.cats() {
            let cw = words(&c.name);
            let ccn = q(&c.name);
            let Some(v) = g.p.value(&c.top).cloned() else {
                continue;
            };
            if parent.has_name_label() {
                let w = [
                    ("plw", plw.as_str()),
                    ("ppl", &ppl),
                    ("csg", &csg),
                    ("cpl", &cpl),
                    ("cw", &cw),
                    ("v", &say(&v)),
                ];
                let s = [
                    ("pls", pls.as_str()),
                    ("pn", &pn),
                    ("pk", &pkq),
                    ("fk", &fkq),
                    ("cn", &cn),
                    ("ccn", &ccn),
                    ("v", &lit(&v)),
                ];
                g.emit(&d::IN_SUBQUERY, &w, &s);
                g.emit(&d::NOT_IN_WHERE, &w, &s);
            }
        }
        for pc in parent.cats() {
            let Some(v) = g.p.value(&pc.top).cloned() else {
                continue;
            };
            let pcw = words(&pc.name);
            let pcn = q(&pc.name);
            g.emit(
                &d::JOIN_COUNT_WHERE,
                &[
                    ("cpl", &cpl),
                    ("ppl", &ppl),
                    ("role", &role),
                    ("pcw", &pcw),
                    ("v", &say(&v)),
                ],
                &[("on", &on), ("pcn", &pcn), ("v", &lit(&v))],
            );
            g.emit(
                &d::JOIN_GROUP_CAT,
                &[("cpl", &cpl), ("ppl", &ppl), ("role", &role), ("pcw", &pcw)],
                &[("on", &on), ("pcn", &pcn)],
            );
        }
        for m in child.measures() {
            if !parent.has_name_label() {
                break;
            }
            let mw = words(&m.name);
            let mn = q(&m.name);
            g.emit(
                &d::JOIN_AGG,
                &[("mw", &mw), ("cpl", &cpl), ("role", &role), ("plw", &plw)],
                &[("pls2", &pls2), ("mn", &mn), ("on", &on), ("fk", &fkq)],
            );
            let x = &m.quartiles[2];
            g.emit(
                &d::JOIN_FILTER_NUM,
                &[
                    ("ppl", &ppl),
                    ("csg", &csg),
                    ("cpl", &cpl),
                    ("mw", &mw),
                    ("x", &say(x)),
                    ("plw", &plw),
                ],
                &[("pls2", &pls2), ("on", &on), ("mn", &mn), ("x", &lit(x))],
            );
        }
    }
}
