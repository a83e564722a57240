//! The Runs screen's `n` form: a new SFT or DPO run, its fields and their checks, the
//! `sense train` arguments it builds, its keys and its overlay. Its defaults and model sizes
//! are the training configuration's own (`train::config`), so the two cannot drift apart.

use super::RunsState;
use crate::train::config::{ModelConfig, TokenizerKind, TrainConfig, TrainKind};
use crate::tui::ctx::ViewCtx;
use crate::tui::model_names::run_checkpoint_name;
use crate::tui::msg::Effect;
use crate::tui::runs_jobs::{Request, RunInfo};
use crate::tui::widgets::input::LineInput;
use crate::tui::widgets::{block, fit};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::text::Span;
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

/// Fields of the new-run form, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Kind,
    From,
    Split,
    Source,
    Db,
    Pairs,
    Steps,
    Batch,
    Lr,
    Beta,
    Size,
    /// Byte or BPE (runs from scratch only: a checkpoint brings its own).
    Tokenizer,
    /// The recipe's time budget.
    Minutes,
}

/// Model sizes the form offers for a run from scratch, smallest first: two small ones for
/// quick runs, then `sense train`'s default model.
pub fn sizes() -> [(&'static str, ModelConfig); 3] {
    let base = ModelConfig::default();
    let small = |n_layers, d_model, n_heads, d_ff, max_seq_len| ModelConfig {
        n_layers,
        d_model,
        n_heads,
        d_ff,
        max_seq_len,
        ..base.clone()
    };
    [
        ("tiny", small(1, 32, 2, 64, 256)),
        ("small", small(2, 128, 4, 384, 512)),
        ("base", base.clone()),
    ]
}

/// "tiny (1×32)": a size's name with its layers and width.
pub fn size_label(i: usize) -> String {
    let sizes = sizes();
    let (name, m) = &sizes[i.min(sizes.len() - 1)];
    format!("{name} ({}×{})", m.n_layers, m.d_model)
}

/// A number as typed into the form: the shorter of its plain and scientific forms ("0.1",
/// "1e-3"), so a default reads as one would write it.
pub fn short_number(v: f64) -> String {
    let (plain, sci) = (v.to_string(), format!("{v:e}"));
    if sci.len() < plain.len() {
        sci
    } else {
        plain
    }
}

fn kind_of(dpo: bool) -> TrainKind {
    if dpo {
        TrainKind::Dpo
    } else {
        TrainKind::Sft
    }
}

/// The `n` form: a new SFT or DPO run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunForm {
    pub dpo: bool,
    /// The whole SENSE loop in miniature (`sense recipe`) instead of one run.
    pub recipe: bool,
    pub minutes: LineInput,
    pub field: usize,
    pub from: LineInput,
    pub split: LineInput,
    pub source: LineInput,
    pub db: LineInput,
    /// accepted, pending, all
    pub pairs: usize,
    pub steps: LineInput,
    pub batch: LineInput,
    pub lr: LineInput,
    pub beta: LineInput,
    pub size: usize,
    /// Train a BPE tokenizer (`--tokenizer bpe`, `sense train`'s default) instead of bytes.
    pub bpe: bool,
    /// Rows the data filter selects (None while counting).
    pub count: Option<Result<i64, String>>,
    pub error: Option<String>,
    /// Enter was pressed once with a held-out split: a second Enter confirms it.
    pub confirm_dev: bool,
    /// The workspace's checkpoints ←/→ pick from on the From field: (name, path), newest
    /// run first; typing a path stays possible.
    pub choices: Vec<(String, String)>,
}

const PAIRS: &[&str] = &["accepted", "pending", "all"];

impl RunForm {
    pub fn new(dpo: bool, from: &str) -> RunForm {
        let d = TrainConfig::for_kind(TrainKind::Dpo);
        let mut f = RunForm {
            dpo,
            recipe: false,
            minutes: LineInput::new("30"),
            field: 0,
            from: LineInput::new(from),
            split: LineInput::default(),
            source: LineInput::default(),
            db: LineInput::default(),
            pairs: PAIRS.iter().position(|p| *p == d.data.pairs).unwrap_or(0),
            steps: LineInput::default(),
            batch: LineInput::default(),
            lr: LineInput::default(),
            beta: LineInput::new(&short_number(d.dpo.beta)),
            size: 0,
            bpe: false,
            count: None,
            error: None,
            confirm_dev: false,
            choices: Vec::new(),
        };
        f.kind_defaults();
        f
    }

    /// Defaults of `sense train` for the kind: `TrainConfig::for_kind`'s (no split reads "all").
    fn kind_defaults(&mut self) {
        let c = TrainConfig::for_kind(kind_of(self.dpo));
        self.split = LineInput::new(c.data.split.as_deref().unwrap_or("all"));
        self.steps = LineInput::new(&c.steps.to_string());
        self.batch = LineInput::new(&c.batch_size.to_string());
        self.lr = LineInput::new(&short_number(c.lr));
        self.bpe = c.tokenizer == TokenizerKind::Bpe;
    }

    /// 0 SFT, 1 DPO, 2 recipe: the order ←/→ on the kind go through.
    fn kind_index(&self) -> usize {
        if self.recipe {
            2
        } else {
            usize::from(self.dpo)
        }
    }

    /// The fields shown for this kind.
    pub fn fields(&self) -> Vec<Field> {
        if self.recipe {
            return vec![Field::Kind, Field::Minutes];
        }
        let mut v = vec![
            Field::Kind,
            Field::From,
            Field::Split,
            Field::Source,
            Field::Db,
        ];
        if self.dpo {
            v.push(Field::Pairs);
        }
        v.extend([Field::Steps, Field::Batch, Field::Lr]);
        if self.dpo {
            v.push(Field::Beta);
        }
        if self.from.text.trim().is_empty() {
            v.extend([Field::Size, Field::Tokenizer]);
        }
        v
    }

    pub fn current(&self) -> Field {
        let f = self.fields();
        f[self.field.min(f.len() - 1)]
    }

    fn input(&mut self, f: Field) -> Option<&mut LineInput> {
        match f {
            Field::From => Some(&mut self.from),
            Field::Split => Some(&mut self.split),
            Field::Source => Some(&mut self.source),
            Field::Db => Some(&mut self.db),
            Field::Steps => Some(&mut self.steps),
            Field::Batch => Some(&mut self.batch),
            Field::Lr => Some(&mut self.lr),
            Field::Beta => Some(&mut self.beta),
            Field::Minutes => Some(&mut self.minutes),
            Field::Kind | Field::Pairs | Field::Size | Field::Tokenizer => None,
        }
    }

    fn opt(i: &LineInput) -> Option<String> {
        let t = i.text.trim();
        (!t.is_empty()).then(|| t.to_string())
    }

    /// The split asked for when it is held out (not train): dev, test, or "all".
    pub fn held_out_split(&self) -> Option<String> {
        if self.recipe {
            return None;
        }
        Self::opt(&self.split).filter(|s| s != crate::store::TRAIN)
    }

    /// What Enter starts: `sense recipe --minutes M`, or `sense train` with [`Self::args`].
    pub fn request(&self) -> Result<Request, String> {
        if self.recipe {
            let minutes = self
                .minutes
                .text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|m| m.is_finite() && *m >= 1.0 && *m <= 24.0 * 60.0)
                .ok_or("minutes must be a number from 1 to 1440")?;
            return Ok(Request::Recipe { minutes });
        }
        self.args().map(Request::Train)
    }

    /// The data filter the form selects.
    pub fn filter(&self) -> crate::store::DataFilter {
        crate::store::DataFilter {
            split: Self::opt(&self.split).filter(|s| s != "all"),
            source: Self::opt(&self.source),
            db: Self::opt(&self.db),
            pairs: self.dpo.then(|| PAIRS[self.pairs].to_string()),
        }
    }

    /// `sense train` arguments, or what is wrong with the form.
    pub fn args(&self) -> Result<Vec<String>, String> {
        let int = |i: &LineInput, what: &str| -> Result<usize, String> {
            i.text
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("{what} must be a whole number ≥ 1"))
        };
        let pos = |i: &LineInput, what: &str| -> Result<f64, String> {
            i.text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0)
                .ok_or_else(|| format!("{what} must be a positive number"))
        };
        let steps = int(&self.steps, "steps")?;
        let batch = int(&self.batch, "batch")?;
        let lr = pos(&self.lr, "learning rate")?;
        let mut a: Vec<String> = vec![
            kind_of(self.dpo).as_str().into(),
            "--steps".into(),
            steps.to_string(),
            "--batch-size".into(),
            batch.to_string(),
            "--lr".into(),
            lr.to_string(),
        ];
        match Self::opt(&self.from) {
            Some(p) => {
                if !std::path::Path::new(&p).exists() {
                    return Err(format!("starting checkpoint {p} does not exist"));
                }
                a.extend(["--from".into(), p]);
            }
            None if self.dpo => {
                return Err("DPO needs a starting checkpoint (it is also the reference)".into())
            }
            None => {
                let sizes = sizes();
                let m = &sizes[self.size.min(sizes.len() - 1)].1;
                for (flag, v) in [
                    ("--layers", m.n_layers),
                    ("--d-model", m.d_model),
                    ("--heads", m.n_heads),
                    ("--d-ff", m.d_ff),
                    ("--context", m.max_seq_len),
                ] {
                    a.extend([flag.into(), v.to_string()]);
                }
                // Named either way: `sense train` defaults to BPE since issue 15.
                let tok = if self.bpe { "bpe" } else { "byte" };
                a.extend(["--tokenizer".into(), tok.into()]);
            }
        }
        if self.dpo {
            let beta = pos(&self.beta, "beta")?;
            a.extend(["--beta".into(), beta.to_string()]);
            a.extend(["--pairs".into(), PAIRS[self.pairs].into()]);
        }
        match Self::opt(&self.split).as_deref() {
            Some("all") => a.push("--all-splits".into()),
            Some(s) => a.extend(["--split".into(), s.to_string()]),
            None => a.extend(["--split".into(), crate::store::TRAIN.into()]),
        }
        // Enter asked for a confirmation before a held-out split reaches this point.
        if self.held_out_split().is_some() {
            a.push("--allow-dev".into());
        }
        if let Some(s) = Self::opt(&self.source) {
            a.extend(["--source".into(), s]);
        }
        if let Some(d) = Self::opt(&self.db) {
            a.extend(["--db".into(), d]);
        }
        if let Some(Ok(0)) = self.count {
            return Err("the data filter selects nothing to train on".into());
        }
        Ok(a)
    }
}

/// The checkpoints of `runs` (newest first) as the From field offers them.
pub fn checkpoint_choices(runs: &[RunInfo]) -> Vec<(String, String)> {
    runs.iter()
        .filter_map(|x| {
            let c = x.run.checkpoint.as_deref().filter(|c| !c.is_empty())?;
            Some((run_checkpoint_name(&x.run, c), c.to_string()))
        })
        .collect()
}

/// Opens the form with the values it had when last closed this session (a first one starts
/// from `sense train`'s defaults), its checkpoint list read again.
pub fn open_form(r: &mut RunsState) -> Vec<Effect> {
    let mut f = r
        .last_form
        .clone()
        .unwrap_or_else(|| RunForm::new(false, ""));
    f.field = 0;
    f.count = None;
    f.error = None;
    f.confirm_dev = false;
    f.choices = checkpoint_choices(&r.runs);
    r.form = Some(f);
    count_effect(r)
}

/// Closes the form, keeping its values for the next `n`.
fn close_form(r: &mut RunsState) {
    r.last_form = r.form.take();
}

impl RunForm {
    /// The name of the chosen checkpoint and its place in the list, when it is one of them.
    pub fn chosen(&self) -> Option<(usize, &str)> {
        let t = self.from.text.trim();
        self.choices
            .iter()
            .position(|(_, p)| p == t)
            .map(|i| (i, self.choices[i].0.as_str()))
    }

    /// ←/→ on the From field: the next or previous checkpoint (SFT may also start from
    /// scratch, the empty choice).
    fn pick(&mut self, back: bool) {
        let mut paths: Vec<&str> = self.choices.iter().map(|(_, p)| p.as_str()).collect();
        if !self.dpo {
            paths.insert(0, "");
        }
        if paths.is_empty() {
            self.error = Some("no run has saved a checkpoint yet: type a folder".into());
            return;
        }
        let n = paths.len();
        let i = paths
            .iter()
            .position(|p| *p == self.from.text.trim())
            .map(|i| if back { (i + n - 1) % n } else { (i + 1) % n })
            .unwrap_or(if back { n - 1 } else { 0 });
        self.from = LineInput::new(paths[i]);
        self.error = None;
    }
}

pub(crate) fn count_effect(r: &mut RunsState) -> Vec<Effect> {
    match r.form.as_mut() {
        Some(f) => {
            f.count = None;
            vec![Effect::Runs(Request::Count(f.filter()))]
        }
        None => Vec::new(),
    }
}

/// Keys while the form is open: tab/↓ and shift-tab/↑ move between fields, ←/→/space change a
/// choice, typing edits a text field, enter starts the run, esc closes.
pub fn on_form_key(r: &mut RunsState, key: KeyEvent) -> Vec<Effect> {
    let from_default = r.form_from.clone();
    let Some(f) = r.form.as_mut() else {
        return Vec::new();
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let n = f.fields().len();
    let field = f.current();
    let confirmed = std::mem::take(&mut f.confirm_dev);
    match key.code {
        KeyCode::Esc => {
            close_form(r);
            Vec::new()
        }
        KeyCode::Enter if !confirmed && f.held_out_split().is_some() => {
            f.confirm_dev = true;
            f.error = Some(format!(
                "split '{}' is held out: enter again trains on it, any other key cancels",
                f.held_out_split().unwrap_or_default()
            ));
            Vec::new()
        }
        KeyCode::Char('c') if ctrl => {
            close_form(r);
            Vec::new()
        }
        KeyCode::Tab | KeyCode::Down => {
            f.field = (f.field + 1) % n;
            Vec::new()
        }
        KeyCode::BackTab | KeyCode::Up => {
            f.field = (f.field + n - 1) % n;
            Vec::new()
        }
        KeyCode::Enter => match f.request() {
            Ok(req) => {
                close_form(r);
                // The run appears when the process has written it: the next poll selects it.
                r.select_newer_than = Some(r.runs.iter().map(|x| x.run.id).max().unwrap_or(0));
                vec![Effect::Runs(req)]
            }
            Err(e) => {
                f.error = Some(e);
                Vec::new()
            }
        },
        KeyCode::Left | KeyCode::Right if field == Field::From => {
            f.pick(key.code == KeyCode::Left);
            Vec::new()
        }
        KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')
            if matches!(
                field,
                Field::Kind | Field::Pairs | Field::Size | Field::Tokenizer
            ) =>
        {
            let back = key.code == KeyCode::Left;
            match field {
                Field::Kind => {
                    let k = (f.kind_index() + if back { 2 } else { 1 }) % 3;
                    f.dpo = k == 1;
                    f.recipe = k == 2;
                    f.kind_defaults();
                    f.from = LineInput::new(if f.dpo { &from_default } else { "" });
                }
                Field::Pairs => {
                    f.pairs = (f.pairs + if back { PAIRS.len() - 1 } else { 1 }) % PAIRS.len();
                }
                Field::Tokenizer => f.bpe = !f.bpe,
                _ => {
                    let n = sizes().len();
                    f.size = (f.size + if back { n - 1 } else { 1 }) % n;
                }
            }
            f.error = None;
            count_effect(r)
        }
        _ => {
            let Some(input) = f.input(field) else {
                return Vec::new();
            };
            if !input.edit(&key) {
                return Vec::new();
            }
            f.error = None;
            if matches!(field, Field::Split | Field::Source | Field::Db) {
                count_effect(r)
            } else {
                Vec::new()
            }
        }
    }
}

pub fn render_form(f: &mut Frame, area: Rect, v: &ViewCtx, form: &RunForm) {
    let t = v.theme;
    let fields = form.fields();
    let h = (fields.len() as u16 + 7).min(area.height);
    let r = crate::tui::widgets::centered(area, 64, h);
    f.render_widget(Clear, r);
    let b = block(
        "New run · tab moves · ←/→ change · enter starts · esc cancels",
        true,
        t,
    );
    let inner = b.inner(r);
    f.render_widget(b.style(t.base()), r);
    let mut lines = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        let focused = i == form.field.min(fields.len() - 1);
        let (name, value) = match field {
            Field::Kind => (
                "kind",
                match form.kind_index() {
                    2 => "◂ SENSE recipe ▸",
                    1 => "◂ DPO ▸",
                    _ => "◂ SFT ▸",
                }
                .to_string(),
            ),
            Field::Minutes => ("minutes", form.minutes.text.clone()),
            Field::From => (
                "from checkpoint",
                match form.chosen() {
                    Some((i, name)) => {
                        format!("◂ {name} ▸ ({}/{})", i + 1, form.choices.len())
                    }
                    None if form.from.text.is_empty() && !form.dpo => {
                        if focused && form.choices.is_empty() {
                            String::new()
                        } else {
                            "◂ (scratch) ▸".into()
                        }
                    }
                    None => form.from.text.clone(),
                },
            ),
            Field::Split => ("split", form.split.text.clone()),
            Field::Source => ("source", form.source.text.clone()),
            Field::Db => ("database", form.db.text.clone()),
            Field::Pairs => ("pairs", format!("◂ {} ▸", PAIRS[form.pairs])),
            Field::Steps => ("steps", form.steps.text.clone()),
            Field::Batch => ("batch", form.batch.text.clone()),
            Field::Lr => ("learning rate", form.lr.text.clone()),
            Field::Beta => ("beta", form.beta.text.clone()),
            Field::Size => ("model size", format!("◂ {} ▸", size_label(form.size))),
            Field::Tokenizer => (
                "tokenizer",
                if form.bpe {
                    format!("◂ BPE, {} tokens ▸", TrainConfig::default().bpe_vocab)
                } else {
                    "◂ bytes ▸".to_string()
                },
            ),
        };
        let style = if focused { t.selected() } else { t.text() };
        let w = inner.width.saturating_sub(18) as usize;
        let mut value = value;
        let picked = *field == Field::From
            && (form.chosen().is_some() || !form.choices.is_empty() && form.from.text.is_empty());
        if focused && !picked {
            if let Some(i) = [
                (Field::From, &form.from),
                (Field::Split, &form.split),
                (Field::Source, &form.source),
                (Field::Db, &form.db),
                (Field::Steps, &form.steps),
                (Field::Batch, &form.batch),
                (Field::Lr, &form.lr),
                (Field::Beta, &form.beta),
                (Field::Minutes, &form.minutes),
            ]
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, i)| i)
            {
                let mut v: String = i.text.chars().take(i.cursor).collect();
                v.push('▏');
                v.extend(i.text.chars().skip(i.cursor));
                value = v;
            }
        }
        lines.push(Line::from(vec![
            Span::styled(
                format!("{name:>16} "),
                if focused { t.accent() } else { t.dim() },
            ),
            Span::styled(fit(&value, w), style),
        ]));
    }
    if form.current() == Field::From {
        lines.push(Line::styled(
            if form.choices.is_empty() {
                "no checkpoint saved yet: type a checkpoint folder".to_string()
            } else {
                format!(
                    "←/→ picks one of {} checkpoints · typing enters a folder",
                    form.choices.len()
                )
            },
            t.dim(),
        ));
    }
    lines.push(Line::raw(""));
    let what = if form.dpo { "pairs" } else { "examples" };
    lines.push(match &form.count {
        _ if form.recipe => Line::styled(
            fit(
                "procedural databases (if fewer than 100) → SFT → weak samples → DPO → EX",
                inner.width as usize,
            ),
            t.dim(),
        ),
        None => Line::styled("counting…", t.dim()),
        Some(Ok(0)) => Line::styled(format!("the data filter selects no {what}"), t.warning()),
        Some(Ok(n)) => Line::styled(format!("the data filter selects {n} {what}"), t.ok()),
        Some(Err(e)) => Line::styled(e.clone(), t.error()),
    });
    if let Some(e) = &form.error {
        lines.push(Line::styled(e.clone(), t.error()));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_offers_the_recipe_with_its_budget() {
        let mut f = RunForm::new(false, "");
        assert_eq!(f.request(), Ok(Request::Train(f.args().unwrap())));
        f.recipe = true;
        assert_eq!(f.fields(), vec![Field::Kind, Field::Minutes]);
        assert_eq!(f.request(), Ok(Request::Recipe { minutes: 30.0 }));
        f.minutes = LineInput::new("0.5");
        assert!(f.request().unwrap_err().contains("minutes"));
        f.minutes = LineInput::new("12");
        assert_eq!(f.request(), Ok(Request::Recipe { minutes: 12.0 }));
        // The recipe asks for its own held-out databases: no split to confirm.
        f.split = LineInput::new("dev");
        assert_eq!(f.held_out_split(), None);
    }

    #[test]
    fn form_validates_and_builds_train_arguments() {
        let mut f = RunForm::new(false, "");
        let a = f.args().unwrap();
        assert_eq!(
            &a[..7],
            &[
                "sft",
                "--steps",
                "200",
                "--batch-size",
                "8",
                "--lr",
                "0.001"
            ]
        );
        assert!(a.contains(&"--layers".to_string()) && a.contains(&"--split".to_string()));
        assert!(
            a.windows(2).any(|w| w == ["--tokenizer", "bpe"]),
            "BPE by default, as `sense train` from scratch"
        );
        assert_eq!(f.fields().last(), Some(&Field::Tokenizer));
        f.bpe = false;
        let a = f.args().unwrap();
        assert!(a.windows(2).any(|w| w == ["--tokenizer", "byte"]));
        f.steps = LineInput::new("0");
        assert!(f.args().unwrap_err().contains("steps"));
        f.steps = LineInput::new("10");
        f.lr = LineInput::new("-1");
        assert!(f.args().unwrap_err().contains("learning rate"));
        let mut d = RunForm::new(true, "");
        assert!(d.args().unwrap_err().contains("DPO needs"));
        d.from = LineInput::new("/no/such/ckpt");
        assert!(d.args().unwrap_err().contains("does not exist"));
        let dir = tempfile::tempdir().unwrap();
        d.from = LineInput::new(&dir.path().display().to_string());
        d.bpe = true;
        let a = d.args().unwrap();
        assert!(
            a.contains(&"--beta".to_string()) && a.windows(2).any(|w| w == ["--split", "train"])
        );
        assert!(
            !a.contains(&"--allow-dev".to_string()),
            "held-out data only when asked"
        );
        assert!(
            !a.contains(&"--tokenizer".to_string()),
            "a checkpoint brings its tokenizer"
        );
        assert!(!d.fields().contains(&Field::Tokenizer));
        d.count = Some(Ok(0));
        assert!(d.args().unwrap_err().contains("selects nothing"));
    }

    #[test]
    fn the_form_starts_from_the_training_defaults() {
        for dpo in [false, true] {
            let c = TrainConfig::for_kind(kind_of(dpo));
            let f = RunForm::new(dpo, "");
            assert_eq!(f.steps.text.parse::<usize>().unwrap(), c.steps);
            assert_eq!(f.batch.text.parse::<usize>().unwrap(), c.batch_size);
            assert_eq!(f.lr.text.parse::<f64>().unwrap(), c.lr);
            assert_eq!(Some(f.split.text.as_str()), c.data.split.as_deref());
            assert_eq!(f.beta.text.parse::<f64>().unwrap(), c.dpo.beta);
            assert_eq!(PAIRS[f.pairs], c.data.pairs);
        }
        assert_eq!(sizes()[2].1, ModelConfig::default());
        assert_eq!(size_label(0), "tiny (1×32)");
    }

    #[test]
    fn numbers_read_as_typed() {
        assert_eq!(short_number(0.001), "1e-3");
        assert_eq!(short_number(5e-5), "5e-5");
        assert_eq!(short_number(0.1), "0.1");
        assert_eq!(short_number(200.0), "200");
    }
}
