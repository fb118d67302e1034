package org.mxmedia.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaId;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaEvents;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.PrimaryStorage;

class GuardsTest {

  /**
   * A decorator that forgot a default method would silently answer with the default instead of the
   * host's store.
   */
  @Test
  void theGuardedStoreAndStorageOverrideEveryMethodIncludingTheDefaults() {
    for (var pair :
        List.of(
            List.of(MediaStore.class, Guards.store(new InMemoryMediaStore()).getClass()),
            List.of(PrimaryStorage.class, Guards.primary(new InMemoryStorage()).getClass()),
            List.of(MediaEvents.class, Guards.events(MediaEvents.none()).getClass()),
            List.of(MediaStore.class, CachingMediaStore.class))) {
      Class<?> spi = pair.get(0);
      Class<?> guard = pair.get(1);
      for (Method m : spi.getMethods()) {
        if (Modifier.isStatic(m.getModifiers())) {
          continue;
        }
        assertThat(
                Arrays.stream(guard.getDeclaredMethods())
                    .anyMatch(
                        d ->
                            d.getName().equals(m.getName())
                                && Arrays.equals(d.getParameterTypes(), m.getParameterTypes())))
            .as(
                spi.getSimpleName()
                    + "."
                    + m.getName()
                    + " is overridden by "
                    + guard.getSimpleName())
            .isTrue();
      }
    }
  }

  @Test
  void anUncheckedFailureOfTheHostsStoreBecomesA500ThatSaysNothingOfIt() {
    MediaStore broken =
        Guards.store(
            (MediaStore)
                Proxy.newProxyInstance(
                    MediaStore.class.getClassLoader(),
                    new Class<?>[] {MediaStore.class},
                    (proxy, method, args) -> {
                      throw new IllegalStateException("connection refused to db.internal:5432");
                    }));
    assertThatThrownBy(() -> broken.blobReferences(null))
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> {
              assertThat(e.httpStatus()).isEqualTo(500);
              assertThat(e.getMessage()).doesNotContain("db.internal");
            });
  }

  @Test
  void aListenerThatThrowsIsIgnoredOnEveryMethod() {
    MediaEvents throwing =
        (MediaEvents)
            Proxy.newProxyInstance(
                MediaEvents.class.getClassLoader(),
                new Class<?>[] {MediaEvents.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("toString")) {
                    return "throwing listener";
                  }
                  throw new IllegalStateException("listener bug");
                });
    MediaEvents guarded = Guards.events(throwing);
    for (int i = 0; i < 2; i++) {
      guarded.uploaded(new MediaEvents.Upload(false, 1, Duration.ZERO));
      guarded.downloaded(new MediaEvents.Download(MediaEvents.Source.LOCAL, 1));
      guarded.failed(
          new MediaEvents.Failure(MediaEvents.Operation.DOWNLOAD, ErrorCode.M_NOT_FOUND, 404));
      guarded.thumbnailsGenerated(
          new MediaEvents.ThumbnailGeneration(1, false, true, Duration.ZERO));
      guarded.thumbnailServed(new MediaEvents.ThumbnailServed(false, 1));
      guarded.remoteFetched(new MediaEvents.RemoteFetch(Optional.empty(), 1, Duration.ZERO));
      guarded.pluginCalled(
          new MediaEvents.PluginCall(MediaEvents.Plugin.STORE, "store", "x", Duration.ZERO, false));
    }
    // and the store it times keeps answering through it
    InMemoryMediaStore store = new InMemoryMediaStore();
    assertThat(Guards.store(store, guarded).localMedia(MediaId.of("abc"))).isEmpty();
  }

  @Test
  void everyStoreAndStorageCallIsTimedAndReportedWithItsOutcome() throws Exception {
    List<MediaEvents.PluginCall> calls = Collections.synchronizedList(new ArrayList<>());
    MediaEvents events =
        new MediaEvents() {
          @Override
          public void pluginCalled(PluginCall call) {
            calls.add(call);
          }
        };
    MediaStore store = Guards.store(new InMemoryMediaStore(), events);
    store.localMedia(MediaId.of("abc"));
    PrimaryStorage storage = Guards.primary(new InMemoryStorage(), events);
    BlobKey key = new BlobKey("0".repeat(64));
    assertThat(storage.exists(key)).isFalse();
    MediaStore broken =
        Guards.store(
            (MediaStore)
                Proxy.newProxyInstance(
                    MediaStore.class.getClassLoader(),
                    new Class<?>[] {MediaStore.class},
                    (proxy, method, args) -> {
                      throw new IllegalStateException("down");
                    }),
            events);
    assertThatThrownBy(() -> broken.blobReferences(key)).isInstanceOf(MediaException.class);

    assertThat(calls)
        .extracting(
            MediaEvents.PluginCall::plugin,
            MediaEvents.PluginCall::method,
            MediaEvents.PluginCall::failed)
        .containsExactly(
            Tuple.tuple(MediaEvents.Plugin.STORE, "localMedia", false),
            Tuple.tuple(MediaEvents.Plugin.STORAGE, "exists", false),
            Tuple.tuple(MediaEvents.Plugin.STORE, "blobReferences", true));
    assertThat(calls).allSatisfy(c -> assertThat(c.duration().isNegative()).isFalse());
    assertThat(calls.get(1).name()).isEqualTo(new InMemoryStorage().name());
  }
}
