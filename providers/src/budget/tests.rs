//! Tests of the per-process budget: lanes, priorities, windows and the shared-store hand-off.

use super::*;

fn limits(per_minute: u32) -> RateLimits {
    RateLimits {
        per_minute,
        ..RateLimits::default()
    }
}

async fn call(budget: &Budget, api: &str, priority: Priority) {
    if let Some(p) = budget
        .acquire("rds", Some(Service::Rds), api, priority)
        .await
    {
        p.answered(false);
    }
}

#[test]
fn an_api_is_a_method_and_a_route_template() {
    assert_eq!(
        api_of("GET", "/v3/{project_id}/instances/abc-1/restore-time"),
        "GET /v3/{project_id}/instances/{id}/restore-time"
    );
    assert_eq!(
        api_of(
            "POST",
            "/v3/{project_id}/instances/i9/backups/metadata-recovery"
        ),
        "POST /v3/{project_id}/instances/{id}/backups/metadata-recovery"
    );
    assert_eq!(
        api_of("GET", "/v3/{project_id}/jobs"),
        "GET /v3/{project_id}/jobs"
    );
}

#[tokio::test(start_paused = true)]
async fn no_window_of_sixty_seconds_holds_more_than_the_limit() {
    let budget = Budget::new(limits(5));
    let start = Instant::now();
    let mut sent = Vec::new();
    for _ in 0..23 {
        call(&budget, "GET /a", Priority::Read).await;
        sent.push(start.elapsed());
        tokio::time::advance(Duration::from_millis(700)).await;
    }
    for (i, at) in sent.iter().enumerate() {
        let within = sent[i..].iter().filter(|t| **t < *at + WINDOW).count();
        assert!(
            within <= 5,
            "{within} calls in the minute from {at:?}: {sent:?}"
        );
    }
    // Five a minute, not slower: the 23rd call left in the fifth minute.
    let last = sent.last().copied().unwrap_or_default();
    assert!(last < Duration::from_secs(4 * 60 + 10), "{last:?}");
    // Another API has its own window.
    let other = Instant::now();
    call(&budget, "GET /b", Priority::Read).await;
    assert_eq!(other.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn a_slot_counts_until_a_window_after_its_answer() {
    let budget = Budget::new(limits(2));
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(
            budget
                .acquire("rds", Some(Service::Rds), "GET /a", Priority::Read)
                .await,
        );
    }
    tokio::time::advance(Duration::from_secs(30)).await;
    // The gateway counts a call when it arrives: as late as its answer.
    for p in held.into_iter().flatten() {
        p.answered(false);
    }
    let start = Instant::now();
    call(&budget, "GET /a", Priority::Read).await;
    assert_eq!(start.elapsed(), WINDOW);
}

#[tokio::test(start_paused = true)]
async fn a_waiter_is_woken_by_an_answer_and_by_a_cancelled_request() {
    let budget = Budget::new(limits(1));
    let first = budget
        .acquire("rds", Some(Service::Rds), "GET /a", Priority::Read)
        .await;
    let start = Instant::now();
    let waiter = {
        let budget = budget.clone();
        tokio::spawn(async move {
            call(&budget, "GET /a", Priority::Read).await;
            start.elapsed()
        })
    };
    tokio::task::yield_now().await;
    tokio::time::advance(Duration::from_secs(5)).await;
    // Cancelled unanswered: the slot still counts (the call may have arrived) for a window.
    drop(first);
    let elapsed = waiter.await.unwrap_or_default();
    assert_eq!(elapsed, Duration::from_secs(5) + WINDOW);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_pauses_the_api_then_invites_one_call() {
    let budget = Budget::new(limits(20));
    for _ in 0..3 {
        call(&budget, "GET /a", Priority::Read).await;
    }
    let refused = budget
        .acquire("rds", Some(Service::Rds), "GET /a", Priority::Read)
        .await;
    if let Some(p) = refused {
        p.answered(true);
    }
    budget.pause("rds", "GET /a", Duration::from_secs(20));
    let start = Instant::now();
    call(&budget, "GET /a", Priority::Read).await;
    // Exactly when the server said: never later, never sooner.
    assert_eq!(start.elapsed().as_secs(), 20);
    // Then three per window (what the server had answered), not the configured twenty.
    call(&budget, "GET /a", Priority::Read).await;
    assert_eq!(start.elapsed(), WINDOW);
    // Half a window's worth of answers that were no 429 doubles the learned limit.
    for _ in 0..6 {
        call(&budget, "GET /a", Priority::Read).await;
    }
    let lanes = budget.lock();
    let learned = lanes.values().next().and_then(|l| l.learned);
    assert_eq!(learned, Some(12), "{learned:?}");
}

#[tokio::test(start_paused = true)]
async fn waiters_through_many_429s_never_stall() {
    // Many 429s in a row once shrank the rate towards zero, and the process went silent.
    let budget = Budget::new(limits(20));
    for round in 0..50 {
        let p = budget
            .acquire("rds", Some(Service::Rds), "GET /a", Priority::Read)
            .await;
        if let Some(p) = p {
            p.answered(true);
        }
        budget.pause("rds", "GET /a", Duration::from_secs(7));
        let start = Instant::now();
        call(&budget, "GET /a", Priority::Read).await;
        assert!(
            start.elapsed() <= WINDOW,
            "round {round}: waited {:?}",
            start.elapsed()
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_rehearsal_scales_the_minute_and_the_retry_after() {
    let budget = Budget::new(RateLimits {
        time_scale: 60.0,
        ..limits(60)
    });
    let start = Instant::now();
    for _ in 0..120 {
        call(&budget, "GET /a", Priority::Read).await;
    }
    // 60 per simulated minute is 60 per real second.
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    budget.pause("rds", "GET /a", Duration::from_secs(60));
    let paused = Instant::now();
    call(&budget, "GET /a", Priority::Read).await;
    assert_eq!(paused.elapsed().as_secs(), 1);
}

/// Takes every slot of `GET /a` for a window, answered at once.
async fn fill(budget: &Budget, n: usize) {
    for _ in 0..n {
        call(budget, "GET /a", Priority::Read).await;
    }
}

#[tokio::test(start_paused = true)]
async fn submits_go_before_waiting_reads() {
    let budget = Budget::new(limits(1));
    fill(&budget, 1).await;
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for (i, priority) in [Priority::Read, Priority::Read, Priority::Submit]
        .into_iter()
        .enumerate()
    {
        let (budget, order) = (budget.clone(), Arc::clone(&order));
        tasks.push(tokio::spawn(async move {
            call(&budget, "GET /a", priority).await;
            order.lock().unwrap_or_else(PoisonError::into_inner).push(i);
        }));
        tokio::task::yield_now().await;
    }
    for t in tasks {
        t.await.ok();
    }
    let order = order.lock().unwrap_or_else(PoisonError::into_inner).clone();
    assert_eq!(order, [2, 0, 1]);
}

#[tokio::test(start_paused = true)]
async fn polls_go_by_their_jobs_earliest_end_and_other_reads_last() {
    let budget = Budget::new(limits(1));
    fill(&budget, 1).await;
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for rank in [None, Some(30), Some(10), Some(20)] {
        let (budget, order) = (budget.clone(), Arc::clone(&order));
        tasks.push(tokio::spawn(async move {
            let read = call(&budget, "GET /a", Priority::Read);
            match rank {
                Some(rank) => ranked(rank, false, read).await,
                None => read.await,
            }
            order
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(rank);
        }));
        tokio::task::yield_now().await;
    }
    for t in tasks {
        t.await.ok();
    }
    let order = order.lock().unwrap_or_else(PoisonError::into_inner).clone();
    assert_eq!(order, [Some(10), Some(20), Some(30), None]);
}

#[tokio::test(start_paused = true)]
async fn a_waiter_that_gives_up_blocks_no_one() {
    let budget = Budget::new(limits(1));
    fill(&budget, 1).await;
    let first = {
        let budget = budget.clone();
        tokio::spawn(async move {
            ranked(0, false, call(&budget, "GET /a", Priority::Read)).await;
        })
    };
    tokio::task::yield_now().await;
    first.abort();
    let start = Instant::now();
    ranked(5, false, call(&budget, "GET /a", Priority::Read)).await;
    assert_eq!(start.elapsed(), WINDOW);
}

/// A store that answers from a script and records what it was asked.
#[derive(Debug, Default)]
struct Scripted {
    answers: Mutex<Vec<Result<BudgetAnswer, String>>>,
    asked: Mutex<Vec<(String, bool)>>,
    throttled: Mutex<Vec<Duration>>,
}

impl rewind_engine::budget::SharedBudget for Scripted {
    fn take<'a>(
        &'a self,
        ask: BudgetAsk<'a>,
    ) -> rewind_engine::budget::BudgetFuture<'a, BudgetAnswer> {
        let mut asked = self.asked.lock().unwrap_or_else(PoisonError::into_inner);
        asked.push((ask.api.to_owned(), ask.submit));
        let mut answers = self.answers.lock().unwrap_or_else(PoisonError::into_inner);
        let answer = if answers.is_empty() {
            Ok(BudgetAnswer::Go {
                delay: Duration::ZERO,
            })
        } else {
            answers.remove(0)
        };
        Box::pin(async move { answer })
    }

    fn throttled<'a>(
        &'a self,
        _ask: BudgetAsk<'a>,
        retry_after: Duration,
    ) -> rewind_engine::budget::BudgetFuture<'a, ()> {
        self.throttled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(retry_after);
        Box::pin(async { Ok(()) })
    }
}

fn with_store(store: &Arc<Scripted>) -> Budget {
    let shared: Arc<dyn rewind_engine::budget::SharedBudget> = store.clone();
    Budget::for_user(
        RateLimits {
            shared: Some(Shared(shared)),
            share: 4,
            ..limits(5)
        },
        "user",
    )
}

#[tokio::test(start_paused = true)]
async fn the_shared_store_adds_its_waits_and_reservations_and_share_is_ignored() {
    let store = Arc::new(Scripted::default());
    store
        .answers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .extend([
            Ok(BudgetAnswer::Wait {
                wait: Duration::from_secs(3),
                cause: WaitCause::Submit,
                others: 2,
            }),
            Ok(BudgetAnswer::Go {
                delay: Duration::from_secs(1),
            }),
        ]);
    let budget = with_store(&store);
    let start = Instant::now();
    call(&budget, "POST /a", Priority::Submit).await;
    // Told to wait 3 s, then a slot reserved 1 s ahead.
    assert_eq!(start.elapsed(), Duration::from_secs(4));
    // The refused local slot went back: 5 in the window (not 5/4: the store divides).
    for _ in 0..4 {
        call(&budget, "POST /a", Priority::Submit).await;
    }
    assert_eq!(start.elapsed(), Duration::from_secs(4));
    let asked = store
        .asked
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    assert_eq!(asked.len(), 6);
    assert!(
        asked
            .iter()
            .all(|(api, submit)| api == "POST /a" && *submit)
    );
    // A 429 reaches the store, for every other process.
    budget.pause("rds", "POST /a", Duration::from_secs(9));
    tokio::task::yield_now().await;
    let throttled = store
        .throttled
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    assert_eq!(throttled, [Duration::from_secs(9)]);
}

#[tokio::test(start_paused = true)]
async fn a_request_cancelled_before_its_reserved_moment_frees_its_local_slot() {
    let store = Arc::new(Scripted::default());
    store
        .answers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Ok(BudgetAnswer::Go {
            delay: Duration::from_secs(10),
        }));
    let budget = Budget::for_user(
        RateLimits {
            shared: Some(Shared(store.clone())),
            ..limits(1)
        },
        "user",
    );
    let sleeping = {
        let budget = budget.clone();
        tokio::spawn(async move { call(&budget, "GET /a", Priority::Read).await })
    };
    tokio::task::yield_now().await;
    tokio::time::advance(Duration::from_secs(1)).await;
    sleeping.abort();
    let _ = sleeping.await;
    // Counted (it may have been about to go) for one window, then free.
    let start = Instant::now();
    let next = tokio::time::timeout(3 * WINDOW, call(&budget, "GET /a", Priority::Read)).await;
    assert!(next.is_ok(), "the cancelled request's slot was never freed");
    assert_eq!(start.elapsed(), WINDOW);
}

#[tokio::test(start_paused = true)]
async fn a_store_that_fails_leaves_the_local_budget_in_charge() {
    let store = Arc::new(Scripted::default());
    store
        .answers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Err("connection closed".to_owned()));
    let budget = with_store(&store);
    let start = Instant::now();
    fill(&budget, 5).await;
    assert_eq!(start.elapsed(), Duration::ZERO);
    // The sixth waits for the local window, as without a store.
    call(&budget, "GET /a", Priority::Read).await;
    assert_eq!(start.elapsed(), WINDOW);
}

#[test]
fn share_splits_the_limit_without_a_store() {
    let quarter = RateLimits {
        share: 4,
        ..limits(60)
    };
    assert_eq!(quarter.own_limit(Some(Service::Rds)), 15);
    let tiny = RateLimits {
        share: 8,
        ..limits(3)
    };
    assert_eq!(tiny.own_limit(None), 1);
}

#[tokio::test(start_paused = true)]
async fn off_never_waits() {
    let budget = Budget::new(RateLimits::off());
    let start = Instant::now();
    for _ in 0..1000 {
        assert!(
            budget
                .acquire("rds", None, "GET /a", Priority::Read)
                .await
                .is_none()
        );
    }
    budget.pause("rds", "GET /a", Duration::from_secs(60));
    budget.acquire("rds", None, "GET /a", Priority::Read).await;
    assert_eq!(start.elapsed(), Duration::ZERO);
}
