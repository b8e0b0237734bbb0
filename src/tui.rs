//! The dashboard: a terminal guard and the event loop.
//!
//! One `tokio::select!` loop owns the [`App`]: terminal input (crossterm's `EventStream`),
//! engine events (drained in batches), the frame clock and Ctrl-C. Input becomes
//! [`Action`]s through the keymap; the app answers with [`Effect`]s the loop carries out
//! (start a gather with `engine::spawn`, cancel it, re-merge the table on a blocking thread,
//! quit). The loop never awaits a source: gathers run in their own tasks and only send events,
//! and merging a large table happens off the loop.
//!
//! - `app`: the state and `App::update`; `mode`: what the keyboard drives (commands, help, a
//!   question, a line being edited) and the focus; `action`: actions, effects and the keymap;
//!   `rebuild`: merging the table off the loop and its bookkeeping; `view`: the sorted,
//!   filtered index over the merged rows; `layout`: where each region goes; `ui`: drawing,
//!   one module per region; `theme`: styles and state symbols (`NO_COLOR` respected).
//! - Dependencies run one way: `ui` reads `app`; `app` uses `action`, `mode`, `layout`,
//!   `rebuild` and `view`; `action` knows neither `app` nor `ui`.

pub mod action;
pub mod app;
pub mod editor;
pub mod fleet;
pub mod format;
pub mod history;
pub mod layout;
pub mod mode;
pub mod rebuild;
pub mod theme;
pub mod ui;
pub mod view;

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    EventStream,
};
use futures_util::StreamExt;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

pub use action::{Action, Effect};
pub use app::App;
pub use rebuild::Rebuilt;
pub use theme::Theme;

use crate::config::Config;
use crate::engine::{self, Gather, Plan};
use crate::event::Event;
use crate::record::{Recorder, WatchedRecorder};
use crate::replay::Replay;
use crate::source::CancelReason;

/// Time between frames: 20 frames a second keeps latencies and bars moving smoothly while
/// costing well under a millisecond each.
const FRAME: Duration = Duration::from_millis(50);
/// Most engine events applied between two frames; the rest wait for the next turn of the
/// loop, so a burst from a thousand sources cannot starve the keyboard.
const EVENTS_PER_TURN: usize = 4096;
/// At quit, how long to wait for the cancelled gather to report its sources' outcomes.
const GATHER_GRACE: Duration = Duration::from_secs(1);
/// At quit, how long to wait for sources' cleanup (server-side cancels) to finish.
const CLEANUP_GRACE: Duration = Duration::from_secs(3);
/// Room for finished rebuilds; the app runs one at a time, so one would do.
const REBUILDS_IN_FLIGHT: usize = 2;
/// Exit code of a normal quit.
const EXIT_OK: u8 = 0;

/// Puts the terminal in dashboard mode (raw, alternate screen, mouse, bracketed paste) and
/// back when dropped, on every path out of [`run`]. A panic of the dashboard itself (on this
/// thread) restores the terminal first, through the hooks `ratatui::init` and
/// [`TerminalGuard::new`] install, then prints; a panic on any other thread (a source's task,
/// a rebuild) goes to the log only and leaves the screen as it is.
struct TerminalGuard {
    terminal: DefaultTerminal,
}

impl TerminalGuard {
    fn new() -> io::Result<Self> {
        let terminal = ratatui::try_init()?;
        let ratatui_hook = std::panic::take_hook();
        let ui = std::thread::current().id();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().id() != ui {
                crate::logging::log_panic(info);
                return;
            }
            let _ = crossterm::execute!(io::stdout(), DisableMouseCapture, DisableBracketedPaste);
            ratatui_hook(info);
        }));
        crossterm::execute!(io::stdout(), EnableMouseCapture, EnableBracketedPaste)?;
        Ok(Self { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = crossterm::execute!(io::stdout(), DisableMouseCapture, DisableBracketedPaste);
        ratatui::restore();
    }
}

/// Where the dashboard's runs come from.
enum Runs {
    /// The engine runs the plan.
    Engine,
    /// Every run is the replayed gather's events (`r` replays it again).
    Replay(Arc<Replay>),
}

/// Runs the dashboard on `config` until the user quits, recording every run to `recorder`
/// when given; returns the exit code.
pub async fn run(config: Config, recorder: Option<Recorder>) -> io::Result<u8> {
    let plan = Arc::new(Plan::new(&config));
    dashboard(config, plan, Runs::Engine, recorder).await
}

/// Opens the dashboard on a replayed gather, its timeline and states as the replay says,
/// until the user quits; returns the exit code.
pub async fn replay(replay: Replay) -> io::Result<u8> {
    let (config, plan) = crate::replay::plan(&replay);
    dashboard(config, Arc::new(plan), Runs::Replay(Arc::new(replay)), None).await
}

async fn dashboard(
    config: Config,
    plan: Arc<Plan>,
    runs: Runs,
    recorder: Option<Recorder>,
) -> io::Result<u8> {
    let mut app = App::new(config, Arc::clone(&plan), Theme::from_env(), Instant::now());
    if let Runs::Replay(r) = &runs {
        app.notify(format!(
            "replay of run {} of {}: not queried; r replays it again",
            r.recorded.line,
            r.path.display()
        ));
    }
    app.history = history::History::load(&crate::logging::state_dir());
    let mut guard = TerminalGuard::new()?;
    let size = guard.terminal.size()?;
    app.update(Action::Resize(size.width, size.height));
    // The running gather, if any; owned here so that it is shut down on every way out of the
    // loop, errors included.
    let mut gather: Option<Gather> = None;
    let mut recorder = recorder.map(WatchedRecorder::new);
    let outcome = event_loop(
        &mut guard.terminal,
        &mut app,
        &runs,
        &mut gather,
        &mut recorder,
    )
    .await;
    drop(guard);
    shut_down(gather, app.plan(), recorder.as_mut()).await;
    outcome.map(|()| EXIT_OK)
}

/// The loop proper, until the app asks to quit or the terminal fails.
async fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    runs: &Runs,
    gather: &mut Option<Gather>,
    recorder: &mut Option<WatchedRecorder>,
) -> io::Result<()> {
    // Engine -> loop. Every gather gets a clone of `events_tx`; this loop is the only
    // receiver. The loop keeps `events_tx` itself, so `recv` never reports a closed channel;
    // events of superseded gathers still arrive and the app drops them by generation.
    let (events_tx, mut events_rx) = mpsc::channel::<Event>(engine::EVENT_CHANNEL);
    // Rebuild threads -> loop: each blocking merge job sends its result here, once. The loop
    // keeps `rebuilt_tx` (cloned into each job), so the channel never closes.
    let (rebuilt_tx, mut rebuilt_rx) = mpsc::channel::<Rebuilt>(REBUILDS_IN_FLIGHT);
    let mut input = EventStream::new();
    let mut frames = tokio::time::interval(FRAME);
    frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut effect = app.update(Action::Run);
    loop {
        if let Some(e) = effect.take() {
            match e {
                Effect::Quit => return Ok(()),
                Effect::Cancel(reason) => {
                    if let Some(g) = gather.as_ref() {
                        g.cancel(reason);
                    }
                }
                Effect::Rebuild(job) => {
                    let tx = rebuilt_tx.clone();
                    tokio::task::spawn_blocking(move || {
                        let _ = tx.blocking_send(job.run_caught());
                    });
                }
                Effect::Spawn { plan, generation } => match runs {
                    Runs::Replay(r) => {
                        tracing::info!(generation, "replay");
                        feed(crate::replay::events(r, generation), events_tx.clone());
                    }
                    Runs::Engine => {
                        if let Some(old) = gather.take() {
                            old.cancel(CancelReason::Superseded);
                        }
                        tracing::info!(generation, "run");
                        if let Some(r) = recorder.as_mut() {
                            r.started(generation, Arc::clone(&plan), &app.query);
                        }
                        *gather = Some(engine::spawn(plan, generation, events_tx.clone()));
                    }
                },
            }
            continue;
        }
        tokio::select! {
            _ = frames.tick() => {
                effect = app.update(Action::Tick(Instant::now()));
                terminal.draw(|frame| ui::render(app, frame))?;
            }
            Some(term) = input.next() => {
                let term = term?;
                if let Some(action) = action::map(&term, app.key_mode()) {
                    effect = app.update(action);
                }
            }
            Some(event) = events_rx.recv() => {
                record(recorder.as_mut(), app, &event);
                effect = app.update(Action::Engine(event));
                let mut drained = 1;
                while effect.is_none() && drained < EVENTS_PER_TURN {
                    let Ok(event) = events_rx.try_recv() else { break };
                    record(recorder.as_mut(), app, &event);
                    effect = app.update(Action::Engine(event));
                    drained += 1;
                }
            }
            Some(rebuilt) = rebuilt_rx.recv() => {
                effect = app.update(Action::Rebuilt(Box::new(rebuilt)));
            }
            _ = &mut ctrl_c => effect = Some(Effect::Quit),
        }
    }
}

/// Sends a replayed run's events to the loop from a task of its own (the channel is bounded
/// and the loop is its only receiver); the task ends when all are sent or the loop is gone.
fn feed(events: Vec<Event>, events_tx: mpsc::Sender<Event>) {
    tokio::spawn(async move {
        for event in events {
            if events_tx.send(event).await.is_err() {
                break;
            }
        }
    });
}

/// Shows `event` to the recorder, if recording; a failure to write is said in the footer.
fn record(recorder: Option<&mut WatchedRecorder>, app: &mut App, event: &Event) {
    if let Some(r) = recorder
        && let Err(e) = r.observe(event)
    {
        tracing::warn!(error = %e, "recording failed");
        app.notify_error(e.to_string());
    }
}

/// Cancels the gather still running (reason: shutting down), gives it a moment to record
/// its sources' outcomes (in the recording too, if one is kept), then waits briefly for
/// sources' cleanup (server-side cancels).
async fn shut_down(gather: Option<Gather>, plan: &Plan, recorder: Option<&mut WatchedRecorder>) {
    if let Some(g) = gather {
        g.cancel(CancelReason::Shutdown);
        if let Ok(result) = tokio::time::timeout(GATHER_GRACE, g.join()).await
            && let Some(r) = recorder
            && let Err(e) = r.joined(&result)
        {
            tracing::warn!(error = %e, "recording failed");
        }
    }
    plan.cleanup.close();
    let _ = tokio::time::timeout(CLEANUP_GRACE, plan.cleanup.wait()).await;
}
