//! Every numeric command-line value is parsed here (clap `value_parser`s): finite and in range,
//! or an error naming the value and the range, which clap prints before exiting with code 2.
//! Nothing downstream then meets a NaN, a negative duration or a count of zero.

/// An input file's text; a missing file, a folder or non-UTF-8 content is the user's input
/// being wrong (exit code 2), named with its path.
pub fn read_input(path: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| super::bad(format!("cannot read {}: {e}", path.display())))
}

fn number<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, String> {
    s.trim()
        .parse::<T>()
        .map_err(|_| format!("'{s}' is not {what}"))
}

fn float_in(s: &str, lo: f64, hi: f64, lo_open: bool, unit: &str) -> Result<f64, String> {
    let v: f64 = number(s, "a number")?;
    let above = if lo_open { v > lo } else { v >= lo };
    if !v.is_finite() || !above || v > hi {
        let open = if lo_open { "above" } else { "at least" };
        return Err(format!(
            "{s} is out of range: {open} {lo} and at most {hi}{unit}"
        ));
    }
    Ok(v)
}

/// A share of a set: from 0 to 1.
pub fn share(s: &str) -> Result<f64, String> {
    float_in(s, 0.0, 1.0, false, "")
}

/// Seconds of a time limit: above 0, at most a day (a larger one would overflow deadlines).
pub fn seconds(s: &str) -> Result<f64, String> {
    float_in(
        s,
        0.0,
        crate::source::defaults::MAX_TIMEOUT_S,
        true,
        " seconds",
    )
}

/// Minutes of a run: above 0, at most a year.
pub fn minutes(s: &str) -> Result<f64, String> {
    float_in(s, 0.0, 525_600.0, true, " minutes")
}

/// A sampling temperature: 0 (greedy) or more.
pub fn temperature(s: &str) -> Result<f32, String> {
    float_in(s, 0.0, 100.0, false, "")
        .map(|v| v as f32)
        .map_err(|e| format!("temperature {e}"))
}

/// Nucleus sampling's probability mass.
pub fn top_p(s: &str) -> Result<f32, String> {
    float_in(s, 0.0, 1.0, false, "")
        .map(|v| v as f32)
        .map_err(|e| format!("top-p {e}"))
}

/// A positive finite real (learning rate, beta, clip norm).
pub fn positive(s: &str) -> Result<f64, String> {
    float_in(s, 0.0, 1e12, true, "")
}

/// A finite real of 0 or more (weight decay, loss weights).
pub fn non_negative(s: &str) -> Result<f64, String> {
    float_in(s, 0.0, 1e12, false, "")
}

/// A count of things to make or hold at once: at least 1.
pub fn count(s: &str) -> Result<usize, String> {
    let v: usize = number(s, "a whole number")?;
    if v == 0 {
        return Err("0 is out of range: at least 1".into());
    }
    Ok(v)
}

/// Completions per question for execution-guided decoding: 1 (greedy alone) to 32.
pub fn candidates(s: &str) -> Result<usize, String> {
    let v = count(s)?;
    if v > 32 {
        return Err(format!(
            "{v} is out of range: at most 32 completions per question"
        ));
    }
    Ok(v)
}

/// A count of at least 1 that goes out on the wire as u32.
pub fn count_u32(s: &str) -> Result<u32, String> {
    let v = count(s)?;
    u32::try_from(v).map_err(|_| format!("{s} is out of range: at most {}", u32::MAX))
}

/// `SOURCE=N`: a source name and how many times its examples appear an epoch (1 to 100).
pub fn source_times(s: &str) -> Result<(String, usize), String> {
    let (source, n) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}' is not SOURCE=N (e.g. sample=4)"))?;
    if source.trim().is_empty() {
        return Err(format!("'{s}' names no source"));
    }
    let n = count(n.trim())?;
    if n > 100 {
        return Err(format!("{n} is out of range: at most 100"));
    }
    Ok((source.trim().to_string(), n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_times_reads_a_source_and_a_count() {
        assert_eq!(source_times("sample=4"), Ok(("sample".into(), 4)));
        for bad in ["sample", "=3", "sample=0", "sample=x", "sample=101"] {
            assert!(source_times(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn non_finite_negative_and_huge_values_are_refused() {
        for bad in [
            "-1",
            "nan",
            "NaN",
            "inf",
            "-inf",
            "0",
            "18446744073.71",
            "x",
            "",
        ] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
        assert_eq!(seconds("2.5"), Ok(2.5));
        assert!(temperature("-0.1").is_err() && temperature("nan").is_err());
        assert_eq!(temperature("0"), Ok(0.0));
        assert_eq!(
            top_p("1.5").unwrap_err(),
            "top-p 1.5 is out of range: at least 0 and at most 1"
        );
        assert!(count("0").is_err() && count("-3").is_err());
        assert_eq!(count("5"), Ok(5));
        assert!(positive("0").is_err() && non_negative("-1").is_err());
        assert!(count_u32("4294967296").is_err());
    }
}
