package org.mxmedia.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mxmedia.MediaId;

class AccessRecorderTest {

  @Test
  void aFloodOfDifferentMediaIsFlushedEarlyInsteadOfGrowingTheMap() {
    List<Runnable> queued = new ArrayList<>();
    InMemoryMediaStore store = new InMemoryMediaStore();
    AccessRecorder recorder = new AccessRecorder(store, queued::add);
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    for (int i = 0; i < AccessRecorder.FLUSH_EARLY_AT - 1; i++) {
      recorder.record(MediaId.of("m" + i), now);
    }
    assertThat(queued).isEmpty();
    for (int i = 0; i < 100; i++) {
      recorder.record(MediaId.of("n" + i), now);
    }
    assertThat(queued).as("one early flush queued, not one per record").hasSize(1);
    queued.get(0).run();
    assertThat(recorder.waiting()).isZero();
  }
}
