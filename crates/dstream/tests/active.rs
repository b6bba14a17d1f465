//! `StreamingContext::get_active`: the process's active context, found again when no variable
//! holds it (alone in its test binary: it looks at the whole process).

use dstream::{ContextState, Duration, Stop, StreamingContext};

#[test]
fn get_active_finds_a_context_only_a_closure_of_its_own_holds_and_forgets_it_once_stopped() {
    assert!(StreamingContext::get_active().is_none());
    {
        let ssc = StreamingContext::new(Duration::from_millis(50)).unwrap();
        let stream = ssc.queue_stream(vec![vec![1]], true, None);
        stream.foreach_rdd(|_| {});
        // The listener holds a stream, hence the context: dropping `ssc` does not stop it.
        ssc.add_listener(move |_| {
            let _ = &stream;
        });
        ssc.start().unwrap();
    }
    let active = StreamingContext::get_active().expect("still running, held by its listener");
    assert_eq!(active.state(), ContextState::Active);
    assert_eq!(active.batch_interval(), Duration::from_millis(50));
    let again = StreamingContext::get_active_or_create(|| panic!("an active context exists")).unwrap();
    assert!(again.same_context(&active));
    active.stop(Stop::Now).unwrap();
    assert!(StreamingContext::get_active().is_none());
    let created =
        StreamingContext::get_active_or_create(|| StreamingContext::new(Duration::from_secs(1))).unwrap();
    assert_eq!(created.state(), ContextState::Initialized);
}
