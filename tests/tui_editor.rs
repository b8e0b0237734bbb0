//! The line editor driven by key events through the keymap, as the terminal sends them:
//! readline's keys, paste, and the history kept across restarts.

mod tui_common;

use std::time::Instant;

use scatter::tui::Effect;
use scatter::tui::action::{self, KeyMode};
use tui_common::*;

/// The query editor driven by key events through the keymap, as the terminal sends them.
#[test]
fn query_editor_keys_and_history_across_restarts() {
    use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
    let press = |app: &mut scatter::tui::App, code, modifiers| {
        let event = TermEvent::Key(KeyEvent::new(code, modifiers));
        if let Some(action) = action::map(&event, app.key_mode()) {
            step(app, action)
        } else {
            None
        }
    };
    let none = KeyModifiers::NONE;
    let ctrl = KeyModifiers::CONTROL;
    let alt = KeyModifiers::ALT;
    let typed = |app: &mut scatter::tui::App, text: &str| {
        for c in text.chars() {
            press(app, KeyCode::Char(c), none);
        }
    };
    let text = |app: &scatter::tui::App| app.mode.edit().unwrap().text().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(THREE, Instant::now());
    app.history = scatter::tui::history::History::load(dir.path());
    press(&mut app, KeyCode::Char(':'), none);
    assert_eq!(text(&app), "SELECT model, price FROM products");
    press(&mut app, KeyCode::Char('u'), ctrl);
    assert_eq!(text(&app), "", "Ctrl-U deletes to the start of the line");
    typed(&mut app, "SELECT model FROM t");
    press(&mut app, KeyCode::Home, none);
    press(&mut app, KeyCode::Char('f'), alt);
    typed(&mut app, "price, ");
    assert_eq!(
        text(&app),
        "SELECT price, model FROM t",
        "Alt-F: the next word"
    );
    press(&mut app, KeyCode::Char('e'), ctrl);
    press(&mut app, KeyCode::Char('w'), ctrl);
    typed(&mut app, "products");
    assert_eq!(
        text(&app),
        "SELECT price, model FROM products",
        "Ctrl-W: a word"
    );
    press(&mut app, KeyCode::Char('a'), ctrl);
    press(&mut app, KeyCode::Right, ctrl);
    press(&mut app, KeyCode::Char('k'), ctrl);
    assert_eq!(text(&app), "SELECT ", "Ctrl-K deletes to the end");
    press(&mut app, KeyCode::Char('y'), ctrl);
    assert_eq!(
        text(&app),
        "SELECT price, model FROM products",
        "Ctrl-Y puts it back"
    );
    press(&mut app, KeyCode::Left, ctrl);
    let paste = TermEvent::Paste(String::from("big\nsales_"));
    app.update(action::map(&paste, app.key_mode()).unwrap());
    press(&mut app, KeyCode::Backspace, none);
    press(&mut app, KeyCode::Delete, none);
    press(&mut app, KeyCode::Left, none);
    press(&mut app, KeyCode::Left, none);
    typed(&mut app, "!");
    assert_eq!(text(&app), "SELECT price, model FROM big sal!esroducts");
    press(&mut app, KeyCode::Char('u'), ctrl);
    press(&mut app, KeyCode::Char('k'), ctrl);
    typed(&mut app, "SELECT 1");
    assert!(matches!(
        press(&mut app, KeyCode::Enter, none),
        Some(Effect::Spawn { .. })
    ));
    press(&mut app, KeyCode::Char(':'), none);
    press(&mut app, KeyCode::Char('u'), ctrl);
    typed(&mut app, "SELECT 2");
    press(&mut app, KeyCode::Enter, none);

    // A new dashboard on the same state directory: ↑ brings back the newest query first.
    let mut app = tui_common::app(THREE, Instant::now());
    app.history = scatter::tui::history::History::load(dir.path());
    press(&mut app, KeyCode::Char(':'), none);
    typed(&mut app, " draft");
    press(&mut app, KeyCode::Up, none);
    assert_eq!(text(&app), "SELECT 2");
    press(&mut app, KeyCode::Up, none);
    assert_eq!(text(&app), "SELECT 1");
    press(&mut app, KeyCode::Down, none);
    press(&mut app, KeyCode::Down, none);
    assert_eq!(text(&app), "SELECT model, price FROM products draft");
    press(&mut app, KeyCode::Esc, none);
    assert_eq!(app.key_mode(), KeyMode::Normal);
    assert_eq!(
        app.query, "SELECT model, price FROM products",
        "Esc runs nothing"
    );
}
