//! Moving around: focus, selection, scrolling, sorting and filtering.

use super::App;
use crate::merge::SortKey;
use crate::tui::action::Action;
use crate::tui::layout;
use crate::tui::mode::Focus;

impl App {
    /// Applies a movement, sort, filter or editing action.
    pub(super) fn navigate(&mut self, action: &Action) {
        match *action {
            Action::SortNext => self.sort_next(),
            Action::SortFlip => self.sort_flip(),
            Action::FocusNext => {
                self.focus = match self.focus {
                    Focus::Sources => Focus::Results,
                    Focus::Results => Focus::Sources,
                };
            }
            Action::Up(n) => self.move_by(-(n as isize)),
            Action::Down(n) => self.move_by(n as isize),
            Action::PageUp => self.move_by(-(self.page() as isize)),
            Action::PageDown => self.move_by(self.page() as isize),
            Action::Top => self.move_by(isize::MIN / 2),
            Action::Bottom => self.move_by(isize::MAX / 2),
            Action::Left if self.is_grouped_and_focused() => self.expand(Some(false)),
            Action::Right if self.is_grouped_and_focused() => self.expand(Some(true)),
            Action::Left => self.scroll.column = self.scroll.column.saturating_sub(1),
            Action::Right => {
                let last = self.table.columns().len().saturating_sub(1);
                self.scroll.column = (self.scroll.column + 1).min(last);
            }
            _ => {}
        }
    }

    /// Rows one page moves: the results table's visible rows, or the sources panel's.
    fn page(&self) -> usize {
        let areas = layout::layout(self.size, self.index.len(), self.focus);
        let rows = match self.focus {
            Focus::Results => areas.results_rows(),
            Focus::Sources => areas.sources_rows(),
        };
        rows.max(1)
    }

    fn move_by(&mut self, delta: isize) {
        match self.focus {
            Focus::Sources => self.move_cursor(delta),
            Focus::Results => {
                let last = self.table.len().saturating_sub(1);
                self.scroll.cursor = self.scroll.cursor.saturating_add_signed(delta).min(last);
                self.clamp_scroll();
            }
        }
    }

    /// Keeps the cursor on a row and on screen after the table or the terminal changed.
    pub(super) fn clamp_scroll(&mut self) {
        let rows = layout::layout(self.size, self.index.len(), self.focus)
            .results_rows()
            .max(1);
        let len = self.table.len();
        let s = &mut self.scroll;
        s.cursor = s.cursor.min(len.saturating_sub(1));
        if s.cursor < s.offset {
            s.offset = s.cursor;
        } else if s.cursor >= s.offset + rows {
            s.offset = s.cursor + 1 - rows;
        }
        s.offset = s.offset.min(len.saturating_sub(rows));
        s.column = s.column.min(self.table.columns().len().saturating_sub(1));
        self.selected = self.selected.min(self.sources.len().saturating_sub(1));
    }

    /// Sorts by the column after the current first sort key (ascending).
    fn sort_next(&mut self) {
        let columns = self.table.columns();
        if columns.is_empty() {
            return;
        }
        let next = self
            .sort
            .first()
            .and_then(|k| columns.iter().position(|c| *c == k.column))
            .map_or(0, |i| (i + 1) % columns.len());
        self.sort = vec![SortKey {
            column: columns[next].clone(),
            descending: false,
        }];
        self.resort();
    }

    /// Reverses the first sort key (sorting by the first column when unsorted).
    fn sort_flip(&mut self) {
        match self.sort.first_mut() {
            Some(key) => key.descending = !key.descending,
            None => match self.table.columns().first() {
                Some(column) => {
                    self.sort = vec![SortKey {
                        column: column.clone(),
                        descending: true,
                    }];
                }
                None => return,
            },
        }
        self.resort();
    }

    fn resort(&mut self) {
        if !self.is_table_small() {
            // Too slow for the event loop: the next rebuild sorts it.
            self.rebuilds.mark_dirty();
        } else if let Err(e) = self.table.sort(&self.sort) {
            self.post_error(format!("cannot sort: {e}"));
        }
        self.scroll.cursor = 0;
        self.scroll.offset = 0;
    }

    /// Sets the filter and applies it to the table.
    pub(super) fn apply_filter(&mut self, filter: String) {
        if !self.is_table_small() {
            // Too slow for the event loop: the next rebuild filters it.
            if filter != self.filter {
                self.rebuilds.mark_dirty();
            }
        } else if let Err(e) = self.table.set_filter(&filter) {
            self.post_error(format!("cannot filter: {e}"));
        }
        self.filter = filter;
        self.scroll.cursor = 0;
        self.scroll.offset = 0;
    }
}
