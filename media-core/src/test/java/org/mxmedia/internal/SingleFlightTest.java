package org.mxmedia.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;

/**
 * {@link SingleFlight} on its own: one run per key at a time, waiters share its result and its
 * failure, a waiter's bound ends only its own wait, keys do not wait for each other, and nothing
 * stays in the map. Every wait for "the waiters have joined" is on the waiters' thread states,
 * never on a guessed sleep.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SingleFlightTest {
  private static final Duration LONG = Duration.ofSeconds(20);
  private static final int WAITERS = 20;

  private final SingleFlight<String, Object> flight = new SingleFlight<>();
  private final AtomicInteger runs = new AtomicInteger();
  private final CountDownLatch started = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private final List<Thread> threads = new ArrayList<>();

  @AfterEach
  void releaseEverything() throws InterruptedException {
    release.countDown();
    for (Thread t : threads) {
      t.join(TimeUnit.SECONDS.toMillis(10));
    }
  }

  /**
   * Work that counts its runs, says it started, and holds until released; then answers {@code
   * answer}.
   */
  private Supplier<Object> held(Supplier<Object> answer) {
    return () -> {
      runs.incrementAndGet();
      started.countDown();
      try {
        if (!release.await(20, TimeUnit.SECONDS)) {
          throw new AssertionError("never released");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      return answer.get();
    };
  }

  /** Calls {@code flight.run(key, maxWait, work)} on a thread of its own. */
  private CompletableFuture<Object> call(String key, Duration maxWait, Supplier<Object> work) {
    CompletableFuture<Object> result = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                result.complete(flight.run(key, maxWait, work));
              } catch (Throwable e) {
                result.completeExceptionally(e);
              }
            },
            "caller-" + threads.size());
    t.setDaemon(true);
    threads.add(t);
    t.start();
    return result;
  }

  /**
   * {@code WAITERS} callers of {@code key} that have joined the run in flight (they are blocked in
   * it).
   */
  private List<CompletableFuture<Object>> waitersJoined(
      String key, Duration maxWait, Supplier<Object> work) {
    List<CompletableFuture<Object>> answers = new ArrayList<>();
    int first = threads.size();
    for (int i = 0; i < WAITERS; i++) {
      answers.add(call(key, maxWait, work));
    }
    Blocked.awaitAll(threads.subList(first, threads.size()), LONG);
    return answers;
  }

  private static Throwable failureOf(CompletableFuture<Object> f) throws Exception {
    try {
      Object value = f.get(10, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure, got " + value);
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }

  @Test
  void oneRunPerKeyAndEveryWaiterGetsItsResult() throws Exception {
    Object answer = new Object();
    CompletableFuture<Object> leader = call("k", LONG, held(() -> answer));
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    List<CompletableFuture<Object>> waiters = waitersJoined("k", LONG, held(Object::new));
    assertThat(flight.isRunning("k")).isTrue();

    release.countDown();

    assertThat(leader.get(10, TimeUnit.SECONDS)).isSameAs(answer);
    for (CompletableFuture<Object> w : waiters) {
      assertThat(w.get(10, TimeUnit.SECONDS))
          .as("a waiter shares the leader's result")
          .isSameAs(answer);
    }
    assertThat(runs.get()).as("runs for %d callers", WAITERS + 1).isEqualTo(1);
    assertThat(flight.size()).as("nothing left in flight").isZero();
    assertThat(flight.isRunning("k")).isFalse();
  }

  @Test
  void everyWaiterGetsTheRunsOwnFailure() throws Exception {
    MediaException failure =
        new MediaException(ErrorCode.M_UNKNOWN, 400, "Cannot generate a thumbnail of this media");
    CompletableFuture<Object> leader =
        call(
            "k",
            LONG,
            held(
                () -> {
                  throw failure;
                }));
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    List<CompletableFuture<Object>> waiters = waitersJoined("k", LONG, held(Object::new));

    release.countDown();

    assertThat(failureOf(leader)).isSameAs(failure);
    for (CompletableFuture<Object> w : waiters) {
      assertThat(failureOf(w)).as("the same failure, not a run of its own").isSameAs(failure);
    }
    assertThat(runs.get()).isEqualTo(1);
    assertThat(flight.size()).as("a failed run leaves nothing in flight").isZero();
  }

  @Test
  void anErrorInTheRunReachesWaitersAsA500() throws Exception {
    StackOverflowError error = new StackOverflowError("deep");
    CompletableFuture<Object> leader =
        call(
            "k",
            LONG,
            held(
                () -> {
                  throw error;
                }));
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    List<CompletableFuture<Object>> waiters = waitersJoined("k", LONG, held(Object::new));

    release.countDown();

    assertThat(failureOf(leader)).isSameAs(error);
    for (CompletableFuture<Object> w : waiters) {
      assertThat(failureOf(w))
          .isInstanceOfSatisfying(
              MediaException.class,
              e -> {
                assertThat(e.httpStatus()).isEqualTo(500);
                assertThat(e.getCause()).isSameAs(error);
              });
    }
    assertThat(runs.get()).isEqualTo(1);
    assertThat(flight.size()).isZero();
  }

  @Test
  void aWaitersBoundGives504WhileTheRunGoesOnForItsOwnCaller() throws Exception {
    Object answer = new Object();
    CompletableFuture<Object> leader = call("k", LONG, held(() -> answer));
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

    assertThatThrownBy(() -> flight.run("k", Duration.ofMillis(50), held(Object::new)))
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> {
              assertThat(e.httpStatus()).isEqualTo(504);
              assertThat(e.errorCode()).isEqualTo(ErrorCode.M_UNKNOWN);
            });
    assertThat(flight.isRunning("k")).as("the run goes on").isTrue();
    assertThat(leader).isNotDone();
    assertThat(runs.get()).as("the impatient waiter ran nothing").isEqualTo(1);

    release.countDown();
    assertThat(leader.get(10, TimeUnit.SECONDS)).isSameAs(answer);
    assertThat(flight.size()).isZero();
  }

  @Test
  void keysAreIndependent() throws Exception {
    CompletableFuture<Object> a = call("a", LONG, held(() -> "a"));
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

    assertThat(flight.run("b", LONG, () -> "b")).as("b does not wait for a").isEqualTo("b");
    assertThat(flight.isRunning("a")).isTrue();
    assertThat(flight.isRunning("b")).isFalse();
    assertThat(flight.size()).isEqualTo(1);

    release.countDown();
    assertThat(a.get(10, TimeUnit.SECONDS)).isEqualTo("a");
    assertThat(flight.size()).isZero();
  }

  @Test
  void aRunThatHasEndedIsNotReusedByTheNextCaller() {
    assertThat(flight.run("k", LONG, () -> runs.incrementAndGet())).isEqualTo(1);
    assertThat(flight.run("k", LONG, () -> runs.incrementAndGet()))
        .as("results are shared in flight, not cached")
        .isEqualTo(2);
    assertThat(flight.size()).isZero();
  }

  @Test
  void anInterruptedWaiterGetsA500AndKeepsItsInterrupt() throws Exception {
    CompletableFuture<Object> leader = call("k", LONG, held(() -> "done"));
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Boolean> stillInterrupted = new CompletableFuture<>();
    CompletableFuture<Object> waiter = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                waiter.complete(flight.run("k", LONG, held(Object::new)));
              } catch (Throwable e) {
                waiter.completeExceptionally(e);
              } finally {
                stillInterrupted.complete(Thread.currentThread().isInterrupted());
              }
            });
    t.setDaemon(true);
    threads.add(t);
    t.start();
    Blocked.awaitAll(List.of(t), LONG);

    t.interrupt();

    assertThat(failureOf(waiter))
        .isInstanceOfSatisfying(
            MediaException.class, e -> assertThat(e.httpStatus()).isEqualTo(500));
    assertThat(stillInterrupted.get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(flight.isRunning("k")).as("the run is not the waiter's to end").isTrue();
    release.countDown();
    assertThat(leader.get(10, TimeUnit.SECONDS)).isEqualTo("done");
    assertThat(runs.get()).isEqualTo(1);
  }
}
