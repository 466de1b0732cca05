//! Sub-queries that run over the same inputs as the main query: `join(query={…})` and
//! `defineTable(query={…})`.
//!
//! saker has one "repository", the inputs of the run, so a sub-query reads exactly what the main
//! query reads. It runs to completion in a pre-pass, before the main query sees its first event;
//! its rows go to a [`TableSink`] (a join index, a defined table) that the main query's stages
//! read afterwards. Each sub-query is a [`Query`] of its own, with its own raw-line prefilter and
//! projection: the main query's literals never filter the sub-query's input.
//!
//! Sub-queries are registered with the [`Registry`] of the compiler while the plan compiles, in
//! plan order, so a table defined by an earlier `defineTable()` is filled before a later
//! sub-query that reads it runs.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use saker_event::Event;
use saker_io::{Input, IoError, ReadOptions};
use saker_plan::Plan;

use crate::Query;
use crate::compile::Compiler;
use crate::error::Result;

/// Receives the rows of a sub-query once it has run.
pub trait TableSink: Send + Sync {
    fn fill(&self, rows: Vec<Event>);
}

/// A sub-query and where its rows go.
pub struct SubQuery {
    pub query: Query,
    pub sink: Arc<dyn TableSink>,
}

/// The sub-queries of a compiled query, in the order they must run.
#[derive(Clone, Default)]
pub struct SubQueries(Arc<[Arc<SubQuery>]>);

impl SubQueries {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Runs every sub-query over `inputs` (reading them once per sub-query) and fills its sink.
    pub fn fill_from_inputs(&self, inputs: &[Input], read: &ReadOptions) -> Result<(), IoError> {
        if self.0.is_empty() {
            return Ok(());
        }
        // Standard input cannot be read a second time: the main pass would silently see nothing.
        if let Some(stdin) = inputs.iter().find(|i| i.is_stdin()) {
            return Err(IoError::Unsupported {
                input: stdin.name().to_owned(),
                reason: "join()/defineTable() read their inputs twice; give a file instead of standard input".to_owned(),
            });
        }
        for sub in self.0.iter() {
            let mut rows = Vec::new();
            crate::execute(
                &sub.query,
                inputs,
                read,
                |row| {
                    rows.push(row);
                    std::ops::ControlFlow::Continue(())
                },
                // Malformed records are reported once, by the main pass.
                |_| {},
            )?;
            sub.sink.fill(rows);
        }
        Ok(())
    }

    /// Runs every sub-query over events held in memory and fills its sink.
    pub fn fill_from_events(&self, events: &[Event]) {
        for sub in self.0.iter() {
            let rows = sub.query.run_all(events.iter().cloned());
            sub.sink.fill(rows);
        }
    }
}

/// What the compiler knows about sub-queries while it compiles one plan.
#[derive(Default)]
pub struct Registry {
    subs: RefCell<Vec<Arc<SubQuery>>>,
    defined: RefCell<HashMap<String, Arc<DefinedTable>>>,
}

impl Registry {
    /// A registry for a nested plan: it sees the tables defined so far, and has its own sub-queries.
    pub fn child(&self) -> Registry {
        Registry {
            subs: RefCell::default(),
            defined: RefCell::new(self.defined.borrow().clone()),
        }
    }

    /// Compiles `plan` as a sub-query whose rows go to `sink`.
    pub fn add(&self, c: &Compiler, plan: &Plan, sink: Arc<dyn TableSink>) -> Result<()> {
        let child = Compiler {
            opts: c.opts,
            tables: self.child(),
            after_aggregate: Default::default(),
        };
        let query = Query::compile_in(plan, &child)?;
        self.subs
            .borrow_mut()
            .push(Arc::new(SubQuery { query, sink }));
        Ok(())
    }

    /// Declares the table `name` (a later declaration replaces an earlier one).
    pub fn define(&self, name: &str, table: Arc<DefinedTable>) {
        self.defined.borrow_mut().insert(name.to_owned(), table);
    }

    /// A table declared by `defineTable(name=…)` earlier in the query.
    pub fn defined(&self, name: &str) -> Option<Arc<DefinedTable>> {
        self.defined.borrow().get(name).cloned()
    }

    /// The sub-queries registered so far, leaving the registry empty.
    pub fn take(&self) -> SubQueries {
        SubQueries(std::mem::take(&mut *self.subs.borrow_mut()).into())
    }
}

/// The rows of a `defineTable()`, and the lookups built from them.
#[derive(Default)]
pub struct DefinedTable {
    rows: RwLock<Arc<Vec<Event>>>,
    consumers: RwLock<Vec<Arc<dyn TableSink>>>,
}

impl DefinedTable {
    /// The rows of the last fill (empty before the pre-pass).
    pub fn rows(&self) -> Arc<Vec<Event>> {
        self.rows.read().map(|r| r.clone()).unwrap_or_default()
    }

    /// Also hands every fill to `sink` (a `match()` index over this table).
    pub fn subscribe(&self, sink: Arc<dyn TableSink>) {
        if let Ok(mut c) = self.consumers.write() {
            c.push(sink);
        }
    }
}

impl TableSink for DefinedTable {
    fn fill(&self, rows: Vec<Event>) {
        if let Ok(consumers) = self.consumers.read() {
            for c in consumers.iter() {
                c.fill(rows.clone());
            }
        }
        if let Ok(mut r) = self.rows.write() {
            *r = Arc::new(rows);
        }
    }
}

/// A value built from a sub-query's rows, read by a stage on every event.
pub struct Deferred<T> {
    value: RwLock<Arc<T>>,
    build: Box<dyn Fn(Vec<Event>) -> T + Send + Sync>,
}

impl<T: Send + Sync + 'static> Deferred<T> {
    pub fn new(empty: T, build: impl Fn(Vec<Event>) -> T + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Deferred {
            value: RwLock::new(Arc::new(empty)),
            build: Box::new(build),
        })
    }

    pub fn get(&self) -> Arc<T> {
        match self.value.read() {
            Ok(v) => v.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl<T: Send + Sync + 'static> TableSink for Deferred<T> {
    fn fill(&self, rows: Vec<Event>) {
        let v = Arc::new((self.build)(rows));
        match self.value.write() {
            Ok(mut slot) => *slot = v,
            Err(poisoned) => *poisoned.into_inner() = v,
        }
    }
}
