use super::*;

/// Qwen2.5-Instruct's template as it ships (its tool-calling branches included), one statement
/// per line as in the model's tokenizer_config.json (shared with the folder tests in tests/it).
const QWEN25: &str = include_str!("../../tests/it/qwen25_chat_template.jinja");

/// Llama-3-Instruct's template: the begin token, trimmed contents.
const LLAMA3: &str = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

/// Mistral-Instruct's older template: `raise_exception` and Python's `.strip()`.
const MISTRAL: &str = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'].strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'].strip() + eos_token }}{% endif %}{% endfor %}";

fn msg(role: &str, content: &str) -> Message {
    Message {
        role: role.into(),
        content: content.into(),
    }
}

fn qwen() -> ChatTemplate {
    ChatTemplate::new(
        "tokenizer_config.json",
        QWEN25,
        None,
        Some("<|im_end|>".into()),
    )
    .unwrap()
}

#[test]
fn a_qwen25_template_renders_exactly_what_transformers_writes() {
    let t = qwen();
    assert_eq!(
        t.render(&[msg("user", "How many singers are there?")], true)
            .unwrap(),
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n\
         <|im_start|>user\nHow many singers are there?<|im_end|>\n<|im_start|>assistant\n"
    );
    assert_eq!(
        t.render(
            &[
                msg("system", "Answer in SQL."),
                msg("user", "  Q\n"),
                msg("assistant", "SELECT 1;"),
            ],
            false
        )
        .unwrap(),
        "<|im_start|>system\nAnswer in SQL.<|im_end|>\n<|im_start|>user\n  Q\n<|im_end|>\n\
         <|im_start|>assistant\nSELECT 1;<|im_end|>\n"
    );
}

#[test]
fn llama3_and_mistral_templates_get_the_begin_token_trim_strip_and_exceptions() {
    let l = ChatTemplate::new(
        "chat_template.jinja",
        LLAMA3,
        Some("<|begin_of_text|>".into()),
        Some("<|eot_id|>".into()),
    )
    .unwrap();
    assert_eq!(
        l.render(&[msg("user", "  How many?\n")], true).unwrap(),
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHow many?<|eot_id|>\
         <|start_header_id|>assistant<|end_header_id|>\n\n"
    );
    let m = ChatTemplate::new(
        "/models/mistral/tokenizer_config.json",
        MISTRAL,
        Some("<s>".into()),
        Some("</s>".into()),
    )
    .unwrap();
    assert_eq!(
        m.render(
            &[msg("user", " hi "), msg("assistant", " SELECT 1 ")],
            false
        )
        .unwrap(),
        "<s>[INST] hi [/INST]SELECT 1</s>"
    );
    // The template's own refusal, with its message and the file.
    let e = m
        .render(&[msg("user", "a"), msg("user", "b")], true)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("/models/mistral/tokenizer_config.json")
            && e.contains("Conversation roles must alternate"),
        "{e}"
    );
}

#[test]
fn tojson_writes_what_python_json_dumps_writes() {
    let t = ChatTemplate::new(
        "t.jinja",
        "{{ x | tojson }}|{{ x | tojson(indent=2) }}|{{ 'é<\"' | tojson }}",
        None,
        None,
    )
    .unwrap();
    let tmpl = t.env.get_template("t.jinja").unwrap();
    let out = tmpl
        .render(Value::from(Serde(
            serde_json::json!({"x": {"a": [1, "b"], "c": {}}}),
        )))
        .unwrap();
    assert_eq!(
        out,
        "{\"a\": [1, \"b\"], \"c\": {}}|{\n  \"a\": [\n    1,\n    \"b\"\n  ],\n  \"c\": {}\n}|\"é<\\\"\""
    );
}

#[test]
fn a_folder_template_comes_from_the_jinja_file_or_tokenizer_config_and_errors_name_the_file() {
    let d = tempfile::tempdir().unwrap();
    assert!(ChatTemplate::from_folder(d.path()).unwrap().is_none());
    let config = |v: serde_json::Value| {
        std::fs::write(d.path().join(CONFIG_FILE), v.to_string()).unwrap();
    };
    // No template in the config: none (a base model keeps the plain prompt).
    config(serde_json::json!({"bos_token": "<s>", "eos_token": null}));
    assert!(ChatTemplate::from_folder(d.path()).unwrap().is_none());

    config(serde_json::json!({
        "bos_token": {"content": "<s>", "lstrip": false, "__type": "AddedToken"},
        "eos_token": "</s>",
        "chat_template": [{"name": "tool_use", "template": "x"}, {"name": "default", "template": MISTRAL}],
    }));
    let t = ChatTemplate::from_folder(d.path()).unwrap().unwrap();
    assert_eq!(t.path(), d.path().join(CONFIG_FILE));
    assert_eq!((t.bos_token(), t.eos_token()), (Some("<s>"), Some("</s>")));
    assert_eq!(
        t.render(&[msg("user", "q")], true).unwrap(),
        "<s>[INST] q [/INST]"
    );

    // A syntax error names the file and the line.
    config(serde_json::json!({"chat_template": "{% for m in messages %}\n{{ m.content }"}));
    let e = ChatTemplate::from_folder(d.path()).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "{}: chat template:",
            d.path().join(CONFIG_FILE).display()
        )) && e.contains("syntax error")
            && e.contains("(in tokenizer_config.json:2)"),
        "{e}"
    );
    config(serde_json::json!({"chat_template": 3}));
    let e = ChatTemplate::from_folder(d.path()).unwrap_err().to_string();
    assert!(e.contains("must be a string"), "{e}");
    std::fs::write(d.path().join(CONFIG_FILE), "{not json").unwrap();
    let e = ChatTemplate::from_folder(d.path()).unwrap_err().to_string();
    assert!(
        e.contains(CONFIG_FILE) && e.contains("not valid JSON"),
        "{e}"
    );

    // chat_template.jinja wins over the config's template, as in transformers.
    config(serde_json::json!({"eos_token": "<|im_end|>", "chat_template": MISTRAL}));
    std::fs::write(d.path().join(TEMPLATE_FILE), QWEN25).unwrap();
    let t = ChatTemplate::from_folder(d.path()).unwrap().unwrap();
    assert_eq!(t.path(), d.path().join(TEMPLATE_FILE));
    assert!(t
        .render(&[msg("user", "q")], true)
        .unwrap()
        .starts_with("<|im_start|>system"));
}

#[test]
fn the_frame_is_the_text_around_the_last_user_message() {
    let t = qwen();
    let (head, tail) = t.frame(&[msg("system", "S"), msg("user", "Q")], 1).unwrap();
    assert_eq!(head, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n");
    assert_eq!(tail, "<|im_end|>\n<|im_start|>assistant\n");
    // A template that writes the message twice cannot be cut inside it.
    let twice = ChatTemplate::new(
        "t.jinja",
        "{{ messages[0].content }}{{ messages[0].content }}",
        None,
        None,
    )
    .unwrap();
    let e = twice.frame(&[msg("user", "Q")], 0).unwrap_err().to_string();
    assert!(e.contains("t.jinja") && e.contains("cannot be cut"), "{e}");
}
